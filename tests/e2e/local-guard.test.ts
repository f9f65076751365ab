import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { processTree } from '../../scripts/process-tree';
import { gateway } from '../support/gateway';

// The local stage against web pages and the network (deploy/offline/local-guard.cjs): serverless-offline's
// Lambda invoke endpoint runs any function with any authorizer context, so no browser request may reach
// it; the API port, DynamoDB Local and the SES emulator answer only loopback host names (DNS rebinding);
// and nothing the stack runs listens beyond loopback. Raw HTTP, so every header is ours to set.
function raw(base: string, method: string, path: string, headers: Record<string, string>, body?: string) {
  const url = new URL(`${base}${path}`);
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const request = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method,
        headers: { ...headers, ...(body ? { 'content-length': Buffer.byteLength(body) } : {}) },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

const lambda = () => process.env.E2E_LAMBDA_URL!;
const api = () => process.env.E2E_URL!;
const port = (base: string) => new URL(base).port;
// The forged event of the report: admin roles in an authorizer context nobody verified.
const forged = JSON.stringify({
  httpMethod: 'GET',
  path: '/api/test/admin',
  headers: {},
  requestContext: { authorizer: { userId: 'x', sessionId: 'y', roles: '["admin","user"]' } },
});
const invokePath = '/2015-03-31/functions/lambda-jwt-auth-local-adminContent/invocations';

describe('the local Lambda invoke endpoint', () => {
  it.each([
    ['a cross-site page (Origin)', { origin: 'http://evil.example' }],
    ['a browser without Origin (Sec-Fetch-Site)', { 'sec-fetch-site': 'cross-site' }],
    ['a same-site browser request', { 'sec-fetch-site': 'same-site', origin: 'http://localhost:8081' }],
    ['a rebound name (Host)', { host: 'evil.example' }],
    ['a rebound name on the right port', { host: `evil.example:${port(lambda())}` }],
  ])('refuses %s', async (_, headers) => {
    const answer = await raw(lambda(), 'POST', invokePath, { 'content-type': 'text/plain', ...headers }, forged);
    expect(answer.status).toBe(403);
    expect(answer.text).not.toContain('Admin Content.');
  });

  it('still runs functions for local tools (the authorizer emulation, the AWS SDK and CLI send no browser headers)', async () => {
    const event = JSON.stringify({ httpMethod: 'GET', path: '/api/test/all', headers: {}, requestContext: {} });
    const answer = await raw(
      lambda(),
      'POST',
      '/2015-03-31/functions/lambda-jwt-auth-local-publicContent/invocations',
      { 'content-type': 'application/json' },
      event,
    );
    expect(answer.status).toBe(200);
    expect(answer.text).toContain('Public Content.');
  });
});

describe('the local API port', () => {
  it('refuses a Host that is not a local name, and serves the local ones', async () => {
    expect(await raw(api(), 'GET', '/api/test/all', { host: `evil.example:${port(api())}` })).toMatchObject({
      status: 403,
      text: '{"message":"Host not allowed."}',
    });
    for (const host of [`localhost:${port(api())}`, `127.0.0.1:${port(api())}`]) {
      expect(await raw(api(), 'GET', '/api/test/all', { host })).toMatchObject({ status: 200, text: 'Public Content.' });
    }
  });

  it('has no invoke route of its own', async () => {
    const answer = await raw(api(), 'POST', invokePath, { 'content-type': 'text/plain' }, forged);
    // No route: the gateway's own answer (support/gateway.ts), never the function.
    expect(answer.status).toBe(gateway().unknownRoute.status);
    expect(answer.text).not.toContain('Admin Content.');
  });
});

// DynamoDB Local accepts any signature: a well-formed request with a made-up one is all it takes.
const listTables = {
  'content-type': 'application/x-amz-json-1.0',
  'x-amz-target': 'DynamoDB_20120810.ListTables',
  authorization: 'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00',
};
const dynamo = () => process.env.E2E_DYNAMODB_ENDPOINT!;
const ses = () => process.env.E2E_SES_URL!;

describe('the local DynamoDB port', () => {
  it('refuses a Host that is not a loopback name, and serves loopback ones', async () => {
    for (const host of [`evil.example:${port(dynamo())}`, 'evil.example', `localhost.evil.example:${port(dynamo())}`]) {
      const answer = await raw(dynamo(), 'POST', '/', { ...listTables, host }, '{}');
      expect(answer).toEqual({ status: 403, text: '{"message":"Host not allowed."}' });
    }
    for (const host of [`localhost:${port(dynamo())}`, `127.0.0.1:${port(dynamo())}`]) {
      const answer = await raw(dynamo(), 'POST', '/', { ...listTables, host }, '{}');
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.text)).toMatchObject({ TableNames: expect.arrayContaining([process.env.E2E_TABLE_NAME]) });
    }
  });

  it('answers no browser, even on a loopback name (it takes any signature)', async () => {
    const browsers: Record<string, string>[] = [{ origin: 'http://evil.example' }, { origin: 'http://localhost:8081' }, { 'sec-fetch-site': 'cross-site' }];
    for (const headers of browsers) {
      const answer = await raw(dynamo(), 'POST', '/', { ...listTables, ...headers }, '{}');
      expect(answer).toEqual({ status: 403, text: '{"message":"DynamoDB Local does not answer browsers."}' });
    }
    // The preflight a cross-site fetch would need gets no CORS answer either.
    const preflight = await raw(dynamo(), 'OPTIONS', '/', { origin: 'http://evil.example', 'access-control-request-method': 'POST' });
    expect(preflight.status).toBe(403);
  });
});

describe('the local SES emulator port', () => {
  it('refuses a Host that is not a loopback name (reset links are in /store), and serves loopback ones', async () => {
    const refused = await raw(ses(), 'GET', '/store', { host: `evil.example:${port(ses())}` });
    expect(refused).toEqual({ status: 403, text: '{"message":"Host not allowed."}' });
    for (const host of [`localhost:${port(ses())}`, `127.0.0.1:${port(ses())}`]) {
      const answer = await raw(ses(), 'GET', '/store', { host });
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.text)).toHaveProperty('emails');
    }
  });

  it("answers its own web UI and no other page's request, which changes nothing", async () => {
    const count = async () => (JSON.parse((await raw(ses(), 'GET', '/store', {})).text) as { emails: unknown[] }).emails.length;
    const before = await count();
    const refused = await raw(ses(), 'POST', '/clear-store', { origin: 'http://evil.example', host: `127.0.0.1:${port(ses())}` });
    expect(refused).toEqual({ status: 403, text: '{"message":"The SES emulator answers only its own pages."}' });
    // Other test files only add mail, never clear it.
    expect(await count()).toBeGreaterThanOrEqual(before);
    // The UI's own same-origin request (a read here, so the other files' mail stays).
    expect((await raw(ses(), 'GET', '/store', { origin: `http://localhost:${port(ses())}`, host: `localhost:${port(ses())}` })).status).toBe(200);
  });
});

// Linux's view of listening TCP sockets: /proc/net/tcp{,6} by socket inode, /proc/<pid>/fd for whose they are.
function listeningSockets(): Map<string, { address: string; port: number }> {
  const sockets = new Map<string, { address: string; port: number }>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(file, 'utf8').trim().split('\n').slice(1)) {
      const [, local, , state, , , , , , inode] = line.trim().split(/\s+/);
      if (state !== '0A' || !local || !inode) continue; // 0A: LISTEN
      const [hex, portHex] = local.split(':') as [string, string];
      sockets.set(inode, { address: decodeAddress(hex), port: Number.parseInt(portHex, 16) });
    }
  }
  return sockets;
}

/** The kernel prints each 32-bit word of the address in host order (little-endian here). */
function decodeAddress(hex: string): string {
  const bytes = (hex.match(/.{8}/g) ?? []).flatMap((word) => Buffer.from(word, 'hex').reverse().toJSON().data);
  if (bytes.length === 4) return bytes.join('.');
  const mapped = bytes.slice(0, 10).every((byte) => byte === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (mapped) return `::ffff:${bytes.slice(12).join('.')}`;
  return Array.from({ length: 8 }, (_, i) => ((bytes[2 * i]! << 8) | bytes[2 * i + 1]!).toString(16)).join(':');
}

function isLoopback(address: string): boolean {
  return /^(::ffff:)?127\./.test(address) || address === '0:0:0:0:0:0:0:1';
}

function socketInodes(pid: number): string[] {
  try {
    return readdirSync(`/proc/${pid}/fd`).flatMap((fd) => {
      try {
        return /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.slice(1) ?? [];
      } catch {
        return [];
      }
    });
  } catch {
    return [];
  }
}

(process.platform === 'linux' ? describe : describe.skip)('every port the local stack listens on', () => {
  it('is bound to a loopback address (DynamoDB Local, the SES emulator, the API and the Lambda endpoint, and whatever they run)', () => {
    const listening = listeningSockets();
    const found = processTree(Number(process.env.E2E_STACK_PID)).flatMap((pid) =>
      socketInodes(pid).flatMap((inode) => {
        const socket = listening.get(inode);
        return socket ? [{ pid, command: readFileSync(`/proc/${pid}/comm`, 'utf8').trim(), ...socket }] : [];
      }),
    );
    // Not vacuous: the four ports the stack announces are among them.
    const ports = new Set(found.map((socket) => socket.port));
    for (const base of [api(), lambda(), dynamo(), ses()]) expect(ports).toContain(Number(port(base)));
    expect(found.filter((socket) => !isLoopback(socket.address))).toEqual([]);
  });
});
