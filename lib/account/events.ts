import { epochSeconds } from '../shared/clock';
import { logger } from '../shared/log';
import { eventItem, listEvents, putEvent, type SecurityEvent, type SecurityEventType } from '../store/events';
import type { AccountDeps, PagingDeps } from './types';

/** The event as stored and listed: when, from where, with what client, by whom if not the owner; nothing secret. */
function eventOf(deps: AccountDeps, type: SecurityEventType, actor?: string): SecurityEvent {
  return {
    type,
    at: deps.now().toISOString(),
    ip: deps.client.ip ?? null,
    userAgent: deps.client.userAgent?.slice(0, 256) ?? null,
    ...(actor === undefined ? {} : { actor }),
  };
}

/** Also one structured log line per event, so CloudWatch metric filters can alarm on bursts. */
function logEvent(userId: string | undefined, event: SecurityEvent): void {
  if (userId !== undefined) logger.info('security event', { eventType: event.type, userId, ip: event.ip, ...(event.actor ? { actor: event.actor } : {}) });
}

const expiresAt = (deps: AccountDeps) => epochSeconds(deps.now()) + deps.config.eventsTtlSeconds;

/**
 * Records a security event of a user. For `userId` undefined (a failed sign-in for a name that does not
 * exist) the same database work is done and nothing is stored (lib/store/events.ts putEvent). `actor`:
 * the id of whoever acted on the account when it was not its owner (an admin).
 */
export async function recordEvent(deps: AccountDeps, userId: string | undefined, type: SecurityEventType, actor?: string): Promise<void> {
  const event = eventOf(deps, type, actor);
  await putEvent(deps.table, userId, event, expiresAt(deps));
  logEvent(userId, event);
}

/**
 * An event whose user's list is gone with it (the account's deletion): its log line only, there being
 * no list left to store it in, and no owner left to read one.
 */
export function logEventOnly(deps: AccountDeps, userId: string, type: SecurityEventType, actor?: string): void {
  logEvent(userId, eventOf(deps, type, actor));
}

/** The item of an event, for a write that goes into another transaction (the session a sign-in opens). */
export function eventToWrite(deps: AccountDeps, userId: string, type: SecurityEventType): Record<string, unknown> {
  const event = eventOf(deps, type);
  logEvent(userId, event);
  return eventItem(userId, event, expiresAt(deps));
}

/** One page of a user's events, newest first. */
export function eventsPage(deps: PagingDeps, userId: string, query: { limit?: string | undefined; cursor?: string | undefined }) {
  const limit = query.limit === undefined ? 20 : Number(query.limit);
  return listEvents(deps.table, userId, limit, query.cursor || undefined, deps.keys.cursorKey);
}
