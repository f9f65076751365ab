/**
 * Builds the hosted pages (lib/web/site.ts) into web/dist: each page's script and styles bundled by
 * esbuild (ES modules, shared code split into chunks, minified, named by content hash), its HTML from
 * web/layout.html and web/pages/<page>.html, and the API description for /docs. `npm start` and
 * packaging run it (deploy/pages/plugin.cjs); `npm run build:web` by hand. Nothing is fetched at run time.
 *
 * Several stacks may start at once (test tiers, `serverless package` beside `npm start`) and each asks
 * for the pages: `ensureWebBuilt` builds only when the inputs changed since the last build (their hash
 * is kept in web/dist), one process at a time (a lock folder), into a folder of its own that then
 * replaces web/dist, so no process ever deletes files another is serving.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { isSeq, parseDocument } from 'yaml';

const WEB = __dirname;
const ROOT = join(WEB, '..');
export const WEB_DIST = join(WEB, 'dist');

/** The `<title>` of each page (its body is web/pages/<page>.html, its script web/src/pages/<page>.ts). */
const TITLES = {
  'sign-in': 'Sign in',
  'sign-up': 'Create an account',
  'forgot-password': 'Forgot password',
  'reset-password': 'Choose a new password',
  'verify-email': 'Verify your email',
  'oauth-callback': 'Signing in',
  account: 'Your account',
  admin: 'Users',
  docs: 'API reference',
} satisfies Record<string, string>;

export interface WebBuild {
  /** Each page's name and the bytes it loads (HTML, scripts with their chunks, styles), uncompressed. */
  pageBytes: Record<string, number>;
}

/** What the build reads: the pages' sources, the client, the API description, the packages' versions. */
const INPUTS = ['web/layout.html', 'web/pages', 'web/src', 'web/build.ts', 'client/src', 'docs/openapi.yaml', 'package-lock.json'];
const STAMP = '.inputs-sha256';
const LOCK = join(WEB, '.dist-lock');

async function inputsHash(): Promise<string> {
  const hash = createHash('sha256');
  const add = async (path: string): Promise<void> => {
    const full = join(ROOT, path);
    if ((await stat(full)).isDirectory()) {
      for (const name of (await readdir(full)).sort()) await add(join(path, name));
    } else {
      hash
        .update(`${path}\0`)
        .update(await readFile(full))
        .update('\0');
    }
  };
  for (const input of INPUTS) await add(input);
  return hash.digest('hex');
}

/** Builds web/dist unless it is already built from these inputs. Answers whether it built. */
export async function ensureWebBuilt(options: { force?: boolean } = {}): Promise<{ built: boolean; pageBytes?: Record<string, number> }> {
  const wanted = await inputsHash();
  const current = () => readFile(join(WEB_DIST, STAMP), 'utf8').catch(() => undefined);
  if (!options.force && (await current()) === wanted) return { built: false };
  await lock();
  try {
    if (!options.force && (await current()) === wanted) return { built: false };
    const fresh = `${WEB_DIST}-${process.pid}`;
    const old = `${WEB_DIST}-old-${process.pid}`;
    const { pageBytes } = await buildWeb(fresh);
    await writeFile(join(fresh, STAMP), wanted);
    await rename(WEB_DIST, old).catch(() => undefined);
    await rename(fresh, WEB_DIST);
    await rm(old, { recursive: true, force: true });
    return { built: true, pageBytes };
  } finally {
    await rm(LOCK, { recursive: true, force: true });
  }
}

/** mkdir is atomic: the one process that makes the folder holds the lock. A lock older than 2 minutes is a crashed build's. */
async function lock(): Promise<void> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      await mkdir(LOCK);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const since = await stat(LOCK).then(
      (lockStat) => Date.now() - lockStat.mtimeMs,
      () => 0,
    );
    if (since > 120_000) await rm(LOCK, { recursive: true, force: true });
    if (Date.now() > deadline) throw new Error(`another build of the hosted pages holds ${LOCK} for 3 minutes: remove it if no build runs`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** One build into `outdir` (emptied first). */
export async function buildWeb(outdir: string): Promise<WebBuild> {
  await rm(outdir, { recursive: true, force: true });
  const pages = Object.keys(TITLES) as (keyof typeof TITLES)[];
  const result = await build({
    entryPoints: pages.map((page) => ({ in: join(WEB, 'src/pages', `${page}.ts`), out: page })),
    outdir: join(outdir, 'assets'),
    entryNames: '[name]-[hash]',
    chunkNames: 'chunk-[hash]',
    assetNames: '[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
    // The pages' own shared styles come in through each entry's `import '../common/styles.css'`.
    loader: { '.css': 'css' },
  });
  const layout = await readFile(join(WEB, 'layout.html'), 'utf8');
  await mkdir(join(outdir, 'pages'), { recursive: true });
  const pageBytes: Record<string, number> = {};
  for (const page of pages) {
    const output = entryOutput(result.metafile, join(WEB, 'src/pages', `${page}.ts`));
    const body = await readFile(join(WEB, 'pages', `${page}.html`), 'utf8');
    const href = (file: string) => `auth/assets/${basename(file)}`;
    const html = layout
      .replace('{{title}}', TITLES[page])
      .replace('{{page}}', page)
      .replace('{{styles}}', output.css ? `<link rel="stylesheet" href="${href(output.css)}">` : '')
      .replace('{{script}}', `<script type="module" src="${href(output.js)}"></script>`)
      .replace('{{body}}', body.trim());
    await writeFile(join(outdir, 'pages', `${page}.html`), html);
    pageBytes[page] = Buffer.byteLength(html) + (await bytesOf(result.metafile, output));
  }
  await mkdir(join(outdir, 'docs'), { recursive: true });
  await writeFile(join(outdir, 'docs/openapi.yaml'), servedDescription(await readFile(join(ROOT, 'docs/openapi.yaml'), 'utf8')));
  return { pageBytes };
}

/**
 * docs/openapi.yaml as /docs serves it: the service that serves it comes first among the servers (`..`,
 * relative to the document: the service's base, under a stage path too), so "Try it out" calls it.
 */
export function servedDescription(text: string): string {
  const document = parseDocument(text);
  const servers = document.get('servers');
  if (!isSeq(servers)) throw new Error('docs/openapi.yaml has no servers list');
  servers.items.unshift(document.createNode({ url: '..', description: 'This service (the one serving this page)' }));
  return document.toString();
}

type EntryOutput = { js: string; css?: string | undefined; imports: string[] };

function entryOutput(metafile: Metafile, entry: string): EntryOutput {
  const wanted = relative(process.cwd(), entry);
  for (const [file, output] of Object.entries(metafile.outputs)) {
    if (output.entryPoint === wanted) {
      return { js: file, css: output.cssBundle, imports: output.imports.filter((i) => i.kind === 'import-statement').map((i) => i.path) };
    }
  }
  throw new Error(`esbuild wrote nothing for ${wanted}`);
}

/** The script, the chunks it imports (once each), and the styles. */
async function bytesOf(metafile: Metafile, output: EntryOutput): Promise<number> {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const i of metafile.outputs[file]?.imports ?? []) if (i.kind === 'import-statement') visit(i.path);
  };
  visit(output.js);
  if (output.css) seen.add(output.css);
  let total = 0;
  for (const file of seen) total += metafile.outputs[file]?.bytes ?? 0;
  return total;
}

if (require.main === module) {
  ensureWebBuilt({ force: process.argv.includes('--force') }).then(
    ({ built, pageBytes }) => {
      if (!built || !pageBytes) return;
      const sizes = Object.entries(pageBytes).map(([page, bytes]) => `${page} ${(bytes / 1024).toFixed(1)} KB`);
      console.log(`hosted pages built in ${relative(process.cwd(), WEB_DIST)}: ${sizes.join(', ')}`);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
