import { Role, ROLES } from '../platform/access/roles';
import { UsageError } from './flags';

const ASSIGNABLE_ROLES: readonly Role[] = ['developer', 'finance', 'support', 'admin'];

/** --role for users:create and roles:grant; provider is refused here with the reason. */
export function assignableRole(value: string): Role {
  if (value === 'provider') throw new UsageError('the provider role is invite-only during the beta: a provider joins by accepting an invite, not from the CLI');
  if (!(ASSIGNABLE_ROLES as readonly string[]).includes(value)) throw new UsageError(`--role must be one of ${ASSIGNABLE_ROLES.join(', ')}`);
  return value as Role;
}

/** --role for roles:revoke: any role an account can hold, provider included. */
export function knownRole(value: string): Role {
  if (!(ROLES as readonly string[]).includes(value)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
  return value as Role;
}
