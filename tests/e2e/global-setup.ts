import { newKeySet } from '../../lib/access/signing-keys';
import { startApiStack } from '../../scripts/local-stack';
import { newUser } from '../support/data';
import { withAdmin } from '../support/stack';

/**
 * The real thing, private to this run: DynamoDB Local and serverless-offline on free ports, a signing
 * key made for the run, and an admin created the way `npm start` creates one.
 */
export default async function globalSetup(): Promise<void> {
  const keySet = await newKeySet('e2e-key');
  const admin = newUser('admin');
  let issuer = '';
  let audience = '';
  const stack = await startApiStack({
    keySet,
    env: {
      // Low for speed, high enough that one compare (~20 ms) stands out of HTTP noise in the timing test.
      BCRYPT_COST: '8',
      CORS_ORIGIN: 'http://localhost:8081',
      // A short cache lifetime so the tests can watch revocations arrive.
      AUTHORIZER_CACHE: 'function',
      AUTHORIZER_CACHE_TTL: '2',
      LOCKOUT_THRESHOLD: '5',
      // High enough that the rest of the suite (all from 127.0.0.1) never meets it within one window; the
      // per-IP test seeds its counter near the threshold instead of sending that many sign-ins.
      LOCKOUT_IP_THRESHOLD: '2000',
      // Longer than any burst a test sends, so no burst straddles two windows on a slow machine (a 4 s
      // window once let 11 codes through in a burst of 15). Tests that need a window to end end it in
      // the table (the counter's expiresAt), not by waiting; window arithmetic is the integration tier's.
      LOCKOUT_WINDOW: '60',
      // Mail requests per IP: the tests that ask for mail each send from loopback addresses of their own.
      EMAIL_IP_THRESHOLD: '5',
      EMAIL_IP_WINDOW: '60',
      // Sign-ups per IP: above EMAIL_IP_THRESHOLD, so a test can see a sign-up whose link is withheld.
      // The support's signUp() sends each from a loopback address of its own.
      SIGNUP_IP_THRESHOLD: '8',
      SIGNUP_IP_WINDOW: '60',
      APP_URL: 'http://localhost:8081',
    },
    prepare: withAdmin(admin, (config) => {
      ({ issuer, audience } = config);
    }),
  });
  const { env, database } = stack;
  Object.assign(globalThis, { __stack: stack });
  Object.assign(process.env, {
    E2E_URL: stack.url,
    E2E_LAMBDA_URL: stack.lambdaUrl,
    E2E_SES_URL: stack.sesUrl,
    // The process that started the stack: its children are the stack's processes.
    E2E_STACK_PID: String(process.pid),
    E2E_EMAIL_IP_THRESHOLD: env.EMAIL_IP_THRESHOLD,
    E2E_SIGNUP_IP_THRESHOLD: env.SIGNUP_IP_THRESHOLD,
    E2E_KEY_SET: keySet,
    E2E_ADMIN: JSON.stringify(admin),
    E2E_ISSUER: issuer,
    E2E_AUDIENCE: audience,
    E2E_DYNAMODB_ENDPOINT: database.dynamo.endpoint,
    E2E_TABLE_NAME: database.tableName,
    E2E_REVOCATION_BOUND_MS: String(Number(env.AUTHORIZER_CACHE_TTL) * 1000),
    E2E_LOCKOUT_WINDOW_MS: String(Number(env.LOCKOUT_WINDOW) * 1000),
    E2E_LOCKOUT_IP_THRESHOLD: env.LOCKOUT_IP_THRESHOLD,
    E2E_BCRYPT_COST: env.BCRYPT_COST,
  });
}
