import { creditFor } from '../../src/payments/crypto/credit-policy';
import { CryptoChargeCommand, cryptoChargeDecider } from '../../src/payments/crypto/crypto-charge.decide';
import { CryptoChargeEvent, CryptoPaymentRef } from '../../src/payments/crypto/crypto-charge.events';
import { localToMicroUsd } from '../../src/payments/crypto/crypto-reconciler';
import { given } from '../support/decider-spec';

const at = '2026-12-05T10:00:00.000Z';
const chargeCode = 'ABCD2345';
const price = 25_000_000n;
const pay = (usd: string, status = 'CONFIRMED', transactionId = '0xabc'): CryptoPaymentRef => ({
  network: 'ethereum',
  transactionId,
  status,
  localMicroUsd: localToMicroUsd({ amount: usd, currency: 'USD' }).toString(),
  cryptoAmount: '0.0125',
  cryptoCurrency: 'ETH',
});
const created: CryptoChargeEvent = {
  type: 'CryptoChargeCreated',
  data: {
    chargeCode,
    chargeId: 'uuid-1',
    accountId: 'acct-1',
    amountMicroUsd: '25000000',
    hostedUrl: 'https://commerce.coinbase.com/charges/ABCD2345',
    expiresAt: null,
    createdAt: at,
  },
};
const observed = (status: string, context: string | null, payments: CryptoPaymentRef[], timelineLength = 3): CryptoChargeEvent => ({
  type: 'CryptoChargeObserved',
  data: { chargeCode, status, context, confirmedMicroUsd: '25000000', payments, timelineLength, observedAt: at },
});

describe('crypto credit policy (what a charge is worth, from the charge alone)', () => {
  const cases: [string, string, string | null, CryptoPaymentRef[], ReturnType<typeof creditFor>][] = [
    ['NEW: nothing yet', 'NEW', null, [], { credit: false, reason: 'waiting' }],
    ['PENDING (seen, not confirmed): nothing yet', 'PENDING', null, [pay('25.00', 'PENDING')], { credit: false, reason: 'waiting' }],
    ['COMPLETED: the price', 'COMPLETED', null, [pay('25.00')], { credit: true, amountMicroUsd: price, basis: 'completed' }],
    ['UNRESOLVED/UNDERPAID: nothing until resolved', 'UNRESOLVED', 'UNDERPAID', [pay('20.00')], { credit: false, reason: 'unresolved' }],
    ['RESOLVED after underpaid: only what arrived', 'RESOLVED', 'UNDERPAID', [pay('20.00')], { credit: true, amountMicroUsd: 20_000_000n, basis: 'resolved' }],
    [
      'UNRESOLVED/OVERPAID: all that was confirmed',
      'UNRESOLVED',
      'OVERPAID',
      [pay('20.00'), pay('10.50', 'CONFIRMED', '0xdef')],
      { credit: true, amountMicroUsd: 30_500_000n, basis: 'overpaid' },
    ],
    ['UNRESOLVED/DELAYED (paid after expiry): nothing until resolved', 'UNRESOLVED', 'DELAYED', [pay('25.00')], { credit: false, reason: 'unresolved' }],
    ['UNRESOLVED/MULTIPLE: nothing until resolved', 'UNRESOLVED', 'MULTIPLE', [pay('25.00'), pay('25.00', 'CONFIRMED', '0xdef')], { credit: false, reason: 'unresolved' }],
    ['RESOLVED with nothing confirmed: nothing', 'RESOLVED', 'MANUAL', [pay('25.00', 'PENDING')], { credit: false, reason: 'nothing_confirmed' }],
    ['RESOLVED counts confirmed payments only', 'RESOLVED', 'DELAYED', [pay('25.00'), pay('5.00', 'PENDING', '0xdef')], { credit: true, amountMicroUsd: price, basis: 'resolved' }],
    ['EXPIRED: nothing', 'EXPIRED', null, [], { credit: false, reason: 'closed' }],
    ['CANCELED: nothing', 'CANCELED', null, [], { credit: false, reason: 'closed' }],
  ];
  it.each(cases)('%s', (_name, status, context, payments, expected) => {
    expect(creditFor({ status, context, priceMicroUsd: price, payments })).toEqual(expected);
  });

  it('reads Coinbase local values exactly, truncating past micro-USD, and counts other currencies as nothing', () => {
    expect(localToMicroUsd({ amount: '25.00', currency: 'USD' })).toBe(25_000_000n);
    expect(localToMicroUsd({ amount: '24.9999999', currency: 'USD' })).toBe(24_999_999n);
    expect(localToMicroUsd({ amount: '25.00', currency: 'EUR' })).toBe(0n);
    expect(localToMicroUsd({ amount: '-1', currency: 'USD' })).toBe(0n);
    expect(localToMicroUsd({ amount: '1e9', currency: 'USD' })).toBe(0n);
  });
});

describe('crypto charge decider', () => {
  it('creates a charge once, with a valid code', () => {
    given(cryptoChargeDecider, [])
      .when({
        type: 'CreateCharge',
        chargeCode,
        chargeId: 'uuid-1',
        accountId: 'acct-1',
        amountMicroUsd: price,
        hostedUrl: 'https://commerce.coinbase.com/charges/ABCD2345',
        expiresAt: null,
        at,
      })
      .then([created]);
    given(cryptoChargeDecider, [created])
      .when({ type: 'CreateCharge', chargeCode, chargeId: 'uuid-1', accountId: 'acct-1', amountMicroUsd: price, hostedUrl: 'x', expiresAt: null, at })
      .thenRefuses('charge_exists');
    given(cryptoChargeDecider, [])
      .when({ type: 'CreateCharge', chargeCode: 'bad code', chargeId: 'u', accountId: 'acct-1', amountMicroUsd: price, hostedUrl: 'x', expiresAt: null, at })
      .thenRefuses('invalid_id');
  });

  it('records what Coinbase shows only when status, context or payments change', () => {
    const observe: CryptoChargeCommand = {
      type: 'ObserveCharge',
      chargeCode,
      status: 'COMPLETED',
      context: null,
      confirmedMicroUsd: price,
      payments: [pay('25.00')],
      timelineLength: 3,
      at,
    };
    given(cryptoChargeDecider, [created])
      .when(observe)
      .then([observed('COMPLETED', null, [pay('25.00')])]);
    given(cryptoChargeDecider, [created, observed('COMPLETED', null, [pay('25.00')])])
      .when(observe)
      .then([]);
    given(cryptoChargeDecider, [created, observed('PENDING', null, [pay('25.00', 'PENDING')], 2)])
      .when(observe)
      .then([observed('COMPLETED', null, [pay('25.00')])]);
    // A job that fetched before another records nothing after it: Coinbase's timeline only grows.
    const stale: CryptoChargeCommand = {
      type: 'ObserveCharge',
      chargeCode,
      status: 'PENDING',
      context: null,
      confirmedMicroUsd: 0n,
      payments: [pay('25.00', 'PENDING')],
      timelineLength: 2,
      at,
    };
    given(cryptoChargeDecider, [created, observed('COMPLETED', null, [pay('25.00')])])
      .when(stale)
      .then([]);
    given(cryptoChargeDecider, []).when(observe).thenRefuses('charge_not_found');
    // Stored events come back with their keys in another order (jsonb): still the same payments.
    const reordered = observed('COMPLETED', null, [Object.fromEntries(Object.entries(pay('25.00')).reverse()) as CryptoPaymentRef]);
    given(cryptoChargeDecider, [created, reordered]).when(observe).then([]);
  });

  it('credits once per charge, naming the references it was credited on', () => {
    const seen = observed('COMPLETED', null, [pay('25.00')]);
    const credit = { type: 'RecordCredit', chargeCode, paymentId: 'cc_ABCD2345', amountMicroUsd: price, basis: 'completed', at } as const;
    const credited: CryptoChargeEvent = {
      type: 'CryptoChargeCredited',
      data: {
        chargeCode,
        accountId: 'acct-1',
        paymentId: 'cc_ABCD2345',
        amountMicroUsd: '25000000',
        basis: 'completed',
        status: 'COMPLETED',
        context: null,
        payments: [pay('25.00')],
        creditedAt: at,
      },
    };
    given(cryptoChargeDecider, [created, seen]).when(credit).then([credited]);
    given(cryptoChargeDecider, [created, seen, credited]).when(credit).then([]);
    given(cryptoChargeDecider, [created, seen, credited])
      .when({ ...credit, amountMicroUsd: 30_000_000n, basis: 'overpaid' })
      .then([]);
    given(cryptoChargeDecider, []).when(credit).thenRefuses('charge_not_found');
  });

  it('reports a discrepancy once per kind', () => {
    const report = { type: 'RecordDiscrepancy', chargeCode, kind: 'price_mismatch', expected: '25.00 USD', actual: '2.50 USD', at } as const;
    const found: CryptoChargeEvent = { type: 'CryptoChargeDiscrepancyFound', data: { chargeCode, kind: 'price_mismatch', expected: '25.00 USD', actual: '2.50 USD', foundAt: at } };
    given(cryptoChargeDecider, [created]).when(report).then([found]);
    given(cryptoChargeDecider, [created, found]).when(report).then([]);
  });
});
