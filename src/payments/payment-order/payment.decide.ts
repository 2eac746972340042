import { assertNever, Decider } from '../../platform/event-sourcing/decider';
import { PaymentEvent } from '../payment.events';
import { recordCredit, observePayment, verifyCheckout } from './checkout';
import { recordDiscrepancy } from './discrepancy';
import { createOrder } from './order';
import { evolve, initialState, PaymentCommand, PaymentOrderState } from './payment.state';
import { approveRefund, failRefund, recordRefundSubmitted, rejectRefund, requestRefund, settleRefund } from './refund';

export * from './payment.state';

/** One Razorpay order's stream (its payments and refunds). Each command is a use case in its own file of this folder. */
export function decide(command: PaymentCommand, state: PaymentOrderState): PaymentEvent[] {
  switch (command.type) {
    case 'CreateOrder':
      return createOrder(command, state);
    case 'VerifyCheckout':
      return verifyCheckout(command, state);
    case 'ObservePayment':
      return observePayment(command, state);
    case 'RecordCredit':
      return recordCredit(command, state);
    case 'RecordDiscrepancy':
      return recordDiscrepancy(command, state);
    case 'RequestRefund':
      return requestRefund(command, state);
    case 'ApproveRefund':
      return approveRefund(command, state);
    case 'RejectRefund':
      return rejectRefund(command, state);
    case 'RecordRefundSubmitted':
      return recordRefundSubmitted(command, state);
    case 'SettleRefund':
      return settleRefund(command, state);
    case 'FailRefund':
      return failRefund(command, state);
    default:
      return assertNever(command);
  }
}

export const paymentDecider: Decider<PaymentOrderState, PaymentCommand, PaymentEvent> = { initialState, decide, evolve };
