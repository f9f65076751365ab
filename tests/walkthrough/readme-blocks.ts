import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The README's walkthrough, as written: the start command (the ```sh block after
 * `<!-- walkthrough:start -->`) and, in order, every ```bash block marked `<!-- walkthrough -->`.
 */
export interface Walkthrough {
  start: string;
  steps: string[];
}

export function readmeWalkthrough(path = join(__dirname, '../../README.md')): Walkthrough {
  const readme = readFileSync(path, 'utf8');
  const start = /<!-- walkthrough:start -->\n```sh\n([^\n]+)\n```/.exec(readme)?.[1];
  if (!start) throw new Error('README.md has no start command marked <!-- walkthrough:start --> (a one-line ```sh block)');
  const steps = [...readme.matchAll(/<!-- walkthrough -->\n```bash\n([\s\S]*?)```/g)].map((match) => match[1]!);
  const marked = readme.split('<!-- walkthrough -->').length - 1;
  if (steps.length !== marked)
    throw new Error(`README.md: ${marked} blocks are marked <!-- walkthrough -->, but only ${steps.length} are \`\`\`bash blocks right after the mark`);
  return { start, steps };
}

/** One bash script: the steps in order, each announced by a marker line, stopping at the first failing command. */
export function walkthroughScript(steps: string[]): string {
  return ['set -euo pipefail', ...steps.map((step, index) => `echo '${STEP_MARK}${index}'\n${step}`)].join('\n');
}

export const STEP_MARK = '::walkthrough step ';

/** The script's output, split by step (the output of step i at index i). */
export function outputByStep(output: string): string[] {
  return output
    .split(STEP_MARK)
    .slice(1)
    .map((part) => part.slice(part.indexOf('\n') + 1));
}
