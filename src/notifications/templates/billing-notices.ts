import { htmlMail, RenderedMail, textMail } from './layout';

/** Refunds and disputes: what moved, the payment's reference, when. */
const WHY = 'You received this because it concerns a payment on your Tollgate account. Billing mails cannot be turned off.';

function billing(title: string, paragraphs: string[]): RenderedMail {
  return { subject: title, text: textMail(paragraphs, null, WHY), html: htmlMail(title, paragraphs, null, WHY) };
}

export const refundProcessedMail = (input: { amountUsd: string; paymentId: string; at: string }) =>
  billing(`Refund of ${input.amountUsd} USD processed`, [
    `A refund of ${input.amountUsd} USD of payment ${input.paymentId} was processed at ${input.at}; the credits were taken from your balance. Your bank shows the money back within its usual time.`,
  ]);

export const disputeOpenedMail = (input: { disputedUsd: string; frozenUsd: string; paymentId: string; at: string }) =>
  billing('A payment on your account is disputed', [
    `Payment ${input.paymentId} (${input.disputedUsd} USD) was disputed with your bank at ${input.at}. While the dispute is open, ${input.frozenUsd} USD of your credits are held.`,
  ]);

export const disputeClosedMail = (input: { won: boolean; amountUsd: string; paymentId: string; at: string }) =>
  billing('The dispute on your payment is closed', [
    input.won
      ? `The dispute on payment ${input.paymentId} was closed in your account's favour at ${input.at}: the ${input.amountUsd} USD of held credits are available again.`
      : `The dispute on payment ${input.paymentId} was decided for the card holder at ${input.at}: ${input.amountUsd} USD of credits were taken back.`,
  ]);
