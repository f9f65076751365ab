'use strict';
/**
 * Packaging or deploying a stage other than `local` fails, before anything is built, when a function's
 * environment holds a value lib/shared/config.ts would refuse at cold start: the same check and the same
 * lines (`ACCESS_TOKEN_TTL=5 is out of range: 10..86400 (seconds)`, one per bad variable), from the one
 * place the configuration is read. Without it such a stage deploys and then fails every cold start.
 * The local stage is checked by `npm start` itself (scripts/start.ts), before any tool starts.
 */
const { require: requireTs } = require('tsx/cjs/api');

class ValidateConfig {
  constructor(serverless, options) {
    this.hooks = {
      // After variables are resolved (the environment holds the values the functions will get).
      initialize: () => {
        const stage = options.stage ?? serverless.service.provider.stage;
        if (stage === 'local') return;
        const problems = configProblemsOf(serverless.service);
        // A ServerlessError prints its message alone, without a stack trace.
        if (problems.length > 0) throw new serverless.classes.Error(problems.join('\n'));
      },
    };
  }
}

/** Every line config.ts has against some function's environment (the provider's and the function's own). */
function configProblemsOf(service) {
  const { configProblems, loadConfig } = requireTs('../../lib/shared/config.ts', __filename);
  const shared = service.provider.environment ?? {};
  const lines = new Set();
  for (const definition of Object.values(service.functions ?? {})) {
    const env = { ...shared, ...(definition.environment ?? {}) };
    for (const line of configProblems(() => loadConfig(env))) lines.add(line);
  }
  return [...lines];
}

module.exports = ValidateConfig;
