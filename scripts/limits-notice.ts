import { type Config, INTEGER_SETTINGS } from '../lib/shared/config';

/** What a developer sets to stop meeting production's limits on the local stage (docs/configuration.md). */
export const RELAXED_LIMITS = { EMAIL_IP_THRESHOLD: 1000, LOCKOUT_THRESHOLD: 50, LOCKOUT_IP_THRESHOLD: 10_000, SIGNUP_IP_THRESHOLD: 0 } as const;

/**
 * The block `npm start` prints once after "API ready": the limits in force, how to relax them for
 * development, and how to lift a lockout now. Production's limits stay the default everywhere.
 */
export function limitsNotice(config: Config): string {
  const window = (seconds: number) => (seconds % 3600 === 0 ? `${seconds / 3600} h` : seconds % 60 === 0 ? `${seconds / 60} min` : `${seconds} s`);
  const inForce: Record<keyof typeof RELAXED_LIMITS, number> = {
    EMAIL_IP_THRESHOLD: config.emailIpThreshold,
    LOCKOUT_THRESHOLD: config.lockoutThreshold,
    LOCKOUT_IP_THRESHOLD: config.lockoutIpThreshold,
    SIGNUP_IP_THRESHOLD: config.signupIpThreshold,
  };
  const defaults = Object.entries(inForce).every(([name, value]) => value === INTEGER_SETTINGS[name as keyof typeof inForce].fallback);
  const signups = config.signupIpThreshold === 0 ? 'no limit' : `${config.signupIpThreshold} per IP per ${window(config.signupIpWindowSeconds)}`;
  const relax = Object.entries(RELAXED_LIMITS)
    .map(([name, value]) => `${name}=${value}`)
    .join(' ');
  return [
    `Limits${defaults ? " (production's defaults)" : ''}: sign-in ${config.lockoutThreshold} per username and ${config.lockoutIpThreshold} per IP per ${window(config.lockoutWindowSeconds)}; forgot/resend ${config.emailIpThreshold} per IP per ${window(config.emailIpWindowSeconds)}; sign-up ${signups}.`,
    `  Relax them for development: ${relax} npm start`,
    '  Locked out now? `npm run limits:clear` lifts every lockout and mail limit at once, no restart (docs/configuration.md, "Limits during development").',
  ].join('\n');
}
