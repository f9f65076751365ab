import { once } from 'node:events';
import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import { createServer as createTcpServer } from 'node:net';

const { refusal } = require('../deploy/offline/local-guard.cjs') as {
  refusal: (headers: IncomingHttpHeaders, options: { server: 'ses'; port: number }) => string | undefined;
};

/** A free TCP port on the loopback interface. */
export async function freePort(): Promise<number> {
  const server = createTcpServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

// Hop-by-hop headers (RFC 9110 7.6.1) belong to one connection: a proxy's two sides each keep their own
// (this one's, and the bench's latency proxy, bench/latency-proxy.ts).
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade']);

export function endToEnd(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name)));
}

export interface LocalProxy {
  /** Where clients reach the tool: the proxy, on 127.0.0.1. */
  url: string;
  /** Points the proxy at another port of the tool (the SES emulator restarted on a new private port). */
  retarget(target: number): void;
  /** Stops listening and drops open connections (idle keep-alive ones too), so the port is free again. */
  close(): Promise<void>;
}

/**
 * An HTTP proxy on 127.0.0.1:`port` in front of a local tool that listens on 127.0.0.1:`target` and checks
 * no `Host` itself (the SES emulator). It applies the local stage's rule for that server
 * (deploy/offline/local-guard.cjs) to every request and answers a refusal with 403 `{message}`. Anything
 * else is passed through unchanged, one upstream connection a request (loopback connections cost little,
 * and no pooled socket can be closed under it).
 */
export async function startLocalProxy(options: { server: 'ses'; port: number; target: number }): Promise<LocalProxy> {
  let target = options.target;
  const server = createServer((incoming, outgoing) => {
    const reason = refusal(incoming.headers, { server: options.server, port: options.port });
    if (reason !== undefined) {
      incoming.resume();
      const body = JSON.stringify({ message: reason });
      outgoing.writeHead(403, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
      });
      outgoing.end(body);
      return;
    }
    const upstream = request(
      { host: '127.0.0.1', port: target, method: incoming.method, path: incoming.url, headers: endToEnd(incoming.headers), agent: false },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, endToEnd(answer.headers));
        answer.pipe(outgoing);
      },
    );
    upstream.on('error', () => {
      // The tool is gone (stopped, or crashed): the client sees its connection end, as it would without the proxy.
      outgoing.destroy();
    });
    // A client that gives up (the SDK's request timeout) takes its upstream request with it.
    outgoing.on('close', () => {
      if (!outgoing.writableFinished) upstream.destroy();
    });
    incoming.pipe(upstream);
  });
  // The SDK's keep-alive sockets stay usable for as long as a client idles between calls.
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    url: `http://127.0.0.1:${options.port}`,
    retarget: (port) => {
      target = port;
    },
    close: async () => {
      const closed = once(server, 'close');
      server.close();
      server.closeAllConnections();
      await closed;
    },
  };
}
