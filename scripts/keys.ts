/**
 * Signing keys of a deployed stage, kept as a private JWK set in an SSM SecureString named
 * /lambda-jwt-auth/<stage>/signing-keys (the functions get only that name).
 *
 *   npm run keys:create -- --stage prod [--region eu-west-1] [--apply]
 *   npm run keys:rotate -- --stage prod [--region eu-west-1] [--apply | --from-file current.json]
 *
 * With --apply it calls AWS with your usual credentials. Without, it writes the new key set to a
 * private temporary file and prints the AWS CLI command to store it: a private key never goes through
 * the terminal or shell history.
 */
import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generateSigningKey, rotateKeySet } from '../lib/keys';

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

async function main(): Promise<void> {
  const [command] = process.argv.slice(2);
  const { values } = parseArgs({
    args: process.argv.slice(3),
    options: {
      stage: { type: 'string' },
      region: { type: 'string' },
      apply: { type: 'boolean', default: false },
      'from-file': { type: 'string' },
    },
  });
  if ((command !== 'create' && command !== 'rotate') || !values.stage || values.stage === 'local') {
    throw new Error('usage: keys.ts create|rotate --stage <deployed stage> [--region <region>] [--apply | --from-file <current.json>]');
  }
  const region = values.region ?? process.env.AWS_REGION ?? 'us-east-1';
  const name = `/lambda-jwt-auth/${values.stage}/signing-keys`;

  let next: string;
  if (command === 'create') {
    next = JSON.stringify({ keys: [await generateSigningKey()] });
  } else if (values['from-file']) {
    next = await rotateKeySet(await readFile(values['from-file'], 'utf8'));
  } else if (values.apply) {
    next = await rotateKeySet(await (await ssm(region)).read(name));
  } else {
    throw new Error('keys:rotate needs the current key set: --apply (reads it from SSM) or --from-file <current.json>');
  }
  const kids = (JSON.parse(next) as { keys: { kid: string }[] }).keys.map((key) => key.kid);

  if (values.apply) {
    await (await ssm(region)).write(name, next, command === 'rotate');
    console.log(`${name} (${region}): ${command === 'create' ? 'created' : 'rotated'}; signing with ${kids[0]}${kids[1] ? `, still verifying ${kids[1]}` : ''}.`);
    console.log('Functions read it at cold start: new containers sign with the new key, every container verifies both.');
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'signing-keys-'));
  const file = join(dir, 'signing-keys.json');
  await writeFile(file, next, { mode: 0o600 });
  await chmod(file, 0o600);
  console.log(`New key set (signing with ${kids[0]}${kids[1] ? `, still verifying ${kids[1]}` : ''}) written to ${file} (mode 600).`);
  console.log('Store it, then delete the file:\n');
  console.log(`  aws ssm put-parameter --region ${region} --name ${name} --type SecureString ${command === 'rotate' ? '--overwrite ' : ''}--value file://${file}`);
  console.log(`  rm -r ${dir}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
