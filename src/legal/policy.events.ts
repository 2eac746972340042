import { DomainEvent } from '../platform/event-sourcing/decider';

export { POLICY_VERSION } from '../accounts/eligibility/policy-version';

export const POLICY_KINDS = ['privacy', 'terms', 'provider-terms'] as const;
export type PolicyKind = (typeof POLICY_KINDS)[number];

/**
 * Stream `policy-{kind}`: every published version of one document, in order of publication (and so
 * of effective date: each takes effect after the one before). The document itself lives at `url`;
 * `summary` says what changed and goes into the material-change notice.
 */
export type PolicyEvent = DomainEvent<
  'PolicyVersionPublished',
  {
    kind: PolicyKind;
    version: string;
    effectiveAt: string;
    url: string;
    summary: string;
    publishedAt: string;
  }
>;

export const policyStream = (kind: PolicyKind) => `policy-${kind}`;
