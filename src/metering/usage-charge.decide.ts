import { invalid } from '../platform/errors/domain-error';
import { Decider } from '../platform/event-sourcing/decider';
import { developerAccount, PLATFORM_ACCOUNTS, providerAccount, vendorAccount } from '../ledger/ledger-accounts';
import { MAX_AMOUNT_MICRO_USD } from '../platform/money';
import { assertBalanced, Posting } from '../ledger/postings';
import { splitCharge } from '../ledger/revenue-split';
import { UsageEvent, UsageFacts, UsageRecovery } from './usage.events';

export interface RecordUsage extends UsageFacts {
  type: 'RecordUsage';
  costMicroUsd: bigint;
  /** Resolved from the revenue-split rules for this model and node. */
  providerShareBps: number;
  /** What the request's hold reserved; the cost may not exceed it. */
  reservedMicroUsd?: bigint;
  /** Served by an upstream API vendor: what it charges us for this request (owed to `vendor:{id}`). */
  vendorId?: string;
  vendorCostMicroUsd?: bigint;
  recovered?: UsageRecovery;
  at: string;
}

/** A day's usage stream: which request ids it already charged. */
export interface UsageDayState {
  charged: Record<string, true>;
}

/** The most tokens or images one charge may count (the gateway's bounds are capped to it). */
export const MAX_USAGE_COUNT = 100_000_000;
const MAX_COUNT = MAX_USAGE_COUNT;

function checkCount(name: string, value: number | null, nullable = false): void {
  if (nullable && value === null) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_COUNT) throw invalid('invalid_usage', `${name} must be an integer in 0..${MAX_COUNT}.`);
}

/**
 * The charge for one metered request. Pure: the cost was computed from the price in force and
 * the tokens delivered; this splits it between provider and platform and makes the postings.
 */
function decide(command: RecordUsage, state: UsageDayState): UsageEvent[] {
  if (state.charged[command.requestId]) return []; // exactly once per request id
  if (!/^[0-9A-Za-z_-]{8,64}$/.test(command.requestId)) throw invalid('invalid_usage', 'requestId must be 8..64 letters, digits, - or _.');
  for (const [name, value] of [
    ['inputTokens', command.inputTokens],
    ['outputTokens', command.outputTokens],
    ['images', command.images],
    ['latencyMs', command.latencyMs],
  ] as const)
    checkCount(name, value);
  checkCount('ttftMs', command.ttftMs, true);
  // A share is earned by the node that served: a provider without its node could not be attributed
  // (usage read models group by node, and a node belongs to one provider).
  if (command.providerId !== null && command.nodeId === null) throw invalid('invalid_usage', 'providerId needs the nodeId of the node that served the request.');
  const cost = command.costMicroUsd;
  if (cost < 0n || cost > MAX_AMOUNT_MICRO_USD) throw invalid('invalid_usage', 'costMicroUsd is out of range.');
  if (command.reservedMicroUsd !== undefined && cost > command.reservedMicroUsd) throw invalid('invalid_usage', 'costMicroUsd exceeds what the request reserved.');
  const vendor = command.vendorId !== undefined ? checkVendor(command) : null;
  if (vendor && command.providerId !== null) throw invalid('invalid_usage', 'A request served by an upstream vendor earns no provider share.');
  const { providerMicroUsd, platformMicroUsd } = splitCharge(cost, command.providerId === null ? 0 : command.providerShareBps);
  const postings: Posting[] = [];
  if (cost > 0n || (vendor && vendor.cost > 0n)) {
    if (cost > 0n) postings.push({ account: developerAccount(command.accountId), amountMicroUsd: cost.toString() });
    if (providerMicroUsd > 0n) postings.push({ account: providerAccount(command.providerId as string), amountMicroUsd: (-providerMicroUsd).toString() });
    // An upstream's cost is owed to the vendor; revenue is the margin, negative when the vendor costs more than we charge.
    const revenue = platformMicroUsd - (vendor?.cost ?? 0n);
    if (vendor && vendor.cost > 0n) postings.push({ account: vendorAccount(vendor.id), amountMicroUsd: (-vendor.cost).toString() });
    if (revenue !== 0n) postings.push({ account: PLATFORM_ACCOUNTS.revenue, amountMicroUsd: (-revenue).toString() });
    assertBalanced(postings);
  }
  return [
    {
      type: 'UsageRecorded',
      data: {
        requestId: command.requestId,
        accountId: command.accountId,
        keyId: command.keyId,
        model: command.model,
        endpoint: command.endpoint,
        nodeId: command.nodeId,
        providerId: command.providerId,
        status: command.status,
        inputTokens: command.inputTokens,
        outputTokens: command.outputTokens,
        images: command.images,
        estimated: command.estimated,
        ttftMs: command.ttftMs,
        latencyMs: command.latencyMs,
        costMicroUsd: cost.toString(),
        providerShareMicroUsd: providerMicroUsd.toString(),
        holdId: command.requestId,
        ...(command.reservedMicroUsd !== undefined ? { reservedMicroUsd: command.reservedMicroUsd.toString() } : {}),
        ...(vendor ? { vendorId: vendor.id, vendorCostMicroUsd: vendor.cost.toString() } : {}),
        ...(command.recovered ? { recovered: command.recovered } : {}),
        recordedAt: command.at,
        postings,
      },
    },
  ];
}

function checkVendor(command: RecordUsage): { id: string; cost: bigint } {
  const id = command.vendorId as string;
  const cost = command.vendorCostMicroUsd ?? 0n;
  if (!/^up_[0-9A-Za-z]{12}$/.test(id) || command.nodeId !== id) throw invalid('invalid_usage', 'vendorId is the upstream that served the request (its nodeId).');
  if (cost < 0n || cost > MAX_AMOUNT_MICRO_USD) throw invalid('invalid_usage', 'vendorCostMicroUsd is out of range.');
  return { id, cost };
}

function evolve(state: UsageDayState, event: UsageEvent): UsageDayState {
  return event.type === 'UsageRecorded' ? { charged: { ...state.charged, [event.data.requestId]: true } } : state;
}

export const usageChargeDecider: Decider<UsageDayState, RecordUsage, UsageEvent> = { initialState: () => ({ charged: {} }), decide, evolve };
