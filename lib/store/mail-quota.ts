import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { itemKeys } from './item-keys';
import { conditionally, type Table } from './table';

/** The contract's per-address limit on mails that anyone's request causes (sign-up's link, forgot, resend). */
export const MAIL_QUOTA = { minGapSeconds: 60, perHour: 5, hourSeconds: 3600 };

/**
 * Takes one mail from an address's quota, atomically: true when a mail may go out now (at least a
 * minute since the last one, at most five in the hour that started with the first of them), false
 * otherwise. Only mails actually allowed are counted, so refused requests do not push the window on.
 * One conditional write in the usual cases: counting into a live hour, or starting a new one.
 */
export async function takeMailQuota(table: Table, normalizedEmail: string, nowSeconds: number): Promise<boolean> {
  const key = itemKeys.mailQuota(normalizedEmail);
  const values = { ':now': nowSeconds, ':gapStart': nowSeconds - MAIL_QUOTA.minGapSeconds, ':hourStart': nowSeconds - MAIL_QUOTA.hourSeconds };
  const send = (update: string, condition: string, extra: Record<string, unknown>) =>
    conditionally(table, (options) =>
      table.client.send(
        new UpdateCommand({
          TableName: table.name,
          Key: key,
          UpdateExpression: update,
          ConditionExpression: condition,
          ExpressionAttributeValues: { ...values, ...extra },
        }),
        options,
      ),
    );
  // Within the current hour: one more, if the hour has room and the last mail is a minute old.
  if (
    await send('SET lastSentAt = :now ADD sentInWindow :one', 'windowStart > :hourStart AND sentInWindow < :max AND lastSentAt <= :gapStart', {
      ':one': 1,
      ':max': MAIL_QUOTA.perHour,
    })
  ) {
    return true;
  }
  // No live hour (first mail, or the last hour is over): start one with this mail.
  return send(
    'SET lastSentAt = :now, windowStart = :now, sentInWindow = :one, expiresAt = :expires',
    '(attribute_not_exists(pk) OR windowStart <= :hourStart) AND (attribute_not_exists(lastSentAt) OR lastSentAt <= :gapStart)',
    { ':one': 1, ':expires': nowSeconds + MAIL_QUOTA.hourSeconds },
  );
}
