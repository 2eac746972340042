import { CommandContext } from '../platform/event-sourcing/decider';
import { EventStore, Position } from '../platform/event-store/event-store.port';
import { RecordUsage, usageChargeDecider } from './usage-charge.decide';
import { usageEventId, usageStream } from './usage.events';

/**
 * Stores one request's UsageRecorded (the charge) in a transaction of its own. The /v1 hot path
 * uses UsageBatcher (usage-batcher.ts: the same event, group-committed); this stays as the plain
 * single-event path (operators' tools, the benchmark's baseline). No stream state is loaded: the event id is
 * derived from the request id, so the event store itself makes a repeat a no-op, and 'any' lets
 * concurrent requests of one account append to the day's stream without conflicts — the
 * spending check already happened in Redis.
 */
export async function recordUsage(store: EventStore, command: RecordUsage, context: CommandContext): Promise<{ position: Position; costMicroUsd: bigint }> {
  const [event] = usageChargeDecider.decide(command, usageChargeDecider.initialState());
  const result = await store.append(
    usageStream(command.accountId, command.at),
    [{ id: usageEventId(command.requestId), type: event.type, data: event.data, metadata: { ...context } }],
    'any',
  );
  return { position: result.position, costMicroUsd: command.costMicroUsd };
}
