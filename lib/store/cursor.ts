import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Page cursors handed to clients, made tamper-evident: base64url JSON, a dot, and an HMAC-SHA256 of it.
 * A cursor the service did not issue (edited, forged, or signed with another cursor key) is refused
 * before it reaches the database, so no client-made key can turn into a DynamoDB error.
 */
export function signCursor(position: unknown, secret: Uint8Array): string {
  const body = Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
  return `${body}.${mac(body, secret).toString('base64url')}`;
}

/** The position a signed cursor holds, or undefined when it is malformed or its MAC does not match. */
export function readCursor(cursor: string, secret: Uint8Array): unknown {
  const [body, tag, ...rest] = cursor.split('.');
  if (!body || !tag || rest.length > 0) return undefined;
  const presented = Buffer.from(tag, 'base64url');
  const expected = mac(body, secret);
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return undefined;
  try {
    return JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function mac(body: string, secret: Uint8Array): Buffer {
  return createHmac('sha256', secret).update(body, 'utf8').digest();
}
