import { randomBytes } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { requestMail } from '../../lib/account/email-links';
import { checkCredentials } from '../../lib/account/sign-in';
import { signUp } from '../../lib/account/sign-up';
import type { MailingDeps } from '../../lib/account/types';
import { createTable, type Table } from '../../lib/store/table';
import { testAccountConfig } from '../support/account-config';
import { newUser } from '../support/data';
import { recordingMailQueue } from '../support/mail';

// User enumeration, as counted work rather than wall time (timing is the bench's, `npm run bench`):
// for a known and an unknown name, sign-in and the mail requests must send DynamoDB the same requests
// (by command and shape: the same reads, the same writes, whatever they find) and do the same bcrypt
// work (the same number of compares, at the same cost). The requests go to DynamoDB Local; the
// recorder only watches them pass. bcryptjs is spied on, not replaced: the real compare still runs.
const base = createTable({ tableName: process.env.TABLE_NAME!, region: 'us-east-1', dynamodbEndpoint: process.env.DYNAMODB_ENDPOINT });
afterAll(() => base.client.destroy());

const realCompare = bcrypt.compare.bind(bcrypt) as (password: string, hash: string) => Promise<boolean>;
const realHash = bcrypt.hash.bind(bcrypt) as (password: string, cost: number) => Promise<string>;

/** A value's shape: keys and booleans kept, strings and numbers reduced to their type. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shape);
  if (value instanceof Uint8Array) return 'bytes';
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, inner]) => [key, shape(inner)]),
    );
  }
  return typeof value === 'boolean' ? value : typeof value;
}

/** The table, with every request it sends recorded as `Command shape` (in order sent). */
function recordingTable(): { table: Table; sent: string[] } {
  const sent: string[] = [];
  const client = Object.create(base.client) as Table['client'];
  client.send = ((command: { constructor: { name: string }; input: unknown }, options?: unknown) => {
    sent.push(`${command.constructor.name} ${JSON.stringify(shape(command.input))}`);
    return (base.client.send as (c: unknown, o?: unknown) => Promise<unknown>)(command, options);
  }) as Table['client']['send'];
  return { table: { client, name: base.name }, sent };
}

/** The work one call does: DynamoDB requests (as a multiset: concurrent ones may come in either order), bcrypt calls with their cost, and how it ended. */
async function workOf(call: (deps: MailingDeps) => Promise<unknown>, ip: string) {
  const { table, sent } = recordingTable();
  const mail = recordingMailQueue();
  const deps: MailingDeps = { table, now: () => new Date(), client: { userAgent: 'jest', ip }, config: testAccountConfig, mail };
  const bcryptCalls: string[] = [];
  const compare = jest.spyOn(bcrypt, 'compare').mockImplementation(((password: string, hash: string) => {
    bcryptCalls.push(`compare cost ${bcrypt.getRounds(hash)}`);
    return realCompare(password, hash);
  }) as typeof bcrypt.compare);
  const hash = jest.spyOn(bcrypt, 'hash').mockImplementation(((password: string, cost: number) => {
    bcryptCalls.push(`hash cost ${cost}`);
    return realHash(password, cost);
  }) as typeof bcrypt.hash);
  let outcome: string;
  try {
    await call(deps);
    outcome = 'answered';
  } catch (error) {
    outcome = `${(error as Error).name}: ${(error as Error).message}`;
  } finally {
    compare.mockRestore();
    hash.mockRestore();
  }
  return { requests: [...sent].sort(), bcrypt: bcryptCalls, outcome, mailJobs: mail.jobs.map((job) => shape(job)) };
}

const freshIp = () => `10.${randomBytes(3).join('.')}`;

async function knownUser() {
  const user = newUser('enumwork');
  const { table } = recordingTable();
  await signUp(
    { table, now: () => new Date(), client: { userAgent: 'jest', ip: freshIp() }, config: testAccountConfig, mail: recordingMailQueue() },
    user,
    undefined,
  );
  return user;
}

describe('user enumeration, counted: a known and an unknown name cost the same work', () => {
  it('sign-in with a wrong password: the same reads, writes and bcrypt compares as an unknown username', async () => {
    const known = await knownUser();
    const wrongPassword = await workOf((deps) => checkCredentials(deps, { username: known.username, password: 'not the password' }), freshIp());
    const unknownUser = await workOf((deps) => checkCredentials(deps, { username: newUser('ghost').username, password: 'not the password' }), freshIp());

    // Something was counted: the two lockout counters, the name's claim, the user, the failure event.
    expect(wrongPassword.requests).toHaveLength(5);
    expect(wrongPassword.bcrypt).toEqual([`compare cost ${testAccountConfig.bcryptCost}`]);
    expect(wrongPassword.outcome).toBe('InvalidCredentialsError: Invalid username or password!');
    expect(unknownUser).toEqual(wrongPassword);
  });

  it('sign-in by email: a known email, an unknown email and a known username do the same counted work', async () => {
    const known = await knownUser();
    const byEmail = await workOf((deps) => checkCredentials(deps, { username: known.email, password: 'not the password' }), freshIp());
    const byUnknownEmail = await workOf(
      (deps) => checkCredentials(deps, { username: `ghost_${randomBytes(6).toString('hex')}@example.com`, password: 'not the password' }),
      freshIp(),
    );
    const byUsername = await workOf((deps) => checkCredentials(deps, { username: known.username, password: 'not the password' }), freshIp());

    // The two lockout counters, the email's claim, the user, the failure event; one compare.
    expect(byEmail.requests).toHaveLength(5);
    expect(byEmail.bcrypt).toEqual([`compare cost ${testAccountConfig.bcryptCost}`]);
    expect(byEmail.outcome).toBe('InvalidCredentialsError: Invalid username or password!');
    expect(byUnknownEmail).toEqual(byEmail);
    expect(byUsername).toEqual(byEmail);
  });

  it('a locked name: the same work whether or not it exists', async () => {
    const known = await knownUser();
    const ghost = newUser('ghost').username;
    const lockedWork = async (username: string) => {
      const ip = freshIp();
      for (let i = 0; i < testAccountConfig.lockoutThreshold; i++) await workOf((deps) => checkCredentials(deps, { username, password: 'wrong' }), ip);
      return workOf((deps) => checkCredentials(deps, { username, password: 'wrong' }), ip);
    };
    const knownLocked = await lockedWork(known.username);
    expect(knownLocked.outcome).toMatch(/^TooManyRequestsError: /);
    // Refused before any password is checked.
    expect(knownLocked.bcrypt).toEqual([]);
    expect(knownLocked.requests.length).toBeGreaterThan(0);
    expect(await lockedWork(ghost)).toEqual(knownLocked);
    // By email too: a known account's email (its username's counter) and an address nobody uses.
    expect(await lockedWork((await knownUser()).email)).toEqual(knownLocked);
    expect(await lockedWork(`ghost_${randomBytes(6).toString('hex')}@example.com`)).toEqual(knownLocked);
  });

  it.each([
    ['reset-password', 'forgot password'],
    ['resend-verification', 'resend verification'],
  ] as const)('%s (%s): the request does the same work for a known and an unknown address', async (kind, _name) => {
    const known = await knownUser();
    const forKnown = await workOf((deps) => requestMail(deps, { kind, email: known.email }), freshIp());
    const forUnknown = await workOf((deps) => requestMail(deps, { kind, email: `ghost_${randomBytes(6).toString('hex')}@example.com` }), freshIp());

    // The source address is counted and one job handed to the mailer; the address is looked up only there.
    expect(forKnown.requests).toHaveLength(1);
    expect(forKnown.mailJobs).toEqual([{ email: 'string', kind: 'string' }]);
    expect(forKnown.outcome).toBe('answered');
    expect(forUnknown).toEqual(forKnown);
  });
});
