import { request as httpRequest } from 'node:http';

// The local stage against web pages (deploy/offline/local-guard.cjs): serverless-offline's Lambda invoke
// endpoint runs any function with any authorizer context, so no browser request may reach it, and the
// API port answers only local host names (DNS rebinding). Raw HTTP, so every header is ours to set.
function raw(base: string, method: string, path: string, headers: Record<string, string>, body?: string) {
  const url = new URL(`${base}${path}`);
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const request = httpRequest({ host: url.hostname, port: url.port, path: url.pathname, method, headers: { ...headers, ...(body ? { 'content-length': Buffer.byteLength(body) } : {}) } }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
    });
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
    const answer = await raw(lambda(), 'POST', '/2015-03-31/functions/lambda-jwt-auth-local-publicContent/invocations', { 'content-type': 'application/json' }, event);
    expect(answer.status).toBe(200);
    expect(answer.text).toContain('Public Content.');
  });
});

describe('the local API port', () => {
  it('refuses a Host that is not a local name, and serves the local ones', async () => {
    expect(await raw(api(), 'GET', '/api/test/all', { host: `evil.example:${port(api())}` })).toMatchObject({ status: 403, text: '{"message":"Host not allowed."}' });
    for (const host of [`localhost:${port(api())}`, `127.0.0.1:${port(api())}`]) {
      expect(await raw(api(), 'GET', '/api/test/all', { host })).toMatchObject({ status: 200, text: 'Public Content.' });
    }
  });

  it('has no invoke route of its own', async () => {
    const answer = await raw(api(), 'POST', invokePath, { 'content-type': 'text/plain' }, forged);
    expect(answer.status).toBe(403);
    expect(answer.text).not.toContain('Admin Content.');
  });
});
