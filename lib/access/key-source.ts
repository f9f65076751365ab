import { readFile } from 'node:fs/promises';
import { config, type KeyPart, type KeySource, keySource } from '../shared/config';

let ssmClient: import('@aws-sdk/client-ssm').SSMClient | undefined;

/**
 * The stored text of one key part of this function (docs/deploy.md, "Keys"): inline, a file, or an SSM
 * parameter. A part the function was given no name for is a ConfigError, never a fallback to another.
 */
export function readKeyPart(part: KeyPart): Promise<string> {
  return readSecret(keySource(config(), part));
}

/** The stored text of a secret from its source (a key part's, or the OpenID client secrets'). */
export async function readSecret(source: KeySource): Promise<string> {
  switch (source.kind) {
    case 'inline':
      return source.value;
    case 'file':
      return readFile(source.path, 'utf8');
    case 'ssm': {
      // Loaded only where a deployed stage needs it; the SDK client is created once per container. The
      // load is shared by the requests waiting for it, so each bounds its own wait (Deadline.race), and
      // these timeouts bound the load itself.
      const { SSMClient, GetParameterCommand } = await import('@aws-sdk/client-ssm');
      ssmClient ??= new SSMClient({ maxAttempts: 2, requestHandler: { connectionTimeout: 1000, requestTimeout: 1000, throwOnRequestTimeout: true } });
      const result = await ssmClient.send(new GetParameterCommand({ Name: source.parameterName, WithDecryption: true }));
      const value = result.Parameter?.Value;
      if (!value) throw new Error(`SSM parameter ${source.parameterName} is empty`);
      return value;
    }
  }
}

/**
 * A key part of a warm container, kept fresh without a request paying for it often: reloaded when older
 * than `maxAgeMs` (KEY_SET_MAX_AGE), so a rotation reaches every container within that bound. A failed
 * reload keeps what it has (and tries again after the cooldown): a slow SSM never turns into refused
 * requests. Only the very first load can fail a request.
 */
export class KeyPartCache<T> {
  #current: { value: T; loadedAt: number } | undefined;
  #loading: Promise<T> | undefined;
  #lastAttemptAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly load: () => Promise<T>,
    protected readonly options: { maxAgeMs: number; unknownKidCooldownMs: number; now?: () => number },
  ) {}

  protected now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** True while the last load attempt is more recent than the cooldown. */
  protected coolingDown(): boolean {
    return this.now() - this.#lastAttemptAt < this.options.unknownKidCooldownMs;
  }

  /** The current value, reloaded first when it is older than the maximum age. */
  async get(): Promise<T> {
    const current = this.#current;
    if (current && this.now() - current.loadedAt < this.options.maxAgeMs) return current.value;
    if (current && this.coolingDown()) return current.value;
    return this.reload();
  }

  protected reload(): Promise<T> {
    this.#loading ??= (async () => {
      this.#lastAttemptAt = this.now();
      try {
        const value = await this.load();
        this.#current = { value, loadedAt: this.now() };
        return value;
      } catch (error) {
        if (this.#current) return this.#current.value;
        throw error;
      } finally {
        this.#loading = undefined;
      }
    })();
    return this.#loading;
  }
}

/** At most one reload per this long for tokens with an unknown `kid` (and after a failed reload). */
export const UNKNOWN_KID_COOLDOWN_MS = 10_000;

/** A cache of one key part, with the process's KEY_SET_MAX_AGE. */
export function keyPartCache<T>(load: () => Promise<T>): KeyPartCache<T> {
  return new KeyPartCache(load, { maxAgeMs: config().keySetMaxAgeSeconds * 1000, unknownKidCooldownMs: UNKNOWN_KID_COOLDOWN_MS });
}

/** A 256-bit secret key stored as base64url (the data key, the cursor key). */
export function parseSecretKey(text: string, part: KeyPart): Uint8Array {
  const trimmed = text.trim();
  const bytes = Buffer.from(trimmed, 'base64url');
  if (bytes.length !== 32 || bytes.toString('base64url') !== trimmed) throw new Error(`the ${part} key part must be 32 bytes, base64url`);
  return new Uint8Array(bytes);
}
