/**
 * A latency-injecting HTTP proxy for the bench (issue 22, point 5): in front of DynamoDB Local on
 * loopback, it holds every request `delayMs` before passing it on, each on its own timer, so requests
 * sent together wait together, as round trips to a remote DynamoDB overlap. DynamoDB Local itself then
 * answers them one by one in a millisecond or two; with 10 ms per request, a handler's time in round
 * trips shows its critical path (how many calls it makes one after the other), not the emulator's
 * serialisation.
 */
import { once } from 'node:events';
import { Agent, createServer, request } from 'node:http';
import { endToEnd } from '../scripts/local-proxy';

export interface LatencyProxy {
  url: string;
  /**
   * The requests since the last call, and how many of them found none in flight: a handler's
   * sequential steps (a call sent while another is in flight overlaps it and starts no step).
   */
  take(): { requests: number; steps: number };
  close(): Promise<void>;
}

export async function startLatencyProxy(options: { target: number; delayMs: number }): Promise<LatencyProxy> {
  // Kept-alive upstream connections: a connect per request would add its own latency to the injected one.
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  let inFlight = 0;
  let counted = { requests: 0, steps: 0 };
  const server = createServer((incoming, outgoing) => {
    const body: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => body.push(chunk));
    incoming.on('end', () => {
      counted.requests++;
      if (inFlight === 0) counted.steps++;
      inFlight++;
      outgoing.on('close', () => inFlight--);
      setTimeout(() => {
        const upstream = request(
          { host: '127.0.0.1', port: options.target, method: incoming.method, path: incoming.url, headers: endToEnd(incoming.headers), agent },
          (answer) => {
            outgoing.writeHead(answer.statusCode ?? 502, endToEnd(answer.headers));
            answer.pipe(outgoing);
          },
        );
        upstream.on('error', () => outgoing.destroy());
        upstream.end(Buffer.concat(body));
      }, options.delayMs);
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    take: () => {
      const taken = counted;
      counted = { requests: 0, steps: 0 };
      return taken;
    },
    close: async () => {
      const closed = once(server, 'close');
      server.close();
      server.closeAllConnections();
      agent.destroy();
      await closed;
    },
  };
}
