import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Deadline, DeadlineExceededError, LAMBDA_MARGIN_MS } from '../../lib/shared/deadline';
import { ServiceUnavailableError } from '../../lib/shared/errors';
import { createSessionChecker } from '../../lib/store/live-session';
import { createTable, guarded, withDeadline } from '../../lib/store/table';
import { GetCommand } from '@aws-sdk/lib-dynamodb';

// A database that accepts connections and never answers: a real TCP server on loopback, nothing mocked.
// One per test, so a connection a previous test's client opens late is never counted as this test's.
let server: Server;
let endpoint: string;
const sockets = new Set<Socket>();
let connections = 0;

beforeEach(async () => {
  connections = 0;
  server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  endpoint = `http://127.0.0.1:${address.port}`;
});

afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  server.close();
  await once(server, 'close');
});

// Garbage collection on demand: undici follows a Request's abort signal only through a weak reference
// (nodejs/undici#4068), so a collection while the call waits is what made the old timeout fire on nothing.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/**
 * Settles `work` with garbage collections running all along, and says what ended it and how many
 * connections the hanging database saw: counted work, not wall time (the jest timeout bounds a hang).
 */
async function settle(work: Promise<unknown>): Promise<{ error: unknown; connections: number }> {
  const collector = setInterval(gc, 20);
  try {
    await work;
    return { error: undefined, connections };
  } catch (error) {
    return { error, connections };
  } finally {
    clearInterval(collector);
  }
}

/**
 * Ended by the request's deadline: a 503 caused by the deadline's timer, or by the SDK giving up on the
 * deadline's abort signal (whichever notices first), not by an SDK timeout after its retries.
 */
function expectEndedByDeadline(error: unknown) {
  const cause = (error as Error | undefined)?.cause as Error | undefined;
  const seen = {
    error: error instanceof ServiceUnavailableError ? 'ServiceUnavailableError' : error,
    cause: cause instanceof DeadlineExceededError ? 'deadline' : cause?.name,
  };
  expect(seen).toEqual({ error: 'ServiceUnavailableError', cause: expect.stringMatching(/^(deadline|AbortError)$/) });
}

describe('a request deadline', () => {
  // The SDK's own limits (lib/store/table.ts) are 1 s per attempt and 3 attempts: the deadlines here are
  // shorter than one attempt, so had the deadline not ended the work, the SDK's timeout would have
  // (another cause) after more connections (one per attempt).
  it('ends the authorizer session check against a hanging database at the deadline, garbage collection or not', async () => {
    const check = createSessionChecker({ tableName: 't', region: 'us-east-1', dynamodbEndpoint: endpoint });
    const deadline = Deadline.forRequest(undefined, 300);
    const { error, connections: made } = await settle(check('user', 'session', 0, deadline));
    deadline.dispose();
    expectEndedByDeadline(error);
    // One connection, or none when a loaded machine spent the budget before it was made: never a retry.
    expect(made).toBeLessThanOrEqual(1);
  });

  it('bounds several SDK calls in a row by one budget, not one timeout each', async () => {
    const base = createTable({ tableName: 't', region: 'us-east-1', dynamodbEndpoint: endpoint });
    const deadline = Deadline.forRequest(undefined, 400);
    const table = withDeadline(base, deadline);
    const read = () => guarded(table, (options) => table.client.send(new GetCommand({ TableName: 't', Key: { pk: 'a', sk: 'b' } }), options));
    const errors: unknown[] = [];
    const { connections: made } = await settle(
      (async () => {
        // Each of these alone may take up to 3 attempts of 1 s; together they get the one budget: the
        // first waits it out, the rest find it spent (the SDK sends nothing on an aborted signal).
        for (let i = 0; i < 4; i++) await read().catch((error: unknown) => errors.push(error));
      })(),
    );
    deadline.dispose();
    base.client.destroy();
    expect(errors).toHaveLength(4);
    for (const error of errors) expectEndedByDeadline(error);
    expect(made).toBeLessThanOrEqual(1);
  });

  it('takes the Lambda remaining time less a margin when that is shorter than the budget', () => {
    jest.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') });
    try {
      const deadline = Deadline.forRequest(1000, 2000);
      expect(deadline.remainingMs()).toBe(1000 - LAMBDA_MARGIN_MS);
      expect(Deadline.forRequest(5000, 2000).remainingMs()).toBe(2000);
      deadline.dispose();
      expect(deadline.signal.aborted).toBe(true);
    } finally {
      jest.useRealTimers();
    }
  });
});
