import { createHash, createHmac } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { SourceData } from '@smithy/types';
import { Deadline } from '../../lib/shared/deadline';
import { itemKeys } from '../../lib/store/item-keys';
import { createSessionChecker } from '../../lib/store/live-session';

// The authorizer's session check (lib/store/live-session.ts) is a SigV4-signed fetch, not the SDK.
// DynamoDB Local checks neither signatures nor most headers, so what it cannot tell apart is checked
// here, against a stand-in for DynamoDB's JSON protocol on loopback (the fault injection the rules
// allow: it answers the statuses it is told to, in order): the request's method, headers and body, its
// signature (re-signed with @smithy/signature-v4, the SDK's own signer, and compared), and the retries.
// The liveness of real items is the integration tier's (tests/integration/authorizer.test.ts).
const TABLE = 'sessions-table';
const NOW = 1_800_000_000;
const USER = 'user-1';
const SESSION = 'session-1';

type Seen = { url: string; method: string; headers: IncomingMessage['headers']; body: string };
type Answer = number | { status: 200; json: unknown };
let server: Server;
let local: string;
let answers: Answer[] = [];
const seen: Seen[] = [];

/** What DynamoDB answers when both items are there and the session is live. */
const liveItems = () => ({
  Responses: {
    [TABLE]: [
      { sk: { S: itemKeys.session(USER, SESSION).sk }, expiresAt: { N: String(NOW + 60) }, credVersion: { N: '2' } },
      { sk: { S: itemKeys.user(USER).sk }, credVersion: { N: '2' } },
    ],
  },
  UnprocessedKeys: {},
});

function dynamodb(request: IncomingMessage, response: ServerResponse): void {
  let body = '';
  request.on('data', (chunk: Buffer) => {
    body += chunk.toString();
  });
  request.on('end', () => {
    seen.push({ url: request.url ?? '', method: request.method ?? '', headers: request.headers, body });
    const answer = answers.shift() ?? 200;
    const status = typeof answer === 'number' ? answer : answer.status;
    const json =
      typeof answer === 'number' ? (status === 200 ? liveItems() : { __type: 'com.amazonaws.dynamodb.v20120810#Fault', message: 'injected' }) : answer.json;
    response.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
    response.end(JSON.stringify(json));
  });
}

beforeAll(async () => {
  server = createServer(dynamodb).listen(0, '127.0.0.1');
  await once(server, 'listening');
  local = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
beforeEach(() => {
  seen.length = 0;
  answers = [];
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** node:crypto as the signer's hash (a keyed one is the HMAC). */
const bytes = (data: SourceData) =>
  typeof data === 'string' ? data : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
class Sha256 {
  private readonly hash;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

/**
 * The Authorization header the SDK's signer computes for the received request, over the headers the
 * request says it signed, for `host` (the host it was addressed to), these credentials, service and region.
 */
async function expectedAuthorization(
  request: Seen,
  host: string,
  signing: { accessKeyId: string; secretAccessKey: string; sessionToken?: string; service: string; region: string },
): Promise<string> {
  const signedHeaders = /SignedHeaders=([^,]+)/.exec(String(request.headers.authorization))?.[1]?.split(';') ?? [];
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) headers[name] = name === 'host' ? host : String(request.headers[name]);
  const amzDate = String(request.headers['x-amz-date']);
  const signingDate = new Date(
    `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
  );
  const { service, region, ...credentials } = signing;
  const signer = new SignatureV4({ credentials, service, region, sha256: Sha256, applyChecksum: false });
  const signed = await signer.sign(
    { method: request.method, protocol: 'https:', hostname: host, path: request.url.split('?')[0] ?? '/', query: {}, headers, body: request.body },
    { signingDate },
  );
  return String(signed.headers.authorization);
}

const expectedBody = {
  RequestItems: {
    [TABLE]: {
      Keys: [itemKeys.session(USER, SESSION), itemKeys.user(USER)].map(({ pk, sk }) => ({ pk: { S: pk }, sk: { S: sk } })),
      ConsistentRead: true,
      ProjectionExpression: 'sk, revokedAt, expiresAt, credVersion',
    },
  },
};

/** Runs one check under its own deadline (disposed after), so nothing outlives the test. */
async function check(settings: { region: string; dynamodbEndpoint: string | undefined }, env: Record<string, string | undefined> = {}) {
  const deadline = Deadline.forRequest(undefined, 5000);
  try {
    return await createSessionChecker({ tableName: TABLE, ...settings }, env)(USER, SESSION, NOW, deadline);
  } finally {
    deadline.dispose();
  }
}

describe("the authorizer's session check, as a request", () => {
  it("goes to the region's DynamoDB endpoint, signed for DynamoDB there with the environment's credentials and session token", async () => {
    // A deployed authorizer has no endpoint setting: the regional endpoint is https, so the one fetch is
    // routed to the stand-in (its URL recorded); everything the request carries is the checker's own.
    const realFetch = globalThis.fetch;
    const addressed: string[] = [];
    globalThis.fetch = ((url: string | URL, init?: RequestInit) => {
      addressed.push(String(url));
      const target = new URL(String(url));
      return realFetch(`${local}${target.pathname}${target.search}`, init);
    }) as typeof fetch;
    const env = { AWS_ACCESS_KEY_ID: 'ASIAROLEKEY', AWS_SECRET_ACCESS_KEY: 'role-secret', AWS_SESSION_TOKEN: 'role-session-token' };
    try {
      await expect(check({ region: 'eu-west-3', dynamodbEndpoint: undefined }, env)).resolves.toBe(true);
    } finally {
      globalThis.fetch = realFetch;
    }
    expect(addressed).toEqual(['https://dynamodb.eu-west-3.amazonaws.com/']);
    expect(seen).toHaveLength(1);
    const [request] = seen as [Seen];
    expect({
      method: request.method,
      contentType: request.headers['content-type'],
      target: request.headers['x-amz-target'],
      token: request.headers['x-amz-security-token'],
      body: JSON.parse(request.body) as unknown,
    }).toEqual({
      method: 'POST',
      contentType: 'application/x-amz-json-1.0',
      target: 'DynamoDB_20120810.BatchGetItem',
      token: 'role-session-token',
      body: expectedBody,
    });
    expect(request.headers.authorization).toMatch(/SignedHeaders=[^,]*x-amz-security-token/);
    expect(request.headers.authorization).toMatch(/SignedHeaders=[^,]*x-amz-target/);
    expect(request.headers.authorization).toBe(
      await expectedAuthorization(request, 'dynamodb.eu-west-3.amazonaws.com', {
        accessKeyId: 'ASIAROLEKEY',
        secretAccessKey: 'role-secret',
        sessionToken: 'role-session-token',
        service: 'dynamodb',
        region: 'eu-west-3',
      }),
    );
  });

  it("signs for a local endpoint with the fixed local credentials, never the environment's", async () => {
    // As lib/store/table.ts does: a developer's real keys stay out of DynamoDB Local.
    const env = { AWS_ACCESS_KEY_ID: 'AKIAREALKEY', AWS_SECRET_ACCESS_KEY: 'real-secret', AWS_SESSION_TOKEN: 'real-token' };
    await expect(check({ region: 'us-east-1', dynamodbEndpoint: local }, env)).resolves.toBe(true);
    expect(seen).toHaveLength(1);
    const [request] = seen as [Seen];
    expect(request.headers['x-amz-security-token']).toBeUndefined();
    expect(request.headers.authorization).toBe(
      await expectedAuthorization(request, new URL(local).host, { accessKeyId: 'local', secretAccessKey: 'local', service: 'dynamodb', region: 'us-east-1' }),
    );
  });

  it.each<[string, number[]]>([
    ['a 500', [500]],
    ['a 503 and a throttle (429)', [503, 429]],
    ['a throttle (429)', [429]],
  ])('asks again after %s, and answers from the attempt that succeeds', async (_, failures) => {
    answers = [...failures, 200];
    await expect(check({ region: 'us-east-1', dynamodbEndpoint: local })).resolves.toBe(true);
    expect(seen).toHaveLength(failures.length + 1);
    // Each attempt is the same request.
    expect(new Set(seen.map((request) => request.body)).size).toBe(1);
  });

  it.each([500, 429])('gives up after three attempts that each answer %i, failing with that status', async (status) => {
    answers = [status, status, status, status, status];
    await expect(check({ region: 'us-east-1', dynamodbEndpoint: local })).rejects.toThrow(`session check failed with HTTP ${status}`);
    expect(seen).toHaveLength(3);
  });

  it.each([400, 403])('fails on a %i at once: a refused request is not asked again', async (status) => {
    answers = [status];
    await expect(check({ region: 'us-east-1', dynamodbEndpoint: local })).rejects.toThrow(`session check failed with HTTP ${status}`);
    expect(seen).toHaveLength(1);
  });

  it('asks once when the first answer is a success', async () => {
    await expect(check({ region: 'us-east-1', dynamodbEndpoint: local })).resolves.toBe(true);
    expect(seen).toHaveLength(1);
  });

  it('fails closed on a partial answer (keys left unprocessed), never reading what came back as the whole', async () => {
    const { Responses } = liveItems();
    answers = [
      {
        status: 200,
        json: { Responses: { [TABLE]: [Responses[TABLE][0]] }, UnprocessedKeys: { [TABLE]: { Keys: [expectedBody.RequestItems[TABLE].Keys[1]] } } },
      },
    ];
    await expect(check({ region: 'us-east-1', dynamodbEndpoint: local })).rejects.toThrow('session check incomplete');
    expect(seen).toHaveLength(1);
  });
});
