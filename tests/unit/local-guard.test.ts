// The local stage's guard (deploy/offline/local-guard.cjs), as a pure decision; tests/e2e/local-guard.test.ts
// checks it on the running servers.
const { refusal, allowedApiHosts } = require('../../deploy/offline/local-guard.cjs') as {
  refusal: (
    headers: Record<string, string | undefined>,
    options: { server: 'lambda' | 'api' | 'dynamodb' | 'ses'; port: number; allowedHosts?: Set<string> },
  ) => string | undefined;
  allowedApiHosts: (env: Record<string, string | undefined>) => Set<string>;
};

describe('local guard', () => {
  const lambda = { server: 'lambda' as const, port: 3002 };

  it('lets local tools call the invoke endpoint, and nothing a browser sends', () => {
    expect(refusal({ host: '127.0.0.1:3002' }, lambda)).toBeUndefined();
    expect(refusal({ host: 'localhost:3002' }, lambda)).toBeUndefined();
    expect(refusal({ host: '127.0.0.1:3002', origin: 'null' }, lambda)).toMatch(/browsers/);
    expect(refusal({ host: '127.0.0.1:3002', 'sec-fetch-site': 'none' }, lambda)).toMatch(/browsers/);
    expect(refusal({ host: '127.0.0.1:9999' }, lambda)).toMatch(/only 127\.0\.0\.1 and localhost/);
    expect(refusal({ host: 'evil.example:3002' }, lambda)).toMatch(/only 127\.0\.0\.1 and localhost/);
    expect(refusal({}, lambda)).toMatch(/only 127\.0\.0\.1 and localhost/);
  });

  it('allows local names on the API port, and more only when configured', () => {
    const api = { server: 'api' as const, port: 8080 };
    for (const host of ['localhost:8080', '127.0.0.1:8080', '[::1]:8080', 'LOCALHOST', '127.0.0.2:8080', '127.255.0.9'])
      expect(refusal({ host }, api)).toBeUndefined();
    expect(refusal({ host: 'evil.example:8080' }, api)).toBe('Host not allowed.');
    expect(refusal({ host: 'localhost.evil.example' }, api)).toBe('Host not allowed.');
    for (const host of ['127.0.0.256', '127.0.0.1.evil.example', '128.0.0.1', '0.0.0.0', '[::]']) expect(refusal({ host }, api)).toBe('Host not allowed.');
    const allowedHosts = allowedApiHosts({ LOCAL_ALLOWED_HOSTS: 'dev.example.test, 192.168.1.20' });
    expect(refusal({ host: 'dev.example.test:8080' }, { ...api, allowedHosts })).toBeUndefined();
    expect(refusal({ host: '192.168.1.20:8080' }, { ...api, allowedHosts })).toBeUndefined();
    expect(refusal({ host: 'evil.example' }, { ...api, allowedHosts })).toBe('Host not allowed.');
  });

  it('gives DynamoDB Local the same loopback names, and no browser at all', () => {
    const dynamodb = { server: 'dynamodb' as const, port: 8000 };
    for (const host of ['localhost:8000', '127.0.0.1:8000', '[::1]:8000', '127.0.0.5:8000']) expect(refusal({ host }, dynamodb)).toBeUndefined();
    expect(refusal({ host: 'evil.example:8000' }, dynamodb)).toBe('Host not allowed.');
    expect(refusal({}, dynamodb)).toBe('Host not allowed.');
    expect(refusal({ host: '127.0.0.1:8000', origin: 'http://localhost:8000' }, dynamodb)).toBe('DynamoDB Local does not answer browsers.');
    expect(refusal({ host: '127.0.0.1:8000', 'sec-fetch-site': 'same-origin' }, dynamodb)).toBe('DynamoDB Local does not answer browsers.');
    const allowedHosts = allowedApiHosts({ LOCAL_ALLOWED_HOSTS: 'dev.example.test' });
    expect(refusal({ host: 'dev.example.test:8000' }, { ...dynamodb, allowedHosts })).toBeUndefined();
  });

  it('lets the SES emulator answer its own web UI, and no other page', () => {
    const sesPort = { server: 'ses' as const, port: 8005 };
    expect(refusal({ host: 'localhost:8005' }, sesPort)).toBeUndefined();
    expect(refusal({ host: 'localhost:8005', origin: 'http://localhost:8005', 'sec-fetch-site': 'same-origin' }, sesPort)).toBeUndefined();
    expect(refusal({ host: 'evil.example:8005' }, sesPort)).toBe('Host not allowed.');
    for (const origin of ['http://evil.example', 'http://localhost:8080', 'http://127.0.0.1:8005', 'null']) {
      expect(refusal({ host: 'localhost:8005', origin }, sesPort)).toBe('The SES emulator answers only its own pages.');
    }
  });
});
