import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Where Debian's package puts it; CHROMIUM_PATH for another build already on the machine. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const INSTALL = 'apt-get install -y chromium';

/**
 * Makes sure Chromium is there: installs Debian's `chromium` package when it is missing and we may
 * (root), and otherwise fails with the one command that gets it. Never skips: a browser tier that
 * silently did not run would pass for one that did.
 */
export function ensureChromium(): string {
  if (existsSync(CHROMIUM)) return CHROMIUM;
  if (process.env.CHROMIUM_PATH) throw new Error(`CHROMIUM_PATH=${CHROMIUM} does not exist.`);
  if (process.getuid?.() !== 0) {
    throw new Error(`The browser tests need Chromium (${CHROMIUM}). Install it with: sudo ${INSTALL}`);
  }
  process.stderr.write(`Chromium is missing: ${INSTALL} …\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', 'chromium']]) {
    const result = spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env });
    if (result.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed (exit ${result.status}). Install Chromium with: ${INSTALL}`);
  }
  if (!existsSync(CHROMIUM)) throw new Error(`apt-get installed chromium, but ${CHROMIUM} is not there.`);
  return CHROMIUM;
}
