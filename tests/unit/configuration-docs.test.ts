import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHOICE_SETTINGS, INTEGER_SETTINGS, type IntegerSetting, loadConfig, localPorts, SWITCH_SETTINGS } from '../../lib/shared/config';

// docs/configuration.md lists every variable lib/shared/config.ts reads, with config.ts' own defaults and
// bounds. What config.ts reads is observed, not parsed from its source: it is run over an environment that
// records every name asked for.
const PAGE = readFileSync(join(__dirname, '../../docs/configuration.md'), 'utf8');
const CHECKED_SECTIONS = ['Read by the functions', "The local stack's ports"];

function variablesRead(): Set<string> {
  const names = new Set<string>();
  const env = new Proxy({} as Record<string, string | undefined>, {
    get: (_target, name) => {
      if (typeof name === 'string') names.add(name);
      return name === 'TABLE_NAME' ? 'table' : undefined;
    },
  });
  loadConfig(env);
  localPorts(env);
  return names;
}

interface Row {
  defaultValue: string;
  allowed: string;
}

/** The rows `| \`NAME\` | default | allowed | meaning |` of the page's checked sections, by name. */
function documented(): Map<string, Row> {
  const rows = new Map<string, Row>();
  for (const section of PAGE.split(/^## /m).slice(1)) {
    if (!CHECKED_SECTIONS.some((title) => section.startsWith(`${title}\n`))) continue;
    for (const line of section.split('\n')) {
      const cells = line.split('|').map((cell) => cell.trim());
      const name = /^`([A-Z0-9_]+)`$/.exec(cells[1] ?? '')?.[1];
      if (!name) continue;
      if (rows.has(name)) throw new Error(`${name} is listed twice`);
      rows.set(name, { defaultValue: cells[2] ?? '', allowed: cells[3] ?? '' });
    }
  }
  return rows;
}

const firstWord = (text: string) => text.split(' ')[0]?.replaceAll('`', '');

describe('docs/configuration.md', () => {
  const read = variablesRead();
  const rows = documented();

  it('lists every variable config.ts reads, and none it does not', () => {
    expect(read.size).toBeGreaterThan(40);
    expect([...read].filter((name) => !rows.has(name))).toEqual([]);
    expect([...rows.keys()].filter((name) => !read.has(name))).toEqual([]);
  });

  it.each(Object.entries(INTEGER_SETTINGS) as [string, IntegerSetting][])('gives config.ts default and range of %s', (name, setting) => {
    expect(read.has(name)).toBe(true);
    expect(rows.get(name)).toEqual({ defaultValue: expect.any(String), allowed: `${setting.min}..${setting.max} (${setting.unit})` });
    expect(firstWord(rows.get(name)!.defaultValue)).toBe(String(setting.fallback));
  });

  it.each(Object.entries(CHOICE_SETTINGS))('gives config.ts default and values of %s', (name, setting) => {
    expect(read.has(name)).toBe(true);
    expect(rows.get(name)?.allowed).toBe(setting.values.map((value) => `\`${value}\``).join(', '));
    expect(firstWord(rows.get(name)!.defaultValue)).toBe(setting.fallback);
  });

  it.each(Object.entries(SWITCH_SETTINGS))('gives config.ts default of the switch %s', (name, fallback) => {
    expect(read.has(name)).toBe(true);
    expect(rows.get(name)).toEqual({ defaultValue: fallback ? 'on' : 'off', allowed: '`on`, `off`' });
  });
});
