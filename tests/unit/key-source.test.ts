import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

// A deployed stage reads its key parts from SSM Parameter Store, which has no local emulator. This is a
// stand-in for SSM's JSON protocol on loopback (the fault injection the rules allow: it can hang or answer
// an empty value on demand), reached by the real SDK client through AWS_ENDPOINT_URL_SSM.
jest.setTimeout(30_000);

type Answer = { value: string } | 'hang';
let server: Server;
let answer: Answer;
const requests: { target: string | undefined; body: unknown }[] = [];
const hanging = new Set<ServerResponse>();
let readKeyPart: typeof import('../../lib/access/key-source').readKeyPart;
const saved = { ...process.env };
const PARAMETER = '/lambda-jwt-auth/test/public-keys';

function ssm(request: IncomingMessage, response: ServerResponse): void {
  let body = '';
  request.on('data', (chunk: Buffer) => {
    body += chunk.toString();
  });
  request.on('end', () => {
    requests.push({ target: request.headers['x-amz-target'] as string | undefined, body: JSON.parse(body) });
    if (answer === 'hang') {
      hanging.add(response);
      return;
    }
    response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
    response.end(JSON.stringify({ Parameter: { Name: PARAMETER, Type: 'SecureString', Value: answer.value } }));
  });
}

beforeAll(async () => {
  server = createServer(ssm).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  Object.assign(process.env, {
    PUBLIC_KEYS_PARAM: PARAMETER,
    AWS_ENDPOINT_URL_SSM: `http://127.0.0.1:${port}`,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  });
  delete process.env.PUBLIC_KEYS;
  delete process.env.PUBLIC_KEYS_FILE;
  ({ readKeyPart } = await import('../../lib/access/key-source'));
});
beforeEach(() => {
  requests.length = 0;
});
afterAll(async () => {
  process.env = saved;
  for (const response of hanging) response.destroy();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('a key part stored in SSM', () => {
  it('is read by its parameter name, decrypted (a SecureString is ciphertext otherwise)', async () => {
    answer = { value: '{"keys":[]}' };
    await expect(readKeyPart('public')).resolves.toBe('{"keys":[]}');
    expect(requests).toEqual([{ target: 'AmazonSSM.GetParameter', body: { Name: PARAMETER, WithDecryption: true } }]);
  });

  it('is an error naming the parameter when it is empty, never an empty key set', async () => {
    answer = { value: '' };
    await expect(readKeyPart('public')).rejects.toThrow(`SSM parameter ${PARAMETER} is empty`);
  });

  it('gives up after two attempts that each time out, instead of holding the request', async () => {
    // Without the client's timeouts a hung SSM would hold the load for as long as the Lambda runs.
    answer = 'hang';
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('still waiting for SSM after 15 s')), 15_000);
    });
    try {
      await expect(Promise.race([readKeyPart('public'), deadline])).rejects.toMatchObject({ name: 'TimeoutError' });
    } finally {
      clearTimeout(timer);
    }
    expect(requests).toHaveLength(2);
  });
});
