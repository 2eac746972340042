import { conflict, invalid } from '../platform/errors/domain-error';
import { assertNever, Decider } from '../platform/event-sourcing/decider';
import { PolicyEvent, PolicyKind, POLICY_VERSION } from './policy.events';

export interface PublishedVersion {
  version: string;
  effectiveAt: string;
  url: string;
  summary: string;
  publishedAt: string;
}

export interface PolicyState {
  versions: PublishedVersion[];
}

export type PolicyCommand = {
  type: 'PublishPolicyVersion';
  kind: PolicyKind;
  version: string;
  effectiveAt: string;
  url: string;
  summary: string;
  /** POLICY_NOTICE_DAYS in force: the least notice a version gives before it takes effect. */
  noticeDays: number;
  at: string;
};

const DAY_MS = 24 * 60 * 60 * 1000;
/** Versions per document: publishing is rare (a few a year); the stream is read whole on every look-up. */
export const MAX_POLICY_VERSIONS = 500;
export const POLICY_URL_MAX = 2_000;
export const POLICY_SUMMARY_MAX = 2_000;

function decide(command: PolicyCommand, state: PolicyState): PolicyEvent[] {
  switch (command.type) {
    case 'PublishPolicyVersion': {
      if (!POLICY_VERSION.test(command.version)) throw invalid('invalid_version', 'version must be 1..40 letters, digits, ".", "_" or "-".');
      if (state.versions.some((v) => v.version === command.version))
        throw conflict('policy_version_exists', `Version ${command.version} of the ${command.kind} was already published.`);
      if (state.versions.length >= MAX_POLICY_VERSIONS) throw conflict('policy_versions_limit', `At most ${MAX_POLICY_VERSIONS} versions of one document.`);
      const earliest = Date.parse(command.at) + command.noticeDays * DAY_MS;
      if (!(Date.parse(command.effectiveAt) >= earliest)) {
        throw invalid(
          'effective_too_soon',
          `effectiveAt must be at least ${command.noticeDays} day(s) after publication (POLICY_NOTICE_DAYS): ${new Date(earliest).toISOString()} or later.`,
        );
      }
      const last = state.versions[state.versions.length - 1];
      if (last && !(Date.parse(command.effectiveAt) > Date.parse(last.effectiveAt))) {
        throw conflict('effective_before_previous', `effectiveAt must be after ${last.effectiveAt}, when version ${last.version} takes effect.`);
      }
      return [
        {
          type: 'PolicyVersionPublished',
          data: { kind: command.kind, version: command.version, effectiveAt: command.effectiveAt, url: command.url, summary: command.summary, publishedAt: command.at },
        },
      ];
    }
    default:
      return assertNever(command.type);
  }
}

function evolve(state: PolicyState, event: PolicyEvent): PolicyState {
  switch (event.type) {
    case 'PolicyVersionPublished': {
      const { version, effectiveAt, url, summary, publishedAt } = event.data;
      return { versions: [...state.versions, { version, effectiveAt, url, summary, publishedAt }] };
    }
    default:
      return state; // events from later versions are ignored, never fatal
  }
}

export const policyDecider: Decider<PolicyState, PolicyCommand, PolicyEvent> = { initialState: () => ({ versions: [] }), decide, evolve };

/** The version in force at `at`: the last whose effective date has come, else null (the configured one applies). */
export function versionInForce(state: PolicyState, at: string): PublishedVersion | null {
  const t = Date.parse(at);
  let inForce: PublishedVersion | null = null;
  for (const v of state.versions) if (Date.parse(v.effectiveAt) <= t) inForce = v;
  return inForce;
}
