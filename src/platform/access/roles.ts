/**
 * The roles an account can hold. Platform, not accounts/, because every capability's routes name
 * them (RoleRoutes, @Roles) and the route guards check them; accounts/ grants and revokes them.
 * Pure constants: deciders and events may import this file (.dependency-cruiser.cjs).
 */
export const ROLES = ['developer', 'provider', 'finance', 'support', 'admin'] as const;
export type Role = (typeof ROLES)[number];
export const STAFF_ROLES: readonly Role[] = ['finance', 'support', 'admin'];
