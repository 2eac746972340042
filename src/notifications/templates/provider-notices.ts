import { htmlMail, RenderedMail, textMail } from './layout';

/** Providers: payouts and their nodes. */
const WHY = 'You received this because you provide GPU nodes on Tollgate. Provider account mails cannot be turned off.';

function provider(title: string, paragraphs: string[]): RenderedMail {
  return { subject: title, text: textMail(paragraphs, null, WHY), html: htmlMail(title, paragraphs, null, WHY) };
}

export const payoutApprovedMail = (input: { payoutId: string; at: string }) =>
  provider('Your payout was approved', [`Payout ${input.payoutId} was approved at ${input.at}; it is paid next.`]);

export const payoutPaidMail = (input: { payoutId: string; amountUsd: string; reference: string; at: string }) =>
  provider(`Payout of ${input.amountUsd} USD paid`, [`Payout ${input.payoutId} of ${input.amountUsd} USD was paid at ${input.at}. Payment reference: ${input.reference}.`]);

export const nodeSuspendedMail = (input: { nodeId: string; reason: string; at: string }) =>
  provider('One of your nodes was suspended', [
    `Node ${input.nodeId} was suspended at ${input.at} and receives no more requests. The reason given: ${input.reason}.`,
    'Earnings from it may be held for review; the provider dashboard shows its reputation and what is held.',
  ]);
