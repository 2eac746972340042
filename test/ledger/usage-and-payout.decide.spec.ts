import { RecordUsage, usageChargeDecider } from '../../src/metering/usage-charge.decide';
import { usageEventId, usageStream } from '../../src/metering/usage.events';
import { formatUsd, parseUsd } from '../../src/platform/money';
import { parseShareOverrides } from '../../src/platform/config/revenue-split-settings';
import { providerShareBps, splitCharge } from '../../src/ledger/revenue-split';
import { payoutDecider } from '../../src/payouts/payout.decide';
import { PayoutEvent } from '../../src/payouts/payout.events';
import { given } from '../support/decider-spec';

const at = '2026-11-22T10:00:00.000Z';

const usage = (overrides: Partial<RecordUsage> = {}): RecordUsage => ({
  type: 'RecordUsage',
  requestId: 'req_00000001',
  accountId: 'dev1',
  keyId: 'key1',
  model: 'llama-3-8b',
  endpoint: 'chat.completions',
  nodeId: 'node1',
  providerId: 'prov1',
  status: 'completed',
  inputTokens: 100,
  outputTokens: 50,
  images: 0,
  estimated: false,
  ttftMs: 120,
  latencyMs: 900,
  costMicroUsd: 1_001n,
  providerShareBps: 7_000,
  at,
  ...overrides,
});

describe('usage charge decider', () => {
  it('splits the cost: the provider share rounds down, the platform keeps the rest', () => {
    const [event] = usageChargeDecider.decide(usage(), usageChargeDecider.initialState());
    expect(event.data.postings).toEqual([
      { account: 'developer:dev1', amountMicroUsd: '1001' },
      { account: 'provider:prov1', amountMicroUsd: '-700' },
      { account: 'platform:revenue', amountMicroUsd: '-301' },
    ]);
    expect(event.data).toMatchObject({ costMicroUsd: '1001', providerShareMicroUsd: '700', holdId: 'req_00000001' });
  });
  it('charges a request id once', () => {
    const events = usageChargeDecider.decide(usage(), usageChargeDecider.initialState());
    given(usageChargeDecider, events).when(usage()).then([]);
  });
  it('a free request records usage without postings', () => expect(usageChargeDecider.decide(usage({ costMicroUsd: 0n }), { charged: {} })[0].data.postings).toEqual([]));
  it('without a provider the platform keeps everything', () =>
    expect(usageChargeDecider.decide(usage({ providerId: null }), { charged: {} })[0].data.postings).toEqual([
      { account: 'developer:dev1', amountMicroUsd: '1001' },
      { account: 'platform:revenue', amountMicroUsd: '-1001' },
    ]));
  it('refuses a provider share without the node that served it', () =>
    given(usageChargeDecider, [])
      .when(usage({ nodeId: null }))
      .thenRefuses('invalid_usage'));
  it('refuses negative counts and costs', () => {
    given(usageChargeDecider, [])
      .when(usage({ outputTokens: -1 }))
      .thenRefuses('invalid_usage');
    given(usageChargeDecider, [])
      .when(usage({ costMicroUsd: -1n }))
      .thenRefuses('invalid_usage');
  });
  it('never charges more than the request reserved, and keeps the reservation and who recovered it on the event', () => {
    given(usageChargeDecider, [])
      .when(usage({ costMicroUsd: 1_001n, reservedMicroUsd: 1_000n }))
      .thenRefuses('invalid_usage');
    const [event] = usageChargeDecider.decide(usage({ reservedMicroUsd: 1_001n, recovered: 'bound' }), usageChargeDecider.initialState());
    expect(event.data).toMatchObject({ costMicroUsd: '1001', reservedMicroUsd: '1001', recovered: 'bound' });
    expect(usageChargeDecider.decide(usage(), usageChargeDecider.initialState())[0].data).not.toHaveProperty('recovered');
  });
  it('streams are per account and UTC day; event ids derive from the request id', () => {
    expect(usageStream('dev1', at)).toBe('usage-dev1-2026-11-22');
    expect(usageEventId('req_1')).toBe(usageEventId('req_1'));
    expect(usageEventId('req_1')).not.toBe(usageEventId('req_2'));
    expect(usageEventId('req_1')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('revenue split', () => {
  const rules = { defaultProviderShareBps: 7_000, ...parseShareOverrides('model:big=8000, node:n1=9000') };
  it('a node rule beats its model rule, which beats the default', () => {
    expect(providerShareBps(rules, 'big', 'n1')).toBe(9_000);
    expect(providerShareBps(rules, 'big', 'n2')).toBe(8_000);
    expect(providerShareBps(rules, 'small', 'n2')).toBe(7_000);
  });
  it('parts always sum to the cost', () => {
    for (const cost of [0n, 1n, 3n, 999_999n, 123_456_789n])
      for (const bps of [0, 1, 3_333, 7_000, 10_000]) {
        const { providerMicroUsd, platformMicroUsd } = splitCharge(cost, bps);
        expect(providerMicroUsd + platformMicroUsd).toBe(cost);
      }
  });
  it('refuses a malformed override', () => expect(() => parseShareOverrides('model:x=12000')).toThrow(/model:x=12000/));
});

describe('money parsing', () => {
  it('parses decimals exactly and formats them back', () => {
    expect(parseUsd('12.5')).toBe(12_500_000n);
    expect(parseUsd('0.000001')).toBe(1n);
    expect(parseUsd('-3.25')).toBe(-3_250_000n);
    expect(formatUsd(12_500_000n)).toBe('12.50');
    expect(formatUsd(1n)).toBe('0.000001');
    expect(formatUsd(-3_250_000n)).toBe('-3.25');
  });
  it('refuses what it would have to round', () => {
    for (const bad of ['1.0000001', '1e3', '', 'abc', '1,5', '0x10']) expect(() => parseUsd(bad)).toThrow(/decimal USD amount/);
  });
});

describe('payout decider', () => {
  const requested: PayoutEvent = { type: 'PayoutRequested', data: { providerId: 'prov1', payoutId: 'po1', amountMicroUsd: '60000000', requestedAt: at } };
  const request = (amount: bigint, payoutId = 'po2') => ({
    type: 'RequestPayout' as const,
    providerId: 'prov1',
    payoutId,
    amountMicroUsd: amount,
    maturedEarningsMicroUsd: 100_000_000n,
    minimumMicroUsd: 10_000_000n,
    at,
  });
  it('a payout above available earnings is refused, counting open payouts', () => {
    given(payoutDecider, [requested]).when(request(40_000_001n)).thenRefuses('payout_exceeds_earnings');
    given(payoutDecider, [requested])
      .when(request(40_000_000n))
      .then([{ type: 'PayoutRequested', data: { providerId: 'prov1', payoutId: 'po2', amountMicroUsd: '40000000', requestedAt: at } }]);
  });
  it('refuses a payout below the minimum', () => given(payoutDecider, []).when(request(9_999_999n)).thenRefuses('payout_below_minimum'));
  it('only an approved payout is paid, and payment posts provider payable → payouts', () => {
    given(payoutDecider, [requested])
      .when({ type: 'MarkPayoutPaid', providerId: 'prov1', payoutId: 'po1', reference: 'UTR1', paidBy: 'fin2', at })
      .thenRefuses('payout_not_approved');
    const approved: PayoutEvent = { type: 'PayoutApproved', data: { providerId: 'prov1', payoutId: 'po1', approvedBy: 'fin1', approvedAt: at } };
    given(payoutDecider, [requested, approved])
      .when({ type: 'MarkPayoutPaid', providerId: 'prov1', payoutId: 'po1', reference: 'UTR1', paidBy: 'fin2', at })
      .then([
        {
          type: 'PayoutPaid',
          data: {
            providerId: 'prov1',
            payoutId: 'po1',
            amountMicroUsd: '60000000',
            reference: 'UTR1',
            approvedBy: 'fin1',
            paidBy: 'fin2',
            paidAt: at,
            postings: [
              { account: 'provider:prov1', amountMicroUsd: '60000000' },
              { account: 'platform:payouts', amountMicroUsd: '-60000000' },
            ],
          },
        },
      ]);
  });
  it('a rejected payout frees its amount again', () => {
    const rejected: PayoutEvent = { type: 'PayoutRejected', data: { providerId: 'prov1', payoutId: 'po1', reason: 'kyc', rejectedAt: at } };
    given(payoutDecider, [requested, rejected])
      .when(request(100_000_000n))
      .then([{ type: 'PayoutRequested', data: { providerId: 'prov1', payoutId: 'po2', amountMicroUsd: '100000000', requestedAt: at } }]);
  });
});
