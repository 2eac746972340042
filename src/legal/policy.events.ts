import { DomainEvent } from '../platform/event-sourcing/decider';

export const POLICY_KINDS = ['privacy', 'terms', 'provider-terms'] as const;
export type PolicyKind = (typeof POLICY_KINDS)[number];

/** Version strings as published and as accepted at sign-up (also the configured fallbacks). */
export const POLICY_VERSION = /^[A-Za-z0-9._-]{1,40}$/;

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
