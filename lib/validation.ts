import { z } from 'zod';
import { BadRequestError } from './errors';
import { exceedsBcryptLimit, MAX_PASSWORD_BYTES } from './passwords';

/**
 * Request body schemas, compiled once at module load. Unknown fields are dropped, never stored.
 * Messages are written for the person reading the 400, and name the field.
 */

/** A string field whose message tells a missing field from a wrong type. */
function text(field: string) {
  return z.string({ error: (issue) => (issue.input === undefined ? `${field} is required` : `${field} must be a string`) });
}

// ASCII only: a Unicode username invites look-alikes ("аdmin" with a Cyrillic а) and invisible characters.
const username = text('username')
  .min(3, 'username must be 3 to 32 characters')
  .max(32, 'username must be 3 to 32 characters')
  .regex(/^[A-Za-z0-9._-]+$/, 'username may contain only letters, digits, ".", "_" and "-"');

const email = text('email')
  .max(254, 'email must be at most 254 characters')
  .pipe(z.email({ error: 'email must be a valid email address' }));

const password = text('password')
  .min(8, 'password must be at least 8 characters')
  .max(MAX_PASSWORD_BYTES, `password must be at most ${MAX_PASSWORD_BYTES} bytes`)
  .refine((value) => !exceedsBcryptLimit(value), `password must be at most ${MAX_PASSWORD_BYTES} bytes`);

export const signUpSchema = z.object({
  username,
  email,
  password,
  roles: z
    .array(z.string({ error: 'roles must be a list of role names' }), { error: 'roles must be a list of role names' })
    .max(10, 'roles must be a list of role names')
    .optional(),
});
export type SignUpInput = z.infer<typeof signUpSchema>;

export const signInSchema = z.object({
  // Only shape and size here: a name that could never exist simply fails like a wrong password.
  username: text('username').min(1, 'username is required').max(256, 'username is too long'),
  password: text('password')
    .min(1, 'password is required')
    .refine((value) => !exceedsBcryptLimit(value), `password must be at most ${MAX_PASSWORD_BYTES} bytes`),
});
export type SignInInput = z.infer<typeof signInSchema>;

export const refreshSchema = z.object({
  refreshToken: text('refreshToken').max(512, 'refreshToken is too long').optional(),
});

/** Validates a parsed JSON body; the first problem becomes a 400 with its field-specific message. */
export function validate<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  throw new BadRequestError(result.error.issues[0]?.message ?? 'Invalid request body.');
}
