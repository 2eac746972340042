import { htmlMail, RenderedMail, textMail } from './layout';

/** After a top-up is credited: what was paid, what was added, the payment's reference, when. */
export function paymentReceiptMail(input: { creditsUsd: string; paymentId: string; orderId: string | null; at: string }): RenderedMail {
  const title = `Receipt: ${input.creditsUsd} USD of credits added`;
  const paragraphs = [
    `Your payment was received and ${input.creditsUsd} USD of prepaid credits were added to your account at ${input.at}.`,
    `Payment reference: ${input.paymentId}${input.orderId ? ` (order ${input.orderId})` : ''}.`,
    'Credits are prepaid, for this account only, and are spent as you use the API. Your statement is at /me/credits/statement.',
  ];
  const why = 'You received this receipt because a payment was made on your Tollgate account. Billing mails cannot be turned off.';
  return { subject: title, text: textMail(paragraphs, null, why), html: htmlMail(title, paragraphs, null, why) };
}
