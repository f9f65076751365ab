import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSigningKey } from '../../lib/access/signing-keys';
import { ensureLocalKeys, localKeyFiles } from '../../scripts/local-keys';

// `npm start`'s key files: four parts, owner-only; a single file from before the split is split in place.
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'local-keys-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('local key files', () => {
  it('are made at first start, one per part, readable by their owner only, and named to the functions by variable', async () => {
    const { state, env } = await ensureLocalKeys(dir);
    expect(state).toBe('created');
    const files = localKeyFiles(dir);
    expect(env).toEqual({ SIGNING_KEY_FILE: files.signing, PUBLIC_KEYS_FILE: files.public, DATA_KEY_FILE: files.dataKey, CURSOR_KEY_FILE: files.cursorKey });
    for (const file of Object.values(files)) expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readFile(files.public, 'utf8')).not.toMatch(/"d":/);
    expect((await ensureLocalKeys(dir)).state).toBe('existing');
  });

  it('split a single file from before the split, keeping its signing key and its data key', async () => {
    const files = localKeyFiles(dir);
    const key = await generateSigningKey('local-old');
    const dataKey = Buffer.alloc(32, 9).toString('base64url');
    await writeFile(files.signing, JSON.stringify({ keys: [key], dataKey }), { mode: 0o600 });
    expect((await ensureLocalKeys(dir)).state).toBe('split');
    expect(JSON.parse(await readFile(files.signing, 'utf8'))).toEqual({ keys: [key], signing: 'local-old' });
    expect(await readFile(files.dataKey, 'utf8')).toBe(dataKey);
    expect(JSON.parse(await readFile(files.public, 'utf8')).keys.map((k: { kid: string }) => k.kid)).toEqual(['local-old']);
    expect((await ensureLocalKeys(dir)).state).toBe('existing');
  });
});
