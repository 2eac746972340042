import { StreamNotFoundError, StreamVersionConflictError } from '../platform/event-store/event-store.errors';
import { EventStore } from '../platform/event-store/event-store.port';
import { randomUUID } from 'node:crypto';

/**
 * Uniqueness of sign-in identities (an email, a Google subject, a Telegram id) without a unique
 * index: stream `identity-{keyed hash}` whose last IdentityClaimed names the owning account.
 * Claiming appends with 'no_stream', so two concurrent registrations cannot both win.
 */
export type IdentityKind = 'email' | 'google' | 'telegram';

export const identityStream = (identityHash: string) => `identity-${identityHash}`;

/** The account the identity's last claim names; null when never claimed or released (IdentityReleased names none). */
export async function identityOwner(store: EventStore, identityHash: string): Promise<string | null> {
  try {
    const [last] = await store.readStream(identityStream(identityHash), { direction: 'backwards', maxCount: 1 });
    return last?.type === 'IdentityClaimed' ? ((last.data.accountId as string | undefined) ?? null) : null;
  } catch (err) {
    if (err instanceof StreamNotFoundError) return null;
    throw err;
  }
}

/**
 * A claim whose account does not exist yet is a registration in flight, or one that failed
 * half-way. Only after this long is it abandoned and may be taken over: taking over an in-flight
 * claim let racing sign-ins of one identity each create an account (and each get the free tier, P15).
 */
export const CLAIM_ABANDONED_AFTER_MS = 60_000;

/**
 * What became of the account a claim names: a deleted account releases its identities (P9);
 * 'absent' also stands for an account that does not hold the claimed email (yet: an email change
 * in flight; or any more, when its release was not recorded).
 */
export type ClaimOwnerStatus = 'active' | 'deleted' | 'absent';

/**
 * Claims the identity for `accountId` at time `at`. An active owner keeps it; a deleted one has
 * released it; a claim whose account does not exist is kept while younger than
 * CLAIM_ABANDONED_AFTER_MS (a registration in flight) and taken over after.
 */
export async function claimIdentity(
  store: EventStore,
  identityHash: string,
  kind: IdentityKind,
  accountId: string,
  at: string,
  ownerStatus: (ownerId: string) => Promise<ClaimOwnerStatus>,
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
  if (last.type === 'IdentityReleased') {
    await store.append(stream, [claim], last.revision);
    return 'claimed';
  }
  const owner = last.data.accountId as string;
  if (owner === accountId) return 'claimed';
  const status = await ownerStatus(owner);
  if (status === 'active') return { ownedBy: owner };
  const claimedAt = Date.parse(String(last.data.claimedAt));
  if (status === 'absent' && !(Date.parse(at) - claimedAt >= CLAIM_ABANDONED_AFTER_MS)) return { ownedBy: owner }; // still being registered
  await store.append(stream, [claim], last.revision); // a concurrent takeover makes this throw a conflict
  return 'claimed';
}

/**
 * The account changed away from an email: its claim is released, so the address may be used for
 * another account at once. Only the holder's own claim of that kind is released (an account with
 * no email keeps its external identity's hash in its place); a concurrent claim wins (conflict ignored).
 */
export async function releaseIdentity(store: EventStore, identityHash: string, kind: IdentityKind, accountId: string, at: string): Promise<void> {
  const stream = identityStream(identityHash);
  let last;
  try {
    [last] = await store.readStream(stream, { direction: 'backwards', maxCount: 1 });
  } catch (err) {
    if (err instanceof StreamNotFoundError) return;
    throw err;
  }
  if (last?.type !== 'IdentityClaimed' || last.data.accountId !== accountId || last.data.kind !== kind) return;
  try {
    await store.append(stream, [{ id: randomUUID(), type: 'IdentityReleased', data: { releasedBy: accountId, releasedAt: at } }], last.revision);
  } catch (err) {
    if (!(err instanceof StreamVersionConflictError)) throw err;
  }
}
