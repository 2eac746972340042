import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Compares a presented Authorization header with the expected one in constant time (both are
 * hashed first, so neither the content nor the length leaks through timing).
 */
export function sameCredential(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
