import { conflict } from '../../platform/errors/domain-error';
import { checkPositiveAmount } from '../../platform/money';
import { PaymentEvent } from '../payment.events';
import { checkId, creditedPaymentOf, mustOrder, ObservePayment, PaymentOrderState, paymentSlot, RecordCredit, short, VerifyCheckout } from './payment.state';

/** The browser's checkout callback came back with a valid Razorpay signature. */
export function verifyCheckout(command: VerifyCheckout, state: PaymentOrderState): PaymentEvent[] {
  mustOrder(state);
  const payment = paymentSlot(state, checkId(command.paymentId, 'paymentId'));
  if (payment.checkoutVerified) return [];
  return [{ type: 'CheckoutSignatureVerified', data: { orderId: command.orderId, paymentId: command.paymentId, verifiedAt: command.at } }];
}

/** Razorpay told us (webhook or sweep) a payment's status; recorded when it changes. */
export function observePayment(command: ObservePayment, state: PaymentOrderState): PaymentEvent[] {
  const payment = paymentSlot(state, checkId(command.paymentId, 'paymentId'));
  if (payment.status === command.status) return [];
  return [
    {
      type: 'PaymentObserved',
      data: {
        orderId: command.orderId,
        paymentId: command.paymentId,
        status: short(command.status) as string,
        captured: command.captured === true,
        amountCents: command.amountCents,
        currency: short(command.currency) as string,
        errorReason: short(command.errorReason),
        observedAt: command.at,
      },
    },
  ];
}

/** The payment was turned into credits: once per order, whichever payment comes first. */
export function recordCredit(command: RecordCredit, state: PaymentOrderState): PaymentEvent[] {
  const order = mustOrder(state);
  const payment = paymentSlot(state, checkId(command.paymentId, 'paymentId'));
  if (payment.credited) return [];
  if (creditedPaymentOf(state) !== null) throw conflict('order_already_credited', 'Another payment of this order was already credited.');
  return [
    {
      type: 'PaymentCredited',
      data: {
        orderId: command.orderId,
        paymentId: command.paymentId,
        accountId: order.accountId,
        amountMicroUsd: checkPositiveAmount(command.amountMicroUsd).toString(),
        creditedAt: command.at,
      },
    },
  ];
}
