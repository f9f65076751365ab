import { UnknownRoleError } from './errors';

/** The allowed roles: the one list everything else refers to. */
export const ROLES = ['user', 'moderator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/**
 * A requested role by either of its names: `user`, or `ROLE_USER` as answers show it (toAuthorities), so
 * a client can send back what it was given. Case as written here: `User` or `role_user` is no role.
 */
export function roleNamed(name: string): Role | undefined {
  if (isRole(name)) return name;
  const plain = /^ROLE_([A-Z]+)$/.exec(name)?.[1]?.toLowerCase();
  return plain !== undefined && isRole(plain) ? plain : undefined;
}

/** Validates requested role names (either form, roleNamed) against the allowed set; an empty or absent list means `user`. */
export function parseRoles(requested: readonly string[] | undefined): Role[] {
  if (!requested || requested.length === 0) return ['user'];
  const roles = new Set<Role>();
  for (const name of requested) {
    const role = roleNamed(name);
    if (role === undefined) throw new UnknownRoleError(name);
    roles.add(role);
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
