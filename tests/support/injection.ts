import { GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { itemKeys } from '../../lib/store/item-keys';
import type { Table } from '../../lib/store/table';

// Fault injection for the integration tier: the table's own client, with a change committed just before
// one chosen command, to hit the window between a read (or check) and its write deterministically.

/**
 * The table, with `before` run (and awaited) ahead of every command its client sends, so a test can act
 * at an exact point between a read and its write, or count what is sent.
 */
export function interceptedTable(table: Table, before: (command: unknown) => Promise<void>): Table {
  return {
    ...table,
    client: new Proxy(table.client, {
      get(target, property, receiver) {
        if (property !== 'send') return Reflect.get(target, property, receiver);
        return async (command: unknown, options?: unknown) => {
          await before(command);
          return (target.send as (c: unknown, o?: unknown) => Promise<unknown>)(command, options);
        };
      },
    }),
  };
}

/** The table, whose first command that `matches` is preceded by `change` (committed before it is sent). */
export function changingBefore(table: Table, matches: (command: unknown) => boolean, change: () => Promise<unknown>): Table & { injected: number } {
  const wrapped = {
    ...interceptedTable(table, async (command) => {
      if (wrapped.injected === 0 && matches(command)) {
        wrapped.injected++;
        await change();
      }
    }),
    injected: 0,
  };
  return wrapped;
}

/** A session transaction (a sign-in's, or its second step's). */
export const writesSession = (command: unknown) =>
  command instanceof TransactWriteCommand && (command.input.TransactItems ?? []).some((item) => item.Put?.Item?.type === 'session');

/** Any write of the user's profile item, alone or in a transaction. */
export const writesProfile = (userId: string) => (command: unknown) => {
  const profile = (key: Record<string, unknown> | undefined) => key?.pk === itemKeys.user(userId).pk && key?.sk === itemKeys.user(userId).sk;
  if (command instanceof UpdateCommand) return profile(command.input.Key);
  return command instanceof TransactWriteCommand && (command.input.TransactItems ?? []).some((item) => profile(item.Update?.Key));
};

/**
 * The table, where the first command that `first` matches is sent and answered, then `change` is
 * committed, and only then is the first command that `second` matches sent (held until then): two reads
 * sent at once (a Promise.all) made to see the item before and after a change, in that order.
 */
export function changingBetween(
  table: Table,
  first: (command: unknown) => boolean,
  second: (command: unknown) => boolean,
  change: () => Promise<unknown>,
): Table & { injected: number } {
  let changed!: () => void;
  const done = new Promise<void>((resolve) => (changed = resolve));
  let firstSeen = false;
  let secondSeen = false;
  const wrapped = {
    ...table,
    client: new Proxy(table.client, {
      get(target, property, receiver) {
        if (property !== 'send') return Reflect.get(target, property, receiver);
        const send = (command: unknown, options?: unknown) => (target.send as (c: unknown, o?: unknown) => Promise<unknown>)(command, options);
        return async (command: unknown, options?: unknown) => {
          if (!firstSeen && first(command)) {
            firstSeen = true;
            const answer = await send(command, options);
            wrapped.injected++;
            await change();
            changed();
            return answer;
          }
          if (!secondSeen && second(command)) {
            secondSeen = true;
            await done;
          }
          return send(command, options);
        };
      },
    }),
    injected: 0,
  };
  return wrapped;
}

const isProfile = (userId: string, key: Record<string, unknown> | undefined) => key?.pk === itemKeys.user(userId).pk && key?.sk === itemKeys.user(userId).sk;

/** The MFA state's read of the profile (lib/store/mfa.ts getMfaState: a projection with mfaEnabled). */
export const readsMfaState = (userId: string) => (command: unknown) =>
  command instanceof GetCommand && isProfile(userId, command.input.Key) && (command.input.ProjectionExpression ?? '').includes('mfaEnabled');

/** The whole profile's read (lib/store/users.ts getUser: no projection). */
export const readsUser = (userId: string) => (command: unknown) =>
  command instanceof GetCommand && isProfile(userId, command.input.Key) && command.input.ProjectionExpression === undefined;

/**
 * The table, where the first command that `matches` is sent to the real table and its answer handed to
 * `alter` before the caller sees it: an answer DynamoDB Local never gives on demand (a BatchGet that left
 * keys unprocessed, as DynamoDB does under load), built from the real one.
 */
export function alteringAnswer(table: Table, matches: (command: unknown) => boolean, alter: (answer: unknown) => unknown): Table & { injected: number } {
  const wrapped = {
    ...table,
    client: new Proxy(table.client, {
      get(target, property, receiver) {
        if (property !== 'send') return Reflect.get(target, property, receiver);
        return async (command: unknown, options?: unknown) => {
          const answer = await (target.send as (c: unknown, o?: unknown) => Promise<unknown>)(command, options);
          if (wrapped.injected > 0 || !matches(command)) return answer;
          wrapped.injected++;
          return alter(answer);
        };
      },
    }),
    injected: 0,
  };
  return wrapped;
}
