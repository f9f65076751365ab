/**
 * The keys of a deployed stage, in four SSM parameters, each read only by the functions that use it
 * (docs/deploy.md, "Keys"; the functions get only the names):
 *
 *   /lambda-jwt-auth/<stage>/signing-keys  SecureString  private signing JWKs: sign-in, refresh, MFA verify
 *   /lambda-jwt-auth/<stage>/public-keys   String        public JWKs: the authorizer, the JWKS, every verifier
 *   /lambda-jwt-auth/<stage>/data-key      SecureString  seals TOTP secrets: MFA setup, confirm, verify
 *   /lambda-jwt-auth/<stage>/cursor-key    SecureString  signs page cursors (HMAC): the admin list, the event lists
 *
 *   npm run keys:create   -- --stage prod [--region eu-west-1] [--apply]
 *   npm run keys:rotate   -- --stage prod [--apply | --from-dir <dir>]   phase 1: publish a new key, verify-only
 *   npm run keys:activate -- --stage prod [--kid K] [--apply | --from-dir …]   phase 2: sign with it (wait KEY_SET_MAX_AGE
 *                                                                     and the JWKS max-age, 5 min, after phase 1)
 *   npm run keys:retire   -- --stage prod --kid K [--apply | --from-dir …]    drop a key at once (leaked)
 *   npm run keys:split    -- --stage prod [--apply | --from-file <old single parameter>]
 *                            a deployment from before the split: run it before deploying this version and again after
 *
 * A key that stops signing stays public for the longest lifetime of a token it signed (a cookie token's
 * REFRESH_TOKEN_TTL) plus KEY_SET_MAX_AGE: run these with the ACCESS_TOKEN_TTL, REFRESH_TOKEN_TTL and
 * KEY_SET_MAX_AGE you deploy with (unset: the same defaults).
 *
 * With --apply it calls AWS with your usual credentials, writing the parameters in the order that keeps
 * every token verifiable (lib/access/rotation.ts). Without, it writes each value to a private temporary
 * folder and prints the AWS CLI commands, in that order: a private key never goes through the terminal
 * or shell history. That folder's `signing-keys.json` and `public-keys.json` are the state after the
 * commands, for the next run's --from-dir.
 */
import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { keyRetentionSeconds, parsePublicKeySet } from '../lib/access/keys';
import { activateKeys, applyWrites, type KeyWrite, retireKeys, rotateKeys, type StoredKeySets } from '../lib/access/rotation';
import { type KeyParts, newKeySet, parseKeySet, signingKid, splitKeySet } from '../lib/access/signing-keys';
import { stageConfig } from './stage-config';

type Part = keyof KeyParts;
const PARAMETER: Record<Part, { suffix: string; type: 'SecureString' | 'String'; file: string }> = {
  signing: { suffix: 'signing-keys', type: 'SecureString', file: 'signing-keys.json' },
  // Public by nature: a String, so reading it needs no decryption key.
  public: { suffix: 'public-keys', type: 'String', file: 'public-keys.json' },
  dataKey: { suffix: 'data-key', type: 'SecureString', file: 'data-key' },
  cursorKey: { suffix: 'cursor-key', type: 'SecureString', file: 'cursor-key' },
};
// An SSM Standard parameter holds 4 KB.
const PARAMETER_LIMIT = 4096;

async function ssm(region: string) {
  const { SSMClient, GetParameterCommand, PutParameterCommand, ParameterNotFound } = await import('@aws-sdk/client-ssm');
  const client = new SSMClient({ region });
  return {
    read: async (name: string): Promise<string | undefined> => {
      try {
        return (await client.send(new GetParameterCommand({ Name: name, WithDecryption: true }))).Parameter?.Value || undefined;
      } catch (error) {
        if (error instanceof ParameterNotFound) return undefined;
        throw error;
      }
    },
    write: (name: string, value: string, type: 'SecureString' | 'String', overwrite: boolean) =>
      client.send(new PutParameterCommand({ Name: name, Value: value, Type: type, Overwrite: overwrite, Tier: 'Standard' })),
  };
}

const COMMANDS = ['create', 'rotate', 'activate', 'retire', 'split'] as const;

/** What the stored sets do now, for the operator. */
function describe(sets: StoredKeySets): string {
  const signer = signingKid(parseKeySet(sets.signing));
  const published = parsePublicKeySet(sets.public);
  const others = published.keys.map((key) => key.kid as string).filter((kid) => kid !== signer);
  const retained = others.map((kid) => (published.stoppedSigning?.[kid] ? `${kid} (stopped signing ${published.stoppedSigning[kid]})` : kid));
  return `signing with ${signer}${retained.length ? `, also verifying ${retained.join(', ')}` : ''}`;
}

interface Step {
  part: Part;
  value: string;
  overwrite: boolean;
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
      'from-dir': { type: 'string' },
      'from-file': { type: 'string' },
    },
  });
  if (!command || !COMMANDS.includes(command) || !values.stage || values.stage === 'local') {
    throw new Error(
      'usage: keys.ts create|rotate|activate|retire|split --stage <deployed stage> [--region <region>] [--kid <kid>] [--apply | --from-dir <dir> | --from-file <file>]',
    );
  }
  const region = values.region ?? process.env.AWS_REGION ?? 'us-east-1';
  const name = (part: Part) => `/lambda-jwt-auth/${values.stage}/${PARAMETER[part].suffix}`;
  const aws = values.apply ? await ssm(region) : undefined;
  const settings = stageConfig(values.stage, region);
  const clock = { now: new Date(), retentionSeconds: keyRetentionSeconds(settings) };

  const stored = async (): Promise<StoredKeySets> => {
    if (values['from-dir']) {
      const dir = values['from-dir'];
      return { signing: await readFile(join(dir, PARAMETER.signing.file), 'utf8'), public: await readFile(join(dir, PARAMETER.public.file), 'utf8') };
    }
    if (!aws) throw new Error(`keys:${command} needs the current keys: --apply (reads them from SSM) or --from-dir <dir> (a previous run's folder)`);
    const [signing, published] = [await aws.read(name('signing')), await aws.read(name('public'))];
    if (!signing) throw new Error(`${name('signing')} does not exist: run keys:create first`);
    if (!published)
      throw new Error(`${name('public')} does not exist: this stage keeps its keys in one parameter; run keys:split first (docs/deploy.md, "Keys")`);
    return { signing, public: published };
  };
  const overwriting = (writes: KeyWrite[]): Step[] => writes.map((write) => ({ ...write, overwrite: true }));

  let steps: Step[];
  let after: StoredKeySets | undefined;
  let note = '';
  switch (command) {
    case 'create': {
      const parts = splitKeySet(await newKeySet(), clock.now);
      steps = (['public', 'dataKey', 'cursorKey', 'signing'] as const).map((part) => ({ part, value: parts[part], overwrite: false }));
      after = parts;
      break;
    }
    case 'rotate':
    case 'activate':
    case 'retire': {
      const current = await stored();
      if (parseKeySet(current.signing).dataKey !== undefined) {
        throw new Error(`${name('signing')} still holds the data key: finish keys:split first (docs/deploy.md, "Keys")`);
      }
      let writes: KeyWrite[];
      if (command === 'rotate') writes = await rotateKeys(current, clock);
      else if (command === 'activate') writes = activateKeys(current, clock, values.kid);
      else {
        if (!values.kid) throw new Error('keys:retire needs --kid <the key to retire>');
        writes = await retireKeys(current, values.kid, clock);
      }
      steps = overwriting(writes);
      after = applyWrites(current, writes);
      break;
    }
    case 'split': {
      const single = values['from-file'] ? await readFile(values['from-file'], 'utf8') : await aws?.read(name('signing'));
      if (!single) throw new Error(`keys:split needs the single parameter: --apply (reads ${name('signing')}) or --from-file <its value>`);
      const parts = splitKeySet(single, clock.now);
      const published = aws ? await aws.read(name('public')) : undefined;
      if (aws && published) {
        // Phase 2, after the deploy: the new functions read the other parts from their own parameters.
        steps = parts.signing === single ? [] : [{ part: 'signing', value: parts.signing, overwrite: true }];
        after = { signing: parts.signing, public: published };
        note = 'The split is complete: the signing-key parameter holds the private signing keys only.';
      } else {
        // Phase 1, before the deploy: the running version still reads everything from the single parameter.
        steps = (['public', 'dataKey', 'cursorKey'] as const).map((part) => ({ part, value: parts[part], overwrite: false }));
        if (!aws) steps.push({ part: 'signing', value: parts.signing, overwrite: true });
        after = parts;
        note = aws
          ? `Now deploy this version, then run keys:split --apply again: it removes the data key from ${name('signing')}.`
          : `Run the commands before the last one, deploy this version, then run the last one.`;
      }
      break;
    }
  }
  for (const step of steps) {
    if (Buffer.byteLength(step.value) > PARAMETER_LIMIT)
      throw new Error(`${name(step.part)} would pass the 4 KB of an SSM parameter: too many keys retained; wait, or retire one`);
  }

  if (aws) {
    for (const step of steps) await aws.write(name(step.part), step.value, PARAMETER[step.part].type, step.overwrite);
    console.log(`${values.stage} (${region}): ${command} done${after ? `; ${describe(after)}` : ''}.`);
    if (note) console.log(note);
    console.log('Warm containers read the keys again within KEY_SET_MAX_AGE (default 60 s), and at once for a token signed with a key they do not know.');
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'keys-'));
  const commands: string[] = [];
  for (const [index, step] of steps.entries()) {
    const file = join(dir, `${index + 1}-${PARAMETER[step.part].file}`);
    await writeFile(file, step.value, { mode: 0o600 });
    await chmod(file, 0o600);
    commands.push(
      `  aws ssm put-parameter --region ${region} --name ${name(step.part)} --type ${PARAMETER[step.part].type} ${step.overwrite ? '--overwrite ' : ''}--value file://${file}`,
    );
  }
  if (after) {
    for (const part of ['signing', 'public'] as const) await writeFile(join(dir, PARAMETER[part].file), after[part], { mode: 0o600 });
  }
  console.log(`New keys (${after ? describe(after) : 'unchanged'}) written to ${dir} (mode 600).`);
  console.log('Store them, in this order, then delete the folder:\n');
  console.log(commands.join('\n'));
  console.log(`  rm -r ${dir}`);
  if (note) console.log(`\n${note}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
