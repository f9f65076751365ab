import { AccessTokenError } from './errors';
import type { SigningKeys } from './keys';
import { extractAccessToken, verifyAccessToken, type AccessClaims, type TokenSettings } from './tokens';

export type AuthorizeOutcome = { allow: true; claims: AccessClaims } | { allow: false; message: string };

/**
 * The authorizer's decision for one request's headers: allow with the verified claims, or deny with
 * the contract's message (missing, expired, any other failure). Infrastructure failures throw.
 */
export async function authorize(
  keys: SigningKeys,
  headers: Record<string, string | undefined>,
  settings: TokenSettings & { now: Date },
): Promise<AuthorizeOutcome> {
  try {
    const claims = await verifyAccessToken(keys, extractAccessToken(headers), settings);
    return { allow: true, claims };
  } catch (error) {
    if (error instanceof AccessTokenError) return { allow: false, message: error.message };
    throw error;
  }
}
