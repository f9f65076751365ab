/**
 * User enumeration by time, over HTTP: the tests assert the work is the same for a known and an unknown
 * name (tests/integration/enumeration.test.ts counts it); this measures what a client with a stopwatch
 * sees. Pairs run back to back, alternating which goes first, each pair from its own loopback address
 * (so the lockout never interferes), and the median of the paired differences is compared with what
 * the missing work would cost: one bcrypt compare for sign-in, a lookup and a token write for the mails.
 */
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import bcrypt from 'bcryptjs';
import { type Figure, withTarget } from './stats';

const PAIRS = 40;
const WARMUP = 5;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** POSTs from `address` (a loopback address of its own: the source IP the lockout counts), in ms. */
function timedPost(url: string, address: string, path: string, body: unknown): Promise<number> {
  const target = new URL(`${url}${path}`);
  const payload = JSON.stringify(body);
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        localAddress: address,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(Number(process.hrtime.bigint() - started) / 1e6));
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

/** The median of `known - unknown` over pairs run back to back, in ms. */
async function pairedDifference(known: (i: number, address: string) => Promise<number>, unknown: (address: string) => Promise<number>, octet: number) {
  const differences: number[] = [];
  for (let i = 0; i < PAIRS + WARMUP; i++) {
    const address = `127.0.${octet}.${i + 1}`;
    let knownMs = 0;
    let unknownMs = 0;
    if (i % 2) {
      unknownMs = await unknown(address);
      knownMs = await known(i, address);
    } else {
      knownMs = await known(i, address);
      unknownMs = await unknown(address);
    }
    if (i >= WARMUP) differences.push(knownMs - unknownMs);
  }
  return median(differences);
}

const differenceFigure = (name: string, difference: number): Figure => ({ name, unit: 'ms', median: difference, p99: null, samples: PAIRS });

/** Figures for sign-in and the two mail requests, each with its target. `bcryptCost` is the stack's. */
export async function enumerationTiming(url: string, bcryptCost: number): Promise<Figure[]> {
  const post = (path: string, body: unknown) => timedPost(url, '127.0.99.1', path, body);
  const users: { username: string; email: string }[] = [];
  for (let i = 0; i < PAIRS + WARMUP; i++) {
    const username = `bench_enum_${randomBytes(4).toString('hex')}`;
    users.push({ username, email: `${username}@example.com` });
    await post('/api/auth/signup', { ...users[i], password: 'bench enum password' });
  }
  const hash = await bcrypt.hash('x', bcryptCost);
  const compares: number[] = [];
  for (let i = 0; i < 20; i++) {
    const started = process.hrtime.bigint();
    await bcrypt.compare('y', hash);
    compares.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  const oneCompare = median(compares);
  const ghost = () => `ghost_${randomBytes(6).toString('hex')}`;
  const signIn = await pairedDifference(
    (i, address) => timedPost(url, address, '/api/auth/signin', { username: users[i]!.username, password: 'not the password' }),
    (address) => timedPost(url, address, '/api/auth/signin', { username: ghost(), password: 'not the password' }),
    60,
  );
  const figures = [
    withTarget(
      differenceFigure('enumeration: sign-in, wrong password − unknown user (paired median)', signIn),
      `|difference| < half a bcrypt compare (${(oneCompare / 2).toFixed(1)} ms)`,
      Math.abs(signIn) < oneCompare / 2,
    ),
  ];
  for (const [path, octet] of [
    ['/api/auth/password/forgot', 61],
    ['/api/auth/email/resend', 62],
  ] as const) {
    const difference = await pairedDifference(
      (i, address) => timedPost(url, address, path, { email: users[i]!.email }),
      (address) => timedPost(url, address, path, { email: `${ghost()}@example.com` }),
      octet,
    );
    // A lookup and a token write in the request would cost a known address about 6 ms here (measured).
    figures.push(
      withTarget(
        differenceFigure(`enumeration: ${path}, known − unknown address (paired median)`, difference),
        '|difference| < 3 ms',
        Math.abs(difference) < 3,
      ),
    );
  }
  return figures;
}
