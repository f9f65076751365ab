import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { COUNTER_KEYS } from './item-keys';
import { deleteItems, guarded, type Table } from './table';

export interface ClearedCounters {
  /** Attempt counters: sign-ins per username and per IP, second-factor codes, mails and sign-ups per IP. */
  attempts: number;
  /** Per-address mail quotas (the contract's five mails an hour, one a minute). */
  mailQuotas: number;
}

/**
 * Deletes every request counter in the table, so that whoever was locked out or refused mail may try
 * again at once. For the local stage only (`npm run limits:clear`, which refuses any other endpoint):
 * it scans the whole table, which on a deployed stage would cost a read of every item, and lifting
 * every lockout there is no operator action.
 */
export async function clearAllCounters(table: Table): Promise<ClearedCounters> {
  const found: { key: Record<string, string>; kind: keyof typeof COUNTER_KEYS }[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await guarded(table, (options) =>
      table.client.send(
        new ScanCommand({
          TableName: table.name,
          ProjectionExpression: 'pk, sk',
          FilterExpression: '(begins_with(pk, :attempts) AND sk = :attemptsSk) OR (begins_with(pk, :quota) AND sk = :quotaSk)',
          ExpressionAttributeValues: {
            ':attempts': COUNTER_KEYS.attempts.pkPrefix,
            ':attemptsSk': COUNTER_KEYS.attempts.sk,
            ':quota': COUNTER_KEYS.mailQuota.pkPrefix,
            ':quotaSk': COUNTER_KEYS.mailQuota.sk,
          },
          ExclusiveStartKey: start,
        }),
        options,
      ),
    );
    for (const item of page.Items ?? []) {
      const key = { pk: String(item.pk), sk: String(item.sk) };
      found.push({ key, kind: key.sk === COUNTER_KEYS.attempts.sk ? 'attempts' : 'mailQuota' });
    }
    start = page.LastEvaluatedKey;
  } while (start);
  await deleteItems(
    table,
    found.map((counter) => counter.key),
  );
  return {
    attempts: found.filter((counter) => counter.kind === 'attempts').length,
    mailQuotas: found.filter((counter) => counter.kind === 'mailQuota').length,
  };
}
