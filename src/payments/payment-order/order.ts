import { conflict } from '../../platform/errors/domain-error';
import { checkPositiveAmount } from '../../platform/money';
import { PaymentEvent } from '../payment.events';
import { checkId, CreateOrder, PaymentOrderState } from './payment.state';

/** A developer starts a top-up: the Razorpay order this stream is named after. */
export function createOrder(command: CreateOrder, state: PaymentOrderState): PaymentEvent[] {
  if (state.order) throw conflict('order_exists', 'This payment order already exists.');
  checkId(command.orderId, 'orderId');
  const amount = checkPositiveAmount(command.amountMicroUsd);
  return [
    {
      type: 'PaymentOrderCreated',
      data: {
        orderId: command.orderId,
        accountId: command.accountId,
        amountMicroUsd: amount.toString(),
        amountCents: command.amountCents,
        currency: command.currency,
        receipt: command.receipt,
        createdAt: command.at,
      },
    },
  ];
}
