import { PaymentEvent } from '../payment.events';
import { checkId, PaymentOrderState, paymentSlot, RecordDiscrepancy, short } from './payment.state';

/** Reconciliation found something wrong with a payment (amount, currency, duplicate…): reported once per payment and kind. */
export function recordDiscrepancy(command: RecordDiscrepancy, state: PaymentOrderState): PaymentEvent[] {
  const d = command.discrepancy;
  // Once per payment and kind: every retry and sweep that sees the same problem reports it once.
  if (d.paymentId !== null && state.payments[d.paymentId]?.discrepancies.includes(d.kind)) return [];
  if (d.paymentId !== null) paymentSlot(state, checkId(d.paymentId, 'paymentId'));
  return [{ type: 'PaymentDiscrepancyFound', data: { ...d, expected: short(d.expected), actual: short(d.actual), foundAt: command.at } }];
}
