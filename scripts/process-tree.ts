import { readdirSync, readFileSync } from 'node:fs';

// Linux's view of processes (/proc): the local stack's tree, for the e2e tier's socket check and the bench's footprint.

/** `root` and every process below it (the stack's DynamoDB Local, SES emulator, serverless-offline). */
export function processTree(root: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command name may hold spaces and parentheses: the fields after the last ')' are fixed.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) for (const [pid, parent] of parents) if (parent === tree[i]) tree.push(pid);
  return tree;
}

export interface ResidentMemory {
  pid: number;
  /** The command line, as the process was started. */
  command: string;
  /** Resident set (VmRSS), in KiB: pages shared with other processes counted in full. */
  rssKiB: number;
  /** Proportional set (Pss of smaps_rollup), in KiB: shared pages split between their processes. */
  pssKiB: number;
}

/** One process's resident memory; undefined when it is gone (or not readable). */
export function residentMemory(pid: number): ResidentMemory | undefined {
  try {
    const kib = (text: string, field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
    return {
      pid,
      command: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim(),
      rssKiB: kib(readFileSync(`/proc/${pid}/status`, 'utf8'), 'VmRSS'),
      pssKiB: kib(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'), 'Pss'),
    };
  } catch {
    return undefined;
  }
}
