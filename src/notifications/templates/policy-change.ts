import { htmlMail, RenderedMail, textMail } from './layout';

const TITLES = { terms: 'terms of service', privacy: 'privacy policy', 'provider-terms': 'provider terms' } as const;

/** Issue 16 item 4: a material change to a policy, mailed before it takes effect. */
export function policyChangeMail(input: { kind: keyof typeof TITLES; version: string; effectiveAt: string; url: string; summary: string }): RenderedMail {
  const doc = TITLES[input.kind];
  const title = `We are updating our ${doc}`;
  const paragraphs = [
    `Version ${input.version} of our ${doc} takes effect on ${input.effectiveAt}.`,
    `What changes: ${input.summary}`,
    'If you keep using Tollgate after that date, you accept the new version. If you do not accept it, you can close your account before then (in the dashboard, or POST /me/deletion-request).',
  ];
  const action = { label: `Read the new ${doc}`, url: input.url };
  const why = `You received this because you have a Tollgate account and our ${doc} is changing. Notices of changes to the terms and policies cannot be turned off.`;
  return { subject: title, text: textMail(paragraphs, action, why), html: htmlMail(title, paragraphs, action, why) };
}
