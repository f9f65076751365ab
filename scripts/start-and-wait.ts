import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { once } from 'node:events';
import { freePort } from './local-proxy';

/** Ends a child process: SIGTERM, then SIGKILL if it is still there after 5 s. Resolves once it is gone. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

// How each local tool says its port is taken: Node (serverless-offline), Java (DynamoDB Local's Jetty:
// "Failed to bind", then a BindException), and aws-ses-v2-local, which hides the EADDRINUSE and reports
// only that its server "does not have an address".
const ADDRESS_IN_USE = /EADDRINUSE|address already in use|BindException|Failed to bind|Server does not have an address/i;

/** A local tool that did not come up; `addressInUse` when its port was taken (so another port may work). */
export class StartFailure extends Error {
  readonly addressInUse: boolean;
  constructor(message: string, options: { addressInUse: boolean; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StartFailure';
    this.addressInUse = options.addressInUse;
  }
}

export interface StartedProcess {
  child: ChildProcess;
  /** The process's last output (stdout and stderr), when piped. */
  output(): string;
}

/**
 * Starts a process and polls `ready` until it answers true. Fails with a StartFailure, the process stopped,
 * when it exits first (`<name> exited (code N):` and its output) or does not answer within `withinSeconds`
 * (`<name> did not answer within N s:`). A `ready` that throws or answers false means "not yet".
 */
export async function startAndWait(options: {
  /** How messages name the tool ("DynamoDB Local"). */
  name: string;
  command: string;
  args: string[];
  spawn: SpawnOptions;
  ready: () => Promise<boolean>;
  withinSeconds: number;
  everyMs: number;
  /** How many characters of output to keep for the messages. */
  keep: number;
  /** The message for a process that could not be spawned at all (e.g. no `java`). */
  spawnError?: (error: NodeJS.ErrnoException) => string;
}): Promise<StartedProcess> {
  const child = spawn(options.command, options.args, options.spawn);
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-options.keep));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const failure = (message: string, cause?: unknown) => new StartFailure(message, { addressInUse: ADDRESS_IN_USE.test(output), cause });
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(failure(options.spawnError?.(error) ?? `${options.name} did not start: ${error.message}`, error)),
    );
    child.once('exit', (code) => reject(failure(`${options.name} exited (code ${code}):\n${output}`)));
  });
  failed.catch(() => undefined);
  const deadline = Date.now() + options.withinSeconds * 1000;
  try {
    for (;;) {
      // A probe that hangs is cut short by the process's end; a failed probe only means "not yet".
      const answered = await Promise.race([options.ready().catch(() => false), failed]);
      if (answered) break;
      if (Date.now() > deadline) throw failure(`${options.name} did not answer within ${options.withinSeconds} s:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, options.everyMs));
    }
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  child.removeAllListeners('exit');
  return { child, output: () => output };
}

/**
 * Runs `start` on a free port, and again on another one (at most `attempts` in all) when the port was taken
 * between freePort() closing it and the tool binding it: another process on the machine may take it in that
 * moment, and a Java or serverless child cannot be handed a socket that is already listening.
 */
export async function onFreePort<T>(start: (port: number) => Promise<T>, options: { attempts?: number; pick?: () => Promise<number> } = {}): Promise<T> {
  const attempts = options.attempts ?? 3;
  const pick = options.pick ?? freePort;
  for (let attempt = 1; ; attempt++) {
    try {
      return await start(await pick());
    } catch (error) {
      if (attempt >= attempts || !addressInUse(error)) throw error;
    }
  }
}

/** True for a start that failed because its port was taken: a child's StartFailure or a Node listen error. */
export function addressInUse(error: unknown): boolean {
  if (error instanceof StartFailure) return error.addressInUse;
  return (error as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE';
}
