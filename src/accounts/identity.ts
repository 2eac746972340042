import { StreamNotFoundError, StreamVersionConflictError } from '../event-store/event-store.errors';
import { EventStore } from '../event-store/event-store.port';
import { randomUUID } from 'node:crypto';

/**
 * Uniqueness of sign-in identities (an email, a Google subject, a Telegram id) without a unique
 * index: stream `identity-{keyed hash}` whose last IdentityClaimed names the owning account.
 * Claiming appends with 'no_stream', so two concurrent registrations cannot both win.
 */
export type IdentityKind = 'email' | 'google' | 'telegram';

export const identityStream = (identityHash: string) => `identity-${identityHash}`;

export async function identityOwner(store: EventStore, identityHash: string): Promise<string | null> {
  try {
    const [last] = await store.readStream(identityStream(identityHash), { direction: 'backwards', maxCount: 1 });
    return (last?.data.accountId as string | undefined) ?? null;
  } catch (err) {
    if (err instanceof StreamNotFoundError) return null;
    throw err;
  }
}

/**
 * Claims the identity for `accountId`. A claim whose account was never created (a registration
 * that failed half-way) may be taken over; an owner that exists keeps it.
 */
export async function claimIdentity(
  store: EventStore,
  identityHash: string,
  kind: IdentityKind,
  accountId: string,
  at: string,
  ownerExists: (ownerId: string) => Promise<boolean>,
): Promise<'claimed' | { ownedBy: string }> {
  const claim = { id: randomUUID(), type: 'IdentityClaimed', data: { accountId, kind, claimedAt: at } };
  const stream = identityStream(identityHash);
  try {
    await store.append(stream, [claim], 'no_stream');
    return 'claimed';
  } catch (err) {
    if (!(err instanceof StreamVersionConflictError)) throw err;
  }
  const [last] = await store.readStream(stream, { direction: 'backwards', maxCount: 1 });
  const owner = last.data.accountId as string;
  if (owner === accountId) return 'claimed';
  if (await ownerExists(owner)) return { ownedBy: owner };
  await store.append(stream, [claim], last.revision); // a concurrent takeover makes this throw a conflict
  return 'claimed';
}
