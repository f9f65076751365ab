/**
 * Builds the hosted pages (lib/web/site.ts) into web/dist: each page's script and styles bundled by
 * esbuild (ES modules, shared code split into chunks, minified, named by content hash), its HTML from
 * web/layout.html and web/pages/<page>.html, and the API description for /docs. `npm start` and
 * packaging run it (deploy/pages/plugin.cjs); `npm run build:web` by hand. Nothing is fetched at run time.
 */
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { build, type Metafile } from 'esbuild';

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

export async function buildWeb(outdir = WEB_DIST): Promise<WebBuild> {
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
  await copyFile(join(ROOT, 'docs/openapi.yaml'), join(outdir, 'docs/openapi.yaml'));
  return { pageBytes };
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
  buildWeb().then(
    ({ pageBytes }) => {
      const sizes = Object.entries(pageBytes).map(([page, bytes]) => `${page} ${(bytes / 1024).toFixed(1)} KB`);
      console.log(`hosted pages built in ${relative(process.cwd(), WEB_DIST)}: ${sizes.join(', ')}`);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
