import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { answer, CONTENT_SECURITY_POLICY, loadSite, PAGE_ROUTES, type Site } from '../../lib/web/site';

// The hosted pages' server side (lib/web/site.ts) on a small web/dist of its own: which path answers
// what, the page's <base> and configuration, and what is never served.
let root: string;
let site: Site;
const config = { productName: 'Acme', returnUrls: ['https://app.example.com/done'] };

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'site-'));
  await mkdir(join(root, 'pages'), { recursive: true });
  await mkdir(join(root, 'assets'), { recursive: true });
  await mkdir(join(root, 'docs'), { recursive: true });
  for (const page of new Set(Object.values(PAGE_ROUTES))) {
    await writeFile(join(root, 'pages', `${page}.html`), `<base href="{{base}}"><meta name="auth-config" content="{{config}}"><p>${page}</p>`);
  }
  await writeFile(join(root, 'assets', 'sign-in-ABC123.js'), 'console.log(1)');
  await writeFile(join(root, 'assets', 'styles-XYZ.css'), 'body{}');
  await writeFile(join(root, 'assets', 'notes.txt'), 'not served');
  await writeFile(join(root, 'docs', 'openapi.yaml'), 'openapi: 3.0.3');
  site = loadSite(root);
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('hosted pages', () => {
  it('serves each page with the base path and the configuration, attribute-escaped', () => {
    const found = answer(site, '/auth/reset-password', '/prod', { productName: 'A "quoted" <b>', returnUrls: [] });
    expect(found).toEqual({
      kind: 'page',
      html: '<base href="/prod/"><meta name="auth-config" content="{&quot;productName&quot;:&quot;A \\&quot;quoted\\&quot; &lt;b&gt;&quot;,&quot;returnUrls&quot;:[]}"><p>reset-password</p>',
    });
    expect(answer(site, '/auth', '', config)).toMatchObject({ kind: 'page', html: expect.stringContaining('<base href="/"><meta') });
    expect(answer(site, '/auth', '', config)).toMatchObject({ html: expect.stringContaining('<p>sign-in</p>') });
    expect(answer(site, '/auth/', '', config)).toMatchObject({ html: expect.stringContaining('<p>sign-in</p>') });
    expect(answer(site, '/admin', '', config)).toMatchObject({ html: expect.stringContaining('<p>admin</p>') });
    expect(answer(site, '/docs/', '', config)).toMatchObject({ html: expect.stringContaining('<p>docs</p>') });
  });

  it('serves the hashed assets as immutable, the API description as revalidated, with their types', () => {
    expect(answer(site, '/auth/assets/sign-in-ABC123.js', '', config)).toEqual({
      kind: 'file',
      file: { contentType: 'text/javascript; charset=utf-8', body: 'console.log(1)' },
      immutable: true,
    });
    expect(answer(site, '/auth/assets/styles-XYZ.css', '', config)).toMatchObject({ file: { contentType: 'text/css; charset=utf-8' }, immutable: true });
    expect(answer(site, '/docs/openapi.yaml', '', config)).toMatchObject({ file: { contentType: 'application/yaml; charset=utf-8' }, immutable: false });
  });

  it('answers missing for anything else: unknown pages, other file types, traversal, pages by file name', () => {
    for (const path of [
      '/auth/nope',
      '/auth/assets/notes.txt',
      '/auth/assets/../pages/admin.html',
      '/auth/assets/%2e%2e/pages/admin.html',
      '/auth/pages/admin.html',
      '/auth/assets',
      '/auth/account/extra',
      '/docs/assets/sign-in-ABC123.js',
      '/admin/assets/sign-in-ABC123.js',
    ]) {
      expect([path, answer(site, path, '', config)]).toEqual([path, { kind: 'missing' }]);
    }
  });

  it('has a policy with no inline script, no framing and this origin only', () => {
    expect(CONTENT_SECURITY_POLICY.split('; ')).toEqual(
      expect.arrayContaining([
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
      ]),
    );
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe|\*/);
  });

  it('says how to build it when web/dist is missing', () => {
    expect(() => loadSite(join(root, 'missing'))).toThrow('the hosted pages are not built');
  });
});
