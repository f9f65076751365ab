import { UnknownRoleError } from './errors';

/** The allowed roles: the one list everything else refers to. */
export const ROLES = ['user', 'moderator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** Validates requested role names against the allowed set; an empty or absent list means `user`. */
export function parseRoles(requested: readonly string[] | undefined): Role[] {
  if (!requested || requested.length === 0) return ['user'];
  const roles = new Set<Role>();
  for (const name of requested) {
    if (!isRole(name)) throw new UnknownRoleError(name);
    roles.add(name);
  }
  return ROLES.filter((role) => roles.has(role));
}

/** True when the roles are more than plain `user`: only an admin may grant them. */
export function isPrivileged(roles: readonly Role[]): boolean {
  return roles.some((role) => role !== 'user');
}

/** The tutorial's response form: `ROLE_USER`, `ROLE_MODERATOR`, `ROLE_ADMIN`. */
export function toAuthorities(roles: readonly Role[]): string[] {
  return roles.map((role) => `ROLE_${role.toUpperCase()}`);
}
