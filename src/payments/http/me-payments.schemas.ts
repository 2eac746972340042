import { z } from 'zod';
import { MicroUsd, Time, UsdText } from '../../platform/http/schema/fields';

/**
 * A top-up's amount as text: the service parses it (invalid_amount) and applies the top-up limits
 * (amount_out_of_range, whole cents), the same for every caller of it.
 */
export const TopUpAmount = z
  .string()
  .min(1)
  .max(20)
  .meta({ description: 'USD as a decimal string in whole cents, between TOPUP_MIN_USD and TOPUP_MAX_USD.', examples: ['25.00'] });

/** POST /me/payments/orders. */
export const CreateOrderBody = z.strictObject({ amountUsd: TopUpAmount });

/** What Razorpay Checkout needs to open (plus our view of the order). */
export const CheckoutOrderView = z.object({
  orderId: z.string().meta({ examples: ['order_Nz1xY2abc'] }),
  keyId: z.string().describe("Razorpay's public key id for Checkout."),
  amount: z.number().int().describe('The amount in cents, as Checkout wants it.'),
  currency: z.literal('USD'),
  amountUsd: UsdText,
  receipt: z.string().describe('Our receipt at Razorpay (unique per order).'),
});

/** POST /me/payments/orders/:orderId/checkout: Checkout's handler response, unchanged. */
export const CheckoutBody = z.strictObject({
  razorpay_payment_id: z
    .string()
    .min(1)
    .max(64)
    .meta({ description: 'A Razorpay id (pay_…).', examples: ['pay_Nz1xY2abc'] }),
  razorpay_order_id: z.string().min(1).max(64).optional().describe('When sent, it must be this order.'),
  razorpay_signature: z.string().min(1).max(128).describe('hex HMAC-SHA-256 of order id | payment id with the key secret.'),
});

export const CheckoutAccepted = z.object({
  orderId: z.string(),
  paymentId: z.string(),
  status: z.enum(['verifying', 'credited']).describe('verifying: the worker fetches the payment and credits it once; credited: already done.'),
});

export const OrderView = z.object({
  orderId: z.string(),
  amountUsd: UsdText,
  amountMicroUsd: MicroUsd,
  currency: z.string(),
  status: z.enum(['pending', 'credited']).describe('credited once any payment of it was credited.'),
  payments: z.array(
    z.object({
      paymentId: z.string(),
      razorpayStatus: z.string().nullable().describe("Razorpay's last status we saw (authorized, captured, refunded, failed)."),
      credited: z.boolean(),
    }),
  ),
});

export const OrderListItem = z.object({
  orderId: z.string(),
  amountMicroUsd: MicroUsd,
  status: z.string().describe('created, or credited once a payment of it was credited.'),
  createdAt: Time,
});
