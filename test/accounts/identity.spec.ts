import { randomUUID } from 'node:crypto';
import { claimIdentity, identityOwner } from '../../src/accounts/identity';
import { PostgresEventStore } from '../../src/event-store/postgres/postgres.event-store';
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
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => claimIdentity(store, hash, 'email', `acct-${i}`, at, async () => true)),
    );
    expect(results.filter((r) => r === 'claimed')).toHaveLength(1);
    const owner = await identityOwner(store, hash);
    for (const r of results) if (r !== 'claimed') expect(r).toEqual({ ownedBy: owner });
  });

  it('lets a claim whose account was never created be taken over, but not one whose account exists', async () => {
    const hash = randomUUID();
    await claimIdentity(store, hash, 'email', 'ghost', at, async () => false);
    expect(await claimIdentity(store, hash, 'email', 'real', at, async (owner) => owner !== 'ghost')).toBe('claimed');
    expect(await identityOwner(store, hash)).toBe('real');
    expect(await claimIdentity(store, hash, 'email', 'late', at, async () => true)).toEqual({ ownedBy: 'real' });
  });
});
