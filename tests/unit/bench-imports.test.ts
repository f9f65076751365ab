import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

// The bench runs from a checkout on its own (`npm run bench`): whatever it needs lives in lib/ or scripts/,
// never in the test tree, so a change to a test helper cannot change what the bench measures.
const ROOT = join(__dirname, '../..');
const BENCH = join(ROOT, 'bench');

function specifiers(source: string): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(/\bfrom\s+'([^']+)'|\b(?:import|require)\(\s*'([^']+)'\s*\)/g)) found.push((match[1] ?? match[2]) as string);
  return found;
}

describe('bench', () => {
  it('imports nothing from tests/', () => {
    const files = readdirSync(BENCH).filter((name) => name.endsWith('.ts'));
    const local = files.flatMap((file) =>
      specifiers(readFileSync(join(BENCH, file), 'utf8'))
        .filter((specifier) => specifier.startsWith('.'))
        .map((specifier) => ({ file, target: relative(ROOT, resolve(BENCH, specifier)) })),
    );
    // Counted, so a pattern that matches nothing cannot pass: run.ts alone imports a dozen local modules.
    expect(files).toContain('run.ts');
    expect(local.length).toBeGreaterThanOrEqual(10);
    expect(local.filter(({ target }) => target === 'tests' || target.startsWith('tests/'))).toEqual([]);
  });
});
