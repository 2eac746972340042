import { z } from 'zod';
import { MicroUsd, UsdText } from '../../platform/http/schema/fields';
import { TopUpAmount } from '../http/me-payments.schemas';

/** POST /me/payments/crypto/charges: the same amount rules as a Razorpay top-up. */
export const CreateChargeBody = z.strictObject({ amountUsd: TopUpAmount });

export const ChargeCreated = z.object({
  chargeCode: z.string().meta({ examples: ['ABCD1234'] }),
  hostedUrl: z.string().describe("Coinbase Commerce's hosted page: pay there, in the coin and network you choose."),
  amountUsd: UsdText,
  expiresAt: z.string().nullable().describe("Coinbase's expiry time of the charge (ISO 8601), when it gave one."),
});

export const ChargeView = z.object({
  chargeCode: z.string(),
  amountUsd: UsdText,
  hostedUrl: z.string(),
  status: z.string().nullable().describe("Coinbase's last status we saw (NEW, PENDING, COMPLETED, EXPIRED, …); null until the worker first looked."),
  context: z.string().nullable().describe('UNDERPAID, OVERPAID, DELAYED, … when Coinbase gave one.'),
  credited: z.boolean(),
  creditedUsd: UsdText.nullable(),
  payments: z.array(
    z.object({
      network: z.string().meta({ examples: ['base'] }),
      transactionId: z.string(),
      status: z.string().describe("Coinbase's status of the payment: PENDING, CONFIRMED, …"),
      localMicroUsd: MicroUsd.describe("Its USD value at the charge's rate."),
      cryptoAmount: z.string().meta({ examples: ['25.000000'] }),
      cryptoCurrency: z.string().meta({ examples: ['USDC'] }),
    }),
  ),
});
