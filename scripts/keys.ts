/**
 * Signing keys of a deployed stage, kept as a private JWK set in an SSM SecureString named
 * /lambda-jwt-auth/<stage>/signing-keys (the functions get only that name). Rotation has two phases, so
 * no container and no outside verifier ever meets a token signed with a key it has not seen:
 *
 *   npm run keys:create   -- --stage prod [--region eu-west-1] [--apply]
 *   npm run keys:rotate   -- --stage prod [--apply | --from-file current.json]   phase 1: publish a new key, verify-only
 *   npm run keys:activate -- --stage prod [--kid K] [--apply | --from-file …]   phase 2: sign with it (wait KEY_SET_MAX_AGE
 *                                                                               and the JWKS max-age, 5 min, after phase 1)
 *   npm run keys:retire   -- --stage prod --kid K [--apply | --from-file …]     drop a key at once (leaked, or old)
 *
 * With --apply it calls AWS with your usual credentials. Without, it writes the new key set to a
 * private temporary file and prints the AWS CLI command to store it: a private key never goes through
 * the terminal or shell history.
 */
import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { activateKey, newKeySet, prepareNextKey, retireKey, signingKid, type KeySetDocument } from '../lib/access/keys';

async function ssm(region: string) {
  const { SSMClient, GetParameterCommand, PutParameterCommand } = await import('@aws-sdk/client-ssm');
  const client = new SSMClient({ region });
  return {
    read: async (name: string) => {
      const value = (await client.send(new GetParameterCommand({ Name: name, WithDecryption: true }))).Parameter?.Value;
      if (!value) throw new Error(`${name} is empty`);
      return value;
    },
    write: (name: string, value: string, overwrite: boolean) =>
      client.send(new PutParameterCommand({ Name: name, Value: value, Type: 'SecureString', Overwrite: overwrite, Tier: 'Standard' })),
  };
}

const COMMANDS = ['create', 'rotate', 'activate', 'retire'] as const;

/** What a key set does now, for the operator. */
function describe(json: string): string {
  const document = JSON.parse(json) as KeySetDocument;
  const signer = signingKid(document);
  const others = document.keys.map((key) => key.kid).filter((kid) => kid !== signer);
  return `signing with ${signer}${others.length ? `, also verifying ${others.join(', ')}` : ''}`;
}

async function main(): Promise<void> {
  const [command] = process.argv.slice(2) as [(typeof COMMANDS)[number] | undefined];
  const { values } = parseArgs({
    args: process.argv.slice(3),
    options: {
      stage: { type: 'string' },
      region: { type: 'string' },
      kid: { type: 'string' },
      apply: { type: 'boolean', default: false },
      'from-file': { type: 'string' },
    },
  });
  if (!command || !COMMANDS.includes(command) || !values.stage || values.stage === 'local') {
    throw new Error('usage: keys.ts create|rotate|activate|retire --stage <deployed stage> [--region <region>] [--kid <kid>] [--apply | --from-file <current.json>]');
  }
  const region = values.region ?? process.env.AWS_REGION ?? 'us-east-1';
  const name = `/lambda-jwt-auth/${values.stage}/signing-keys`;

  const current = async () => {
    if (values['from-file']) return readFile(values['from-file'], 'utf8');
    if (values.apply) return (await ssm(region)).read(name);
    throw new Error(`keys:${command} needs the current key set: --apply (reads it from SSM) or --from-file <current.json>`);
  };
  let next: string;
  switch (command) {
    case 'create':
      next = await newKeySet();
      break;
    case 'rotate':
      next = await prepareNextKey(await current());
      break;
    case 'activate':
      next = activateKey(await current(), values.kid);
      break;
    case 'retire':
      if (!values.kid) throw new Error('keys:retire needs --kid <the key to retire>');
      next = await retireKey(await current(), values.kid);
      break;
  }

  if (values.apply) {
    await (await ssm(region)).write(name, next, command !== 'create');
    console.log(`${name} (${region}): ${command} done; ${describe(next)}.`);
    console.log('Warm containers read it again within KEY_SET_MAX_AGE (default 60 s), and at once for a token signed with a key they do not know.');
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'signing-keys-'));
  const file = join(dir, 'signing-keys.json');
  await writeFile(file, next, { mode: 0o600 });
  await chmod(file, 0o600);
  console.log(`New key set (${describe(next)}) written to ${file} (mode 600).`);
  console.log('Store it, then delete the file:\n');
  console.log(`  aws ssm put-parameter --region ${region} --name ${name} --type SecureString ${command !== 'create' ? '--overwrite ' : ''}--value file://${file}`);
  console.log(`  rm -r ${dir}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
