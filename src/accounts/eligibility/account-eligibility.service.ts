import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import { invalid } from '../../platform/errors/domain-error';
import { CommandContext } from '../../platform/event-sourcing/decider';
import { EVENT_STORE, EventStore } from '../../platform/event-store/event-store.port';
import { publishKeyInvalidation } from '../key-invalidation';
import { EligibilityInput } from './eligibility';
import { REDIS } from '../../platform/redis/redis.module';
import { Attestation } from '../account.decide';
import { executeAccountCommand } from '../account-commands';

/**
 * The versions of the terms and policies in force at a time: legal's PolicyVersionsService,
 * provided under this token by the global PolicyVersionsModule, because accounts/ must not import
 * legal/ (which imports accounts/ for its routes and the reported-minor flow).
 */
export interface PoliciesInForce {
  inForce(at: string): Promise<{ terms: string; privacy: string }>;
  versionOf(kind: 'provider-terms', at: string): Promise<string>;
}
export const POLICIES_IN_FORCE = Symbol('PoliciesInForce');

/** Issue 22 on an account: 18 or older, the policy versions accepted and seen, the provider terms, a reported minor. */
@Injectable()
export class AccountEligibilityService {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(POLICIES_IN_FORCE) private readonly policies: PoliciesInForce,
  ) {}

  /**
   * The versions accepted must be the ones in force when the person accepted them: a client showing
   * an old version gets an error naming the current one (they must see what they accept).
   */
  async checkAttestation(input: EligibilityInput, at: string): Promise<Attestation> {
    if (input.over18 !== true) throw invalid('eligibility_required', 'Confirm you are 18 or older (over18: true).');
    const inForce = await this.policies.inForce(at);
    if (input.termsVersion !== inForce.terms)
      throw invalid('terms_version_not_in_force', `termsVersion: the terms in force are version ${inForce.terms} (GET /legal/terms); accept that version.`);
    if (input.privacyVersion !== inForce.privacy)
      throw invalid('privacy_version_not_in_force', `privacyVersion: the privacy policy in force is version ${inForce.privacy} (GET /legal/privacy); accept that version.`);
    return { over18: true, termsVersion: input.termsVersion, privacyVersion: input.privacyVersion, attestedAt: at };
  }

  /** The eligibility step of a first Google/Telegram sign-in; a no-op once attested. */
  async attestEligibility(accountId: string, input: EligibilityInput, context: CommandContext): Promise<void> {
    const attestation = await this.checkAttestation(input, context.occurredAt);
    await executeAccountCommand(this.store, accountId, { type: 'AttestEligibility', attestation, at: context.occurredAt }, context);
  }

  /** At each sign-in: the versions in force, recorded when they differ from the last seen (continued use is acceptance). */
  async recordPolicyVersionsSeen(accountId: string, context: CommandContext): Promise<void> {
    const inForce = await this.policies.inForce(context.occurredAt);
    await executeAccountCommand(
      this.store,
      accountId,
      { type: 'RecordPolicyVersionsSeen', termsVersion: inForce.terms, privacyVersion: inForce.privacy, at: context.occurredAt },
      context,
    );
  }

  /** With a provider invite: the provider terms in force must be the version accepted. */
  async checkProviderTerms(version: string, at: string): Promise<void> {
    const inForce = await this.policies.versionOf('provider-terms', at);
    if (version !== inForce)
      throw invalid(
        'provider_terms_version_not_in_force',
        `providerTermsVersion: the provider terms in force are version ${inForce} (GET /legal/provider-terms); accept that version.`,
      );
  }

  async acceptProviderTerms(accountId: string, version: string, inviteId: string, context: CommandContext): Promise<void> {
    await this.checkProviderTerms(version, context.occurredAt);
    await executeAccountCommand(this.store, accountId, { type: 'AcceptProviderTerms', version, inviteId, at: context.occurredAt }, context);
  }

  /**
   * Reported under 18 (issue 22 item 4): recorded, then every instance refuses the account's keys at
   * once (the suspension denylist); the caller completes the deletion without a grace period.
   */
  async flagReportedMinor(accountId: string, referenceId: string | null, context: CommandContext): Promise<void> {
    await executeAccountCommand(this.store, accountId, { type: 'FlagReportedMinor', referenceId, at: context.occurredAt }, context);
    await publishKeyInvalidation(this.redis, { kind: 'account', accountId, suspended: true });
  }
}
