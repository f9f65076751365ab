import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Deadline } from '../../lib/shared/deadline';
import { ServiceUnavailableError } from '../../lib/shared/errors';
import { createSessionChecker } from '../../lib/store/live-session';
import { createTable, guarded, withDeadline } from '../../lib/store/table';
import { GetCommand } from '@aws-sdk/lib-dynamodb';

// A database that accepts connections and never answers: a real TCP server on loopback, nothing mocked.
let server: Server;
let endpoint: string;
const sockets = new Set<Socket>();

beforeAll(async () => {
  server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  endpoint = `http://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  server.close();
  await once(server, 'close');
});

// Garbage collection on demand: undici follows a Request's abort signal only through a weak reference
// (nodejs/undici#4068), so a collection while the call waits is what made the old timeout fire on nothing.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

async function elapsedUntilSettled(work: Promise<unknown>): Promise<{ ms: number; error: unknown }> {
  const started = Date.now();
  const collector = setInterval(gc, 20);
  try {
    await work;
    return { ms: Date.now() - started, error: undefined };
  } catch (error) {
    return { ms: Date.now() - started, error };
  } finally {
    clearInterval(collector);
  }
}

describe('a request deadline', () => {
  it('ends the authorizer session check against a hanging database on time, garbage collection or not', async () => {
    const check = createSessionChecker({ tableName: 't', region: 'us-east-1', dynamodbEndpoint: endpoint });
    const deadline = Deadline.forRequest(undefined, 300);
    const { ms, error } = await elapsedUntilSettled(check('user', 'session', 0, deadline));
    deadline.dispose();
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(ms).toBeGreaterThanOrEqual(250);
    expect(ms).toBeLessThan(1500);
  });

  it('bounds several SDK calls in a row by one budget, not one timeout each', async () => {
    const base = createTable({ tableName: 't', region: 'us-east-1', dynamodbEndpoint: endpoint });
    const deadline = Deadline.forRequest(undefined, 400);
    const table = withDeadline(base, deadline);
    const read = () => guarded(table, (options) => table.client.send(new GetCommand({ TableName: 't', Key: { pk: 'a', sk: 'b' } }), options));
    const { ms, error } = await elapsedUntilSettled(
      (async () => {
        // Each of these alone may take up to 3 attempts of 1 s; together they must still end at 400 ms.
        for (let i = 0; i < 3; i++) await read().catch(() => undefined);
        await read();
      })(),
    );
    deadline.dispose();
    base.client.destroy();
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(ms).toBeLessThan(1500);
  });

  it('takes the Lambda remaining time less a margin when that is shorter than the budget', () => {
    const deadline = Deadline.forRequest(1000, 2000);
    expect(deadline.remainingMs()).toBeLessThanOrEqual(500);
    expect(deadline.remainingMs()).toBeGreaterThan(400);
    deadline.dispose();
    expect(deadline.signal.aborted).toBe(true);
  });
});
