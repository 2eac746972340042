import { randomUUID } from 'node:crypto';
import { CLAIM_ABANDONED_AFTER_MS, claimIdentity, identityOwner } from '../../src/accounts/identity';
import { PostgresEventStore } from '../../src/platform/event-store/postgres/postgres.event-store';
import { createTestDatabase, TestDatabase } from '../support/database';

describe('identity claims (uniqueness without a unique index)', () => {
  let database: TestDatabase;
  let store: PostgresEventStore;
  beforeAll(async () => {
    database = await createTestDatabase('identity');
    store = new PostgresEventStore(database.pool, { pollIntervalMs: 20 });
  });
  afterAll(async () => {
    await store.close();
    await database.drop();
  });
  const at = '2026-11-22T10:00:00.000Z';

  it('lets exactly one of many concurrent claims win', async () => {
    const hash = randomUUID();
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => claimIdentity(store, hash, 'email', `acct-${i}`, at, async () => 'active' as const)));
    expect(results.filter((r) => r === 'claimed')).toHaveLength(1);
    const owner = await identityOwner(store, hash);
    for (const r of results) if (r !== 'claimed') expect(r).toEqual({ ownedBy: owner });
  });

  it('lets a claim whose account was never created be taken over once abandoned, but not one whose account exists', async () => {
    const hash = randomUUID();
    await claimIdentity(store, hash, 'email', 'ghost', at, async () => 'absent' as const);
    // Within the window the ghost may be a registration still in flight: it keeps the claim.
    const soon = new Date(Date.parse(at) + CLAIM_ABANDONED_AFTER_MS - 1).toISOString();
    expect(await claimIdentity(store, hash, 'email', 'racer', soon, async () => 'absent' as const)).toEqual({ ownedBy: 'ghost' });
    const later = new Date(Date.parse(at) + CLAIM_ABANDONED_AFTER_MS).toISOString();
    expect(await claimIdentity(store, hash, 'email', 'real', later, async (owner) => (owner !== 'ghost' ? 'active' : 'absent'))).toBe('claimed');
    expect(await identityOwner(store, hash)).toBe('real');
    expect(await claimIdentity(store, hash, 'email', 'late', at, async () => 'active' as const)).toEqual({ ownedBy: 'real' });
  });

  it("lets a deleted account's identity be claimed at once (P9), however young its claim", async () => {
    const hash = randomUUID();
    await claimIdentity(store, hash, 'email', 'leaver', at, async () => 'active' as const);
    expect(await claimIdentity(store, hash, 'email', 'newcomer', at, async () => 'deleted' as const)).toBe('claimed');
    expect(await identityOwner(store, hash)).toBe('newcomer');
  });
});
