import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../lib/shared/config';
import { limitsNotice, RELAXED_LIMITS } from '../../scripts/limits-notice';

// The block `npm start` prints after "API ready" (docs/configuration.md, "Limits during development").
const relaxed = Object.fromEntries(Object.entries(RELAXED_LIMITS).map(([name, value]) => [name, String(value)]));

describe('the limits notice of npm start', () => {
  it("names production's limits, the command that relaxes them, and how to clear them now", () => {
    expect(limitsNotice(loadConfig({ TABLE_NAME: 't' })).split('\n')).toEqual([
      "Limits (production's defaults): sign-in 5 per username and 100 per IP per 15 min; forgot/resend 20 per IP per 1 h; sign-up 100 per IP per 1 h.",
      '  Relax them for development: EMAIL_IP_THRESHOLD=1000 LOCKOUT_THRESHOLD=50 LOCKOUT_IP_THRESHOLD=10000 SIGNUP_IP_THRESHOLD=0 npm start',
      '  Locked out now? `npm run limits:clear` lifts every lockout and mail limit at once, no restart (docs/configuration.md, "Limits during development").',
    ]);
  });

  it('suggests only values config.ts accepts, and shows them in force once set', () => {
    const config = loadConfig({ TABLE_NAME: 't', ...relaxed });
    expect(limitsNotice(config).split('\n')[0]).toBe(
      'Limits: sign-in 50 per username and 10000 per IP per 15 min; forgot/resend 1000 per IP per 1 h; sign-up no limit.',
    );
  });

  it('is the block docs/configuration.md shows', () => {
    const page = readFileSync(join(__dirname, '../../docs/configuration.md'), 'utf8');
    expect(page).toContain(limitsNotice(loadConfig({ TABLE_NAME: 't' })));
  });
});
