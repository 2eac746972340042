import { randomUUID } from 'node:crypto';
import { RecordUsage } from '../../src/metering/usage-charge.decide';
import { ChargeIntent, UsageIntents } from '../../src/metering/usage-intents';
import { createTestDatabase, TestDatabase } from '../support/database';

/** An intent at a request's bounds, as the gateway opens it (metadata only). */
function intentFor(requestId: string): ChargeIntent {
  const command = {
    type: 'RecordUsage',
    requestId,
    accountId: 'acc_intents',
    keyId: 'key_intents',
    model: 'm',
    endpoint: 'chat.completions',
    nodeId: 'node_intents',
    providerId: 'acc_provider',
    status: 'client_disconnected',
    inputTokens: 10,
    outputTokens: 20,
    images: 0,
    estimated: true,
    ttftMs: null,
    latencyMs: 0,
    costMicroUsd: 30n,
    providerShareBps: 8_000,
    reservedMicroUsd: 30n,
    at: new Date().toISOString(),
  } as RecordUsage;
  return { command, context: { actorId: 'apikey:key_intents', occurredAt: command.at }, discrepancies: [] };
}

describe('UsageIntents: an intent withdrawn before it is sent', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('usage_intents');
  });
  afterAll(async () => {
    await database.drop();
  });

  const stored = async (ids: string[]) =>
    (await database.pool.query<{ request_id: string }>('SELECT request_id FROM usage_intents WHERE request_id = ANY($1::text[]) ORDER BY request_id', [ids])).rows.map(
      (r) => r.request_id,
    );

  it('is never inserted, resolves false, and leaves the intents queued beside it to be stored', async () => {
    const intents = new UsageIntents(database.pool, { maxBatch: 100, maxQueue: 1_000 });
    const now = new Date();
    const due = new Date(now.getTime() + 60_000);
    // The first open goes out at the end of this turn; the next ones queue behind its statement.
    const first = `req_${randomUUID()}`;
    const firstOpened = intents.open(intentFor(first), now, due);
    await new Promise((r) => setImmediate(r));
    const kept = `req_${randomUUID()}`;
    const dropped = `req_${randomUUID()}`;
    const keptOpened = intents.open(intentFor(kept), now, due);
    const droppedOpened = intents.open(intentFor(dropped), now, due);
    expect(intents.withdraw(dropped)).toBe(true);
    expect(intents.withdraw(dropped)).toBe(false); // once
    expect(await Promise.all([firstOpened, keptOpened, droppedOpened])).toEqual([true, true, false]);
    await intents.flush();
    expect(await stored([first, kept, dropped])).toEqual([first, kept].sort());
    // An intent already sent is not withdrawn: its deletion rides with a later statement as before.
    expect(intents.withdraw(kept)).toBe(false);
    intents.close(kept);
    await intents.flush();
    expect(await stored([first, kept])).toEqual([first]);
    const s = intents.stats();
    console.log(`usage intents: opened ${s.opened}, withdrawn ${s.withdrawn}, statements ${s.statements}`);
    expect(s).toMatchObject({ opened: 2, withdrawn: 1 });
  });
});
