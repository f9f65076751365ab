import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Run by tests/deploy/offline-env.test.ts (`node --import tsx tests/support/offline-env.ts <config.json>`):
 * what each function sees of the key-part variables in serverless-offline's `--useInProcess` mode, where
 * every function shares one process.env. The service's resolved local configuration (`osls print --stage
 * local`) goes through deploy/offline/plugin.cjs as before serverless-offline starts, then through
 * serverless-offline's own Lambda class with a probe handler in each function's place: every function runs
 * once in serverless.yml's order and once in reverse, so each runs after every other one. Prints, per run,
 * the function and the variables it saw non-empty among those some function is named on its own.
 */
type Definition = { handler: string; name: string; environment?: Record<string, string> };
type Service = { service: string; provider: Record<string, unknown>; functions: Record<string, Definition> };

const ROOT = join(__dirname, '../..');

async function main(): Promise<void> {
  const configFile = process.argv[2];
  if (!configFile) throw new Error('usage: offline-env.ts <resolved config json>');
  const service = JSON.parse(readFileSync(configFile, 'utf8')) as Service;
  const own = new Set(Object.values(service.functions).flatMap((definition) => Object.keys(definition.environment ?? {})));
  // The serverless object as far as the plugin and serverless-offline's Lambda read it.
  const serverless = { service: { ...service, package: {} }, config: { servicePath: ROOT, serverlessPath: '' }, serviceDir: ROOT };
  const Plugin = require(join(ROOT, 'deploy/offline/plugin.cjs')) as new (
    serverless: unknown,
    options: unknown,
  ) => { hooks: Record<string, () => Promise<void> | void> };
  const plugin = new Plugin(serverless, { useInProcess: true });
  await plugin.hooks['offline:start:init']?.();

  const { default: Lambda } = await import('serverless-offline/lambda');
  const lambda = new Lambda(serverless, { useInProcess: true, noTimeout: true });
  const keys = Object.keys(service.functions);
  lambda.create(
    keys.map((functionKey) => ({
      functionKey,
      functionDefinition: { ...(serverless.service.functions[functionKey] as Definition), handler: 'tests/support/offline-env-probe.handler' },
    })),
  );
  const runs: { function: string; saw: Record<string, string> }[] = [];
  for (const functionKey of [...keys, ...[...keys].reverse()]) {
    const fn = lambda.get(functionKey);
    fn.setEvent({});
    const env = await fn.runHandler();
    runs.push({ function: functionKey, saw: Object.fromEntries(Object.entries(env).filter(([name, value]) => own.has(name) && value !== '')) });
  }
  await lambda.cleanup();
  process.stdout.write(JSON.stringify(runs));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
