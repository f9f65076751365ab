import { handler as authorizer } from '../../handlers/access/authorizer';
import { handler as mailer } from '../../handlers/email/mailer';
import { handler as me } from '../../handlers/account/me';
import { httpHandler } from '../../lib/http/handler';
import type { MailJob } from '../../lib/email/queue';
import { logger } from '../../lib/shared/log';
import { isWarmUp, WARM_UP_EVENT } from '../../lib/shared/warm-up';
import { apiEvent } from '../../scripts/lambda-events';

// `npm start` and every test stack invoke each function once with WARM_UP_EVENT (scripts/local-stack.ts), which
// used to log `"route":"undefined undefined","status":401` per function: a refusal that no client made.
describe('the warm-up invocation', () => {
  const levels = ['debug', 'info', 'warn', 'error'] as const;
  let spies: Record<(typeof levels)[number], jest.SpyInstance>;
  beforeEach(() => {
    spies = Object.fromEntries(levels.map((level) => [level, jest.spyOn(logger, level).mockImplementation(() => undefined)])) as typeof spies;
  });
  afterEach(() => jest.restoreAllMocks());
  const lines = () => Object.fromEntries(levels.map((level) => [level, spies[level].mock.calls.map(([message]) => message)]));

  it('is recognised by an HTTP function, which runs nothing and logs one DEBUG "warm-up" line, no request', async () => {
    let ran = 0;
    const handler = httpHandler(async () => {
      ran++;
      return { text: 'ran' };
    });
    expect(await handler(WARM_UP_EVENT as never)).toEqual({ statusCode: 204, headers: {}, body: '' });
    expect(ran).toBe(0);
    expect(lines()).toEqual({ debug: ['warm-up'], info: [], warn: [], error: [] });
  });

  it('is no refusal of a protected route, the authorizer or the mailer either', async () => {
    await me(WARM_UP_EVENT as never);
    const denied = await authorizer(WARM_UP_EVENT as never);
    // Denied all the same: a warm-up is never a way in. No methodArn: the policy's stage is the wildcard,
    // and the message names the warm-up, so a deny seen in a log is not taken for a client's refusal.
    expect(denied).toEqual({
      principalId: 'anonymous',
      policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: '/*/*' }] },
      context: { message: 'warm-up' },
    });
    expect(await mailer(WARM_UP_EVENT as unknown as MailJob)).toBe('warm-up');
    expect(lines()).toEqual({ debug: ['warm-up', 'warm-up', 'warm-up'], info: [], warn: [], error: [] });
  });

  it('leaves real refusals logged: a gateway event is never taken for a warm-up, whatever its body says', async () => {
    const forged = { ...apiEvent({ method: 'GET', path: '/api/auth/me' }), warmUp: true };
    expect(isWarmUp(forged)).toBe(false);
    expect(isWarmUp({})).toBe(false);
    expect((await me(forged)).statusCode).toBe(401);
    expect(lines().info).toEqual(['request']);
    expect(spies.info.mock.calls[0]![1]).toMatchObject({ route: 'GET /api/auth/me', status: 401, outcome: 'refused' });
  });
});
