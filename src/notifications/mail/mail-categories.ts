/**
 * Why a mail is sent, in one place (issue 16, item 3). Essential mails (sign-in and account,
 * security, billing, data rights, legal, provider payouts and suspensions) cannot be turned
 * off; the others can, per category, from /me/notifications or a mail's unsubscribe link.
 * Marketing is off until the person opts in (an event with its time).
 */
export const MAIL_CATEGORIES = {
  account: { essential: true, description: 'Sign-up and sign-in mails.' },
  security: { essential: true, description: 'API keys, passwords, new sign-ins, suspensions.' },
  billing: { essential: true, description: 'Payment receipts, refunds and disputes.' },
  privacy: { essential: true, description: 'Data rights: export and deletion.' },
  legal: { essential: true, description: 'Changes to the terms and the privacy policy.' },
  provider: { essential: true, description: 'Provider payouts and node suspensions.' },
  'low-balance': { essential: false, byDefault: true, description: 'Usage alerts: the balance fell below the threshold you set.' },
  'node-status': { essential: false, byDefault: true, description: 'Provider operational alerts, such as a node going offline.' },
  product: { essential: false, byDefault: true, description: 'Product news: new models and features.' },
  marketing: { essential: false, byDefault: false, description: 'Offers and promotions; only with your explicit consent.' },
} as const;

export type MailCategory = keyof typeof MAIL_CATEGORIES;
export type OptionalCategory = { [C in MailCategory]: (typeof MAIL_CATEGORIES)[C]['essential'] extends false ? C : never }[MailCategory];

export const ALL_CATEGORIES = Object.keys(MAIL_CATEGORIES) as MailCategory[];
export const OPTIONAL_CATEGORIES = ALL_CATEGORIES.filter((c): c is OptionalCategory => !MAIL_CATEGORIES[c].essential);

export const isMailCategory = (value: unknown): value is MailCategory => typeof value === 'string' && Object.hasOwn(MAIL_CATEGORIES, value);
export const isOptionalCategory = (value: unknown): value is OptionalCategory => isMailCategory(value) && !MAIL_CATEGORIES[value].essential;
/** On unless turned off; marketing off unless consented. */
export const onByDefault = (category: OptionalCategory): boolean => MAIL_CATEGORIES[category].byDefault;
