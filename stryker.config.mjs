// Mutation testing of the security-critical modules (docs/mutation.md): npm run test:mutation.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: [
    // Token issue and verify, keys and their rotation.
    'lib/access/tokens.ts',
    'lib/access/authenticate.ts',
    'lib/access/policy.ts',
    'lib/access/signing-keys.ts',
    'lib/access/secret-keys.ts',
    'lib/access/rotation.ts',
    'lib/access/keys.ts',
    'lib/access/key-source.ts',
    'lib/account/session-tokens.ts',
    // The authorizer (its decision cache is DecisionCache in authenticate.ts) and session liveness.
    'handlers/access/authorizer.ts',
    'lib/store/live-session.ts',
    'lib/store/sessions.ts',
    // Refresh rotation.
    'lib/account/refresh.ts',
    'lib/store/refresh-tokens.ts',
    // Sign-in and lockout.
    'lib/account/sign-in.ts',
    'lib/account/lockout.ts',
    'lib/store/attempts.ts',
    // Email tokens.
    'lib/store/email-tokens.ts',
    'lib/account/email-links.ts',
    // MFA: TOTP, recovery codes, challenges.
    'lib/account/mfa.ts',
    'lib/account/totp.ts',
    'lib/store/mfa.ts',
    // Cookies and CSRF: the rule, its call sites, and where a request's `via` comes from.
    'lib/http/cookies.ts',
    'lib/http/caller.ts',
    'lib/http/handler.ts:58-78',
    'lib/http/request.ts:32-44',
    // Pagination cursors.
    'lib/store/cursor.ts',
  ],
  testRunner: 'jest',
  jest: { projectType: 'custom', configFile: 'tests/mutation/jest.config.js', enableFindRelatedTests: true },
  coverageAnalysis: 'perTest',
  // Static mutants (module-level values, run once at import) cannot be told apart per test: each needs the
  // whole unit + integration run (~2 min here), ~230 of them. They are reported as Ignored, not scored;
  // `npm run test:mutation -- --ignoreStatic false` tests them (hours). See docs/mutation.md.
  ignoreStatic: true,
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  // The machine is shared: two test runners at most (and npm run test:mutation runs Stryker niced).
  concurrency: 2,
  incremental: true,
  incrementalFile: 'reports/mutation/stryker-incremental.json',
  reporters: ['clear-text', 'html', 'json', 'progress'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { allowColor: false, logTests: false },
  tempDirName: 'reports/mutation/.stryker-tmp',
  // Integration tests talk to DynamoDB Local and run bcrypt: allow for a loaded machine.
  timeoutMS: 30_000,
  timeoutFactor: 2,
  thresholds: { high: 90, low: 85, break: null },
};
