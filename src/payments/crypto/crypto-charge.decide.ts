import { conflict, invalid, notFound } from '../../platform/errors/domain-error';
import { assertNever, Decider } from '../../platform/event-sourcing/decider';
import { checkPositiveAmount } from '../../platform/money';
import { CHARGE_CODE, CreditBasis, CryptoChargeEvent, CryptoDiscrepancyKind, CryptoPaymentRef } from './crypto-charge.events';

const TEXT_MAX = 200;
/** Payments kept per observation: a charge normally has one or two; more is someone playing. */
export const MAX_PAYMENTS_PER_CHARGE = 20;

export interface CryptoChargeState {
  chargeCode: string | null;
  accountId: string | null;
  amountMicroUsd: bigint;
  hostedUrl: string | null;
  status: string | null;
  context: string | null;
  payments: CryptoPaymentRef[];
  timelineLength: number;
  credited: { amountMicroUsd: bigint; basis: CreditBasis } | null;
  discrepancies: CryptoDiscrepancyKind[];
}

export type CryptoChargeCommand =
  | { type: 'CreateCharge'; chargeCode: string; chargeId: string; accountId: string; amountMicroUsd: bigint; hostedUrl: string; expiresAt: string | null; at: string }
  | {
      type: 'ObserveCharge';
      chargeCode: string;
      status: string;
      context: string | null;
      confirmedMicroUsd: bigint;
      payments: CryptoPaymentRef[];
      timelineLength: number;
      at: string;
    }
  | { type: 'RecordCredit'; chargeCode: string; paymentId: string; amountMicroUsd: bigint; basis: CreditBasis; at: string }
  | { type: 'RecordDiscrepancy'; chargeCode: string; kind: CryptoDiscrepancyKind; expected: string | null; actual: string | null; at: string };

const initialState = (): CryptoChargeState => ({
  chargeCode: null,
  accountId: null,
  amountMicroUsd: 0n,
  hostedUrl: null,
  status: null,
  context: null,
  payments: [],
  timelineLength: 0,
  credited: null,
  discrepancies: [],
});

const short = (text: string | null): string | null => (text === null ? null : String(text).slice(0, TEXT_MAX));
/** Field by field: events come back from PostgreSQL's jsonb with their keys reordered. */
const paymentKey = (p: CryptoPaymentRef): string => [p.network, p.transactionId, p.status, p.localMicroUsd, p.cryptoAmount, p.cryptoCurrency].join('|');
const samePayments = (a: readonly CryptoPaymentRef[], b: readonly CryptoPaymentRef[]): boolean => a.length === b.length && a.every((p, i) => paymentKey(p) === paymentKey(b[i]));

function checkCode(code: string): string {
  if (typeof code !== 'string' || !CHARGE_CODE.test(code)) throw invalid('invalid_id', 'A charge code is 4..32 upper-case letters and digits.');
  return code;
}

function decide(command: CryptoChargeCommand, state: CryptoChargeState): CryptoChargeEvent[] {
  switch (command.type) {
    case 'CreateCharge': {
      if (state.chargeCode) throw conflict('charge_exists', 'This crypto charge already exists.');
      return [
        {
          type: 'CryptoChargeCreated',
          data: {
            chargeCode: checkCode(command.chargeCode),
            chargeId: short(command.chargeId) as string,
            accountId: command.accountId,
            amountMicroUsd: checkPositiveAmount(command.amountMicroUsd).toString(),
            hostedUrl: command.hostedUrl.slice(0, 500),
            expiresAt: command.expiresAt,
            createdAt: command.at,
          },
        },
      ];
    }
    case 'ObserveCharge': {
      if (!state.chargeCode) throw notFound('charge_not_found', 'No such crypto charge.');
      const payments = command.payments.slice(0, MAX_PAYMENTS_PER_CHARGE);
      if (command.timelineLength < state.timelineLength) return []; // an older look than the one recorded
      if (state.status === command.status && state.context === command.context && samePayments(state.payments, payments)) return [];
      return [
        {
          type: 'CryptoChargeObserved',
          data: {
            chargeCode: state.chargeCode,
            status: short(command.status) as string,
            context: short(command.context),
            confirmedMicroUsd: command.confirmedMicroUsd.toString(),
            payments,
            timelineLength: command.timelineLength,
            observedAt: command.at,
          },
        },
      ];
    }
    case 'RecordCredit': {
      if (!state.chargeCode || !state.accountId) throw notFound('charge_not_found', 'No such crypto charge.');
      if (state.credited) return []; // exactly once per charge, whatever signal arrives next
      return [
        {
          type: 'CryptoChargeCredited',
          data: {
            chargeCode: state.chargeCode,
            accountId: state.accountId,
            paymentId: command.paymentId,
            amountMicroUsd: checkPositiveAmount(command.amountMicroUsd).toString(),
            basis: command.basis,
            status: state.status ?? 'unknown',
            context: state.context,
            payments: state.payments,
            creditedAt: command.at,
          },
        },
      ];
    }
    case 'RecordDiscrepancy': {
      checkCode(command.chargeCode);
      if (state.discrepancies.includes(command.kind)) return []; // every retry and sweep that sees it reports it once
      return [
        {
          type: 'CryptoChargeDiscrepancyFound',
          data: { chargeCode: command.chargeCode, kind: command.kind, expected: short(command.expected), actual: short(command.actual), foundAt: command.at },
        },
      ];
    }
    default:
      return assertNever(command);
  }
}

function evolve(state: CryptoChargeState, event: CryptoChargeEvent): CryptoChargeState {
  switch (event.type) {
    case 'CryptoChargeCreated': {
      const d = event.data;
      return { ...state, chargeCode: d.chargeCode, accountId: d.accountId, amountMicroUsd: BigInt(d.amountMicroUsd), hostedUrl: d.hostedUrl };
    }
    case 'CryptoChargeObserved':
      return {
        ...state,
        status: event.data.status,
        context: event.data.context,
        payments: event.data.payments,
        timelineLength: typeof event.data.timelineLength === 'number' ? event.data.timelineLength : state.timelineLength,
      };
    case 'CryptoChargeCredited':
      return { ...state, credited: { amountMicroUsd: BigInt(event.data.amountMicroUsd), basis: event.data.basis } };
    case 'CryptoChargeDiscrepancyFound':
      return { ...state, discrepancies: [...state.discrepancies, event.data.kind] };
    default:
      return state;
  }
}

export const cryptoChargeDecider: Decider<CryptoChargeState, CryptoChargeCommand, CryptoChargeEvent> = { initialState, decide, evolve };
