import { Inject, Injectable } from '@nestjs/common';
import { invalid } from '../platform/errors/domain-error';
import { APP_CONFIG, AppConfig } from '../platform/config/config';
import { handleCommand, loadAggregate } from '../platform/event-sourcing/command-handler';
import { CommandContext } from '../platform/event-sourcing/decider';
import { EVENT_STORE, EventStore } from '../platform/event-store/event-store.port';
import { POLICY_SUMMARY_MAX, POLICY_URL_MAX, policyDecider, PolicyState, PublishedVersion, versionInForce } from './policy.decide';
import { PolicyKind, policyStream } from './policy.events';

export interface PolicyDocument {
  kind: PolicyKind;
  /** `configured`: nothing published yet, the deployment's TERMS_VERSION / PRIVACY_VERSION / PROVIDER_TERMS_VERSION. */
  inForce: { version: string; effectiveAt: string | null; url: string | null; source: 'published' | 'configured' };
  /** Published, not yet in force (oldest first). */
  upcoming: PublishedVersion[];
  /** In force before the current one (newest first). */
  earlier: PublishedVersion[];
}

/** The versions a sign-up accepts, and a sign-in records as seen. */
export interface VersionsInForce {
  terms: string;
  privacy: string;
}

/**
 * Versions of the privacy policy, the terms and the provider terms (issue 16 item 4): published by
 * an admin with an effective date POLICY_NOTICE_DAYS ahead or more; the version in force at an
 * instant is the last one whose effective date has come, else the configured version string.
 */
@Injectable()
export class PolicyVersionsService {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async publish(kind: PolicyKind, input: { version: string; effectiveAt: string; url: string; summary: string }, context: CommandContext): Promise<PublishedVersion> {
    checkUrl(input.url);
    if (input.summary.length > POLICY_SUMMARY_MAX) throw invalid('invalid_body', `summary must be at most ${POLICY_SUMMARY_MAX} characters.`);
    await handleCommand(
      this.store,
      policyStream(kind),
      policyDecider,
      { type: 'PublishPolicyVersion', kind, ...input, noticeDays: this.config.legal.noticeDays, at: context.occurredAt },
      context,
    );
    return { ...input, publishedAt: context.occurredAt };
  }

  async document(kind: PolicyKind, at: string): Promise<PolicyDocument> {
    const state = await this.state(kind);
    const current = versionInForce(state, at);
    const t = Date.parse(at);
    return {
      kind,
      inForce: current
        ? { version: current.version, effectiveAt: current.effectiveAt, url: current.url, source: 'published' }
        : { version: this.configured(kind), effectiveAt: null, url: null, source: 'configured' },
      upcoming: state.versions.filter((v) => Date.parse(v.effectiveAt) > t),
      earlier: state.versions.filter((v) => Date.parse(v.effectiveAt) <= t && v !== current).reverse(),
    };
  }

  async versionOf(kind: PolicyKind, at: string): Promise<string> {
    return versionInForce(await this.state(kind), at)?.version ?? this.configured(kind);
  }

  async inForce(at: string): Promise<VersionsInForce> {
    const [terms, privacy] = await Promise.all([this.versionOf('terms', at), this.versionOf('privacy', at)]);
    return { terms, privacy };
  }

  /** Every published version of every kind (the notice worker's work list). */
  async published(kind: PolicyKind): Promise<PublishedVersion[]> {
    return (await this.state(kind)).versions;
  }

  private async state(kind: PolicyKind): Promise<PolicyState> {
    return (await loadAggregate(this.store, policyStream(kind), policyDecider)).state;
  }

  private configured(kind: PolicyKind): string {
    const legal = this.config.legal;
    return kind === 'terms' ? legal.termsVersion : kind === 'privacy' ? legal.privacyVersion : legal.providerTermsVersion;
  }
}

function checkUrl(url: string): void {
  let parsed: URL | null = null;
  try {
    parsed = url.length <= POLICY_URL_MAX ? new URL(url) : null;
  } catch {
    parsed = null;
  }
  if (!parsed || parsed.protocol !== 'https:' || parsed.username || parsed.password)
    throw invalid('invalid_url', `url must be an https:// URL of at most ${POLICY_URL_MAX} characters, without credentials.`);
}
