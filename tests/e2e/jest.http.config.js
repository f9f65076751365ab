// The contract files against the HTTP API flavour (API_GATEWAY=http: deploy/config/api-flavour.cjs): the same
// tests, each answer the gateway gives by itself taken from tests/support/gateway.ts. Not here:
// gateway-cache.test.ts starts a REST stack of its own (API Gateway's result cache and its 401, REST's gateway
// responses), and local-guard.test.ts checks the local servers' guard, which no flavour changes; both would
// only add a stack start. The email, events, lockout and MFA files test the functions, which answer alike
// behind either gateway (the handlers' payload 2.0 path is unit-tested). passkeys.test.ts is here: its routes
// are new to both flavours (path parameters, the authorizer on each, the cookie, CSRF and CORS answers), and so
// is federation.test.ts (redirects with a cookie, path parameters, the one-time code's cookie).
process.env.API_GATEWAY = 'http';

const contract = ['tutorial', 'tokens', 'cookies', 'input', 'lifecycle', 'session-edges', 'passkeys', 'federation'];

module.exports = {
  ...require('./jest.config.js'),
  displayName: 'e2e (HTTP API)',
  testMatch: contract.map((name) => `<rootDir>/tests/e2e/${name}.test.ts`),
};
