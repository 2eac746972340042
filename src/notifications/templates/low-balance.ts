import { htmlMail, RenderedMail, textMail } from './layout';

/** Once per crossing of the threshold the developer set: the balance, the threshold, how to change it. */
export function lowBalanceMail(input: { balanceUsd: string; thresholdUsd: string; at: string; settingsUrl: string }): RenderedMail {
  const title = `Your Tollgate balance is below ${input.thresholdUsd} USD`;
  const paragraphs = [
    `Your credits fell to ${input.balanceUsd} USD at ${input.at}, below the ${input.thresholdUsd} USD threshold you set. Requests stop when the credits run out; top up to keep them running.`,
    'This alert is sent once each time the balance falls below the threshold; the next one comes after the balance has been back at or above it.',
    'To change or remove the threshold, or turn these alerts off: PATCH /me/notifications with lowBalanceThresholdUsd (a USD amount, or null for none), or use the link below.',
  ];
  const why = 'You received this because you set a low-balance alert on your Tollgate account. Usage alerts are optional: you can turn them off at any time.';
  const action = { label: 'Notification settings', url: input.settingsUrl };
  return { subject: title, text: textMail(paragraphs, action, why), html: htmlMail(title, paragraphs, action, why) };
}
