import { conflict, forbidden, invalid, notFound } from '../platform/errors/domain-error';
import { assertNever, Decider } from '../platform/event-sourcing/decider';
import { AccountEvent, DeletionChannel, SignInMethod } from './account.events';
import { Role, ROLES } from '../platform/access/roles';

export interface AccountState {
  exists: boolean;
  status: 'active' | 'suspended';
  roles: Role[];
  /** The keyed hash of the sign-in email (or of the external identity of an account without one). */
  emailHash: string | null;
  passwordHash: string | null;
  deletionRequestedAt: string | null;
  /** null on requests recorded before due times were (the caller applies the current grace period). */
  deletionDueAt: string | null;
  /** Final: every command but CompleteDeletion is refused as if the account did not exist. */
  deleted: boolean;
  restricted: boolean;
  /** Issue 22. `legacy`: registered before attestations were recorded. */
  eligibility: 'attested' | 'pending' | 'legacy';
  /** The policy versions last accepted or seen (null: none recorded). */
  termsSeen: string | null;
  privacySeen: string | null;
  providerTermsAccepted: string | null;
  /** Reported under 18: the deletion is due at once. */
  reportedMinorAt: string | null;
}

/** What a sign-up confirms: 18 or older, and the versions of the terms and privacy policy accepted. */
export interface Attestation {
  over18: true;
  termsVersion: string;
  privacyVersion: string;
  attestedAt: string;
}

export type AccountCommand =
  | {
      type: 'RegisterAccount';
      accountId: string;
      emailHash: string;
      email: string | null;
      displayName: string | null;
      picture: string | null;
      via: SignInMethod;
      roles: Role[];
      passwordHash: string | null;
      /** 'pending': a first external sign-in, which must confirm before anything else. */
      eligibility: Attestation | 'pending';
      at: string;
    }
  | { type: 'AttestEligibility'; attestation: Attestation; at: string }
  | { type: 'RecordPolicyVersionsSeen'; termsVersion: string; privacyVersion: string; at: string }
  | { type: 'AcceptProviderTerms'; version: string; inviteId: string; at: string }
  | { type: 'FlagReportedMinor'; referenceId: string | null; at: string }
  | { type: 'ChangePassword'; passwordHash: string; at: string }
  /** `email` sealed; the caller claimed the address's identity first. */
  | { type: 'ChangeEmail'; emailHash: string; email: string; at: string }
  | { type: 'UpdateProfile'; displayName?: string | null; picture?: string | null; at: string }
  /** `viaInvite`: the provider role is granted only by accepting an invite (beta policy P18). */
  | { type: 'GrantRole'; role: Role; viaInvite?: boolean; at: string }
  | { type: 'RevokeRole'; role: Role; at: string }
  | { type: 'SuspendAccount'; reason: string; at: string }
  | { type: 'ReinstateAccount'; at: string }
  | { type: 'RequestDeletion'; dueAt: string; channel: DeletionChannel; note: string | null; at: string }
  | { type: 'CancelDeletion'; at: string }
  /** `graceDays` applies to requests recorded without a due time. */
  | { type: 'CompleteDeletion'; graceDays: number; at: string }
  | { type: 'RestrictProcessing'; at: string }
  | { type: 'LiftRestriction'; at: string };

const initialState = (): AccountState => ({
  exists: false,
  status: 'active',
  roles: [],
  emailHash: null,
  passwordHash: null,
  deletionRequestedAt: null,
  deletionDueAt: null,
  deleted: false,
  restricted: false,
  eligibility: 'legacy',
  termsSeen: null,
  privacySeen: null,
  providerTermsAccepted: null,
  reportedMinorAt: null,
});

const DAY_MS = 24 * 60 * 60 * 1000;

/** When a pending deletion completes. */
export function deletionDueAt(state: AccountState, graceDays: number): string | null {
  if (state.reportedMinorAt) return state.reportedMinorAt; // no grace period
  if (!state.deletionRequestedAt) return null;
  return state.deletionDueAt ?? new Date(Date.parse(state.deletionRequestedAt) + graceDays * DAY_MS).toISOString();
}

export type RegisterAccount = Extract<AccountCommand, { type: 'RegisterAccount' }>;
export type AttestEligibility = Extract<AccountCommand, { type: 'AttestEligibility' }>;
export type RecordPolicyVersionsSeen = Extract<AccountCommand, { type: 'RecordPolicyVersionsSeen' }>;
export type AcceptProviderTerms = Extract<AccountCommand, { type: 'AcceptProviderTerms' }>;
export type FlagReportedMinor = Extract<AccountCommand, { type: 'FlagReportedMinor' }>;
export type ChangePassword = Extract<AccountCommand, { type: 'ChangePassword' }>;
export type ChangeEmail = Extract<AccountCommand, { type: 'ChangeEmail' }>;
export type UpdateProfile = Extract<AccountCommand, { type: 'UpdateProfile' }>;
export type GrantRole = Extract<AccountCommand, { type: 'GrantRole' }>;
export type RevokeRole = Extract<AccountCommand, { type: 'RevokeRole' }>;
export type SuspendAccount = Extract<AccountCommand, { type: 'SuspendAccount' }>;
export type ReinstateAccount = Extract<AccountCommand, { type: 'ReinstateAccount' }>;
export type RequestDeletion = Extract<AccountCommand, { type: 'RequestDeletion' }>;
export type CancelDeletion = Extract<AccountCommand, { type: 'CancelDeletion' }>;
export type CompleteDeletion = Extract<AccountCommand, { type: 'CompleteDeletion' }>;
export type RestrictProcessing = Extract<AccountCommand, { type: 'RestrictProcessing' }>;
export type LiftRestriction = Extract<AccountCommand, { type: 'LiftRestriction' }>;

/** Sign-up: the account, its password (if any) and its eligibility attestation (unless pending). */
export function registerAccount(command: RegisterAccount, state: AccountState): AccountEvent[] {
  if (state.exists) throw conflict('account_exists', 'The account already exists.');
  const roles = [...new Set<Role>(['developer', ...command.roles])];
  if (roles.includes('provider')) throw forbidden('provider_invite_only', 'The provider role is granted only through an invite.');
  const pending = command.eligibility === 'pending';
  if (pending && command.via !== 'google' && command.via !== 'telegram')
    throw invalid('eligibility_required', 'Confirm being 18 or older and accept the terms and privacy policy to sign up.');
  const registered: AccountEvent = {
    type: 'AccountRegistered',
    data: {
      accountId: command.accountId,
      emailHash: command.emailHash,
      email: command.email,
      displayName: command.displayName,
      picture: command.picture,
      via: command.via,
      roles,
      registeredAt: command.at,
      ...(pending ? { eligibilityPending: true } : {}),
    },
  };
  const attested = command.eligibility === 'pending' ? [] : [attestedEvent(command.eligibility)];
  const password: AccountEvent[] = command.passwordHash ? [{ type: 'PasswordChanged', data: { passwordHash: command.passwordHash, changedAt: command.at } }] : [];
  // The password stays at revision 1 (the notices tell a sign-up's password from a change by that).
  return [registered, ...password, ...attested];
}

/** The eligibility step of a first Google/Telegram sign-in. */
export function attestEligibility(command: AttestEligibility, state: AccountState): AccountEvent[] {
  return state.eligibility === 'pending' ? [attestedEvent(command.attestation)] : [];
}

/** At sign-in: the policy versions in force, recorded when they changed (continued use is acceptance). */
export function recordPolicyVersionsSeen(command: RecordPolicyVersionsSeen, state: AccountState): AccountEvent[] {
  if (state.eligibility === 'pending') return []; // nothing accepted yet: continued use is not acceptance
  if (state.termsSeen === command.termsVersion && state.privacySeen === command.privacyVersion) return [];
  return [{ type: 'PolicyVersionsSeen', data: { termsVersion: command.termsVersion, privacyVersion: command.privacyVersion, seenAt: command.at } }];
}

/** With a provider invite: the provider terms accepted. */
export function acceptProviderTerms(command: AcceptProviderTerms, state: AccountState): AccountEvent[] {
  return state.providerTermsAccepted === command.version
    ? []
    : [{ type: 'ProviderTermsAccepted', data: { providerTermsVersion: command.version, inviteId: command.inviteId, acceptedAt: command.at } }];
}

/** Reported under 18: flagged once; the deletion follows without a grace period. */
export function flagReportedMinor(command: FlagReportedMinor, state: AccountState): AccountEvent[] {
  return state.reportedMinorAt ? [] : [{ type: 'ReportedMinorFlagged', data: { flaggedAt: command.at, referenceId: command.referenceId } }];
}

export function changePassword(command: ChangePassword, _state: AccountState): AccountEvent[] {
  return [{ type: 'PasswordChanged', data: { passwordHash: command.passwordHash, changedAt: command.at } }];
}

/** The proven new address (claimed by the service before this). */
export function changeEmail(command: ChangeEmail, state: AccountState): AccountEvent[] {
  if (state.status === 'suspended') throw forbidden('account_suspended', 'This account is suspended.');
  return command.emailHash === state.emailHash ? [] : [{ type: 'EmailChanged', data: { emailHash: command.emailHash, email: command.email, changedAt: command.at } }];
}

export function updateProfile(command: UpdateProfile, _state: AccountState): AccountEvent[] {
  const data: { displayName?: string | null; picture?: string | null; updatedAt: string } = { updatedAt: command.at };
  if (command.displayName !== undefined) data.displayName = command.displayName;
  if (command.picture !== undefined) data.picture = command.picture;
  return Object.keys(data).length > 1 ? [{ type: 'ProfileUpdated', data }] : [];
}

/** Staff roles; the provider role only through an invite. */
export function grantRole(command: GrantRole, state: AccountState): AccountEvent[] {
  if (!ROLES.includes(command.role)) throw invalid('unknown_role', `Unknown role ${command.role}.`);
  if (command.role === 'provider' && !command.viaInvite) throw forbidden('provider_invite_only', 'The provider role is granted only through an invite.');
  return state.roles.includes(command.role) ? [] : [{ type: 'RoleGranted', data: { role: command.role, grantedAt: command.at } }];
}

/** Every account keeps the developer role. */
export function revokeRole(command: RevokeRole, state: AccountState): AccountEvent[] {
  if (command.role === 'developer') throw invalid('developer_role_permanent', 'Every account keeps the developer role.');
  return state.roles.includes(command.role) ? [{ type: 'RoleRevoked', data: { role: command.role, revokedAt: command.at } }] : [];
}

export function suspendAccount(command: SuspendAccount, state: AccountState): AccountEvent[] {
  if (!command.reason.trim()) throw invalid('reason_required', 'A suspension needs a reason.');
  return state.status === 'suspended' ? [] : [{ type: 'AccountSuspended', data: { reason: command.reason, suspendedAt: command.at } }];
}

export function reinstateAccount(command: ReinstateAccount, state: AccountState): AccountEvent[] {
  return state.status === 'active' ? [] : [{ type: 'AccountReinstated', data: { reinstatedAt: command.at } }];
}

/** P9: a deletion request, due after the grace period. */
export function requestDeletion(command: RequestDeletion, state: AccountState): AccountEvent[] {
  if (state.deletionRequestedAt) return [];
  if (!(Date.parse(command.dueAt) >= Date.parse(command.at))) throw invalid('invalid_due_time', 'A deletion cannot be due before it was requested.');
  const note = command.note === null ? {} : { note: command.note };
  return [{ type: 'DeletionRequested', data: { requestedAt: command.at, dueAt: command.dueAt, channel: command.channel, ...note } }];
}

export function cancelDeletion(command: CancelDeletion, state: AccountState): AccountEvent[] {
  return state.deletionRequestedAt ? [{ type: 'DeletionCancelled', data: { cancelledAt: command.at } }] : [];
}

/** The deletion job, once the request (or a reported minor's flag) is due. */
export function completeDeletion(command: CompleteDeletion, state: AccountState): AccountEvent[] {
  const due = deletionDueAt(state, command.graceDays);
  const requestedAt = state.reportedMinorAt ?? state.deletionRequestedAt;
  if (!requestedAt || due === null) throw conflict('no_deletion_request', 'No deletion was requested (or it was cancelled).');
  if (Date.parse(command.at) < Date.parse(due)) throw conflict('grace_period_running', `The deletion is due at ${due}.`);
  return [{ type: 'AccountDeleted', data: { requestedAt, deletedAt: command.at } }];
}

/** P10: processing restricted. */
export function restrictProcessing(command: RestrictProcessing, state: AccountState): AccountEvent[] {
  return state.restricted ? [] : [{ type: 'ProcessingRestricted', data: { restrictedAt: command.at } }];
}

export function liftRestriction(command: LiftRestriction, state: AccountState): AccountEvent[] {
  return state.restricted ? [{ type: 'ProcessingRestrictionLifted', data: { liftedAt: command.at } }] : [];
}

/** One account's stream: sign-up, then every other use case on an account that exists and is not deleted. */
function decide(command: AccountCommand, state: AccountState): AccountEvent[] {
  if (command.type === 'RegisterAccount') return registerAccount(command, state);
  if (!state.exists) throw notFound('account_not_found', 'No such account.');
  if (state.deleted) {
    if (command.type === 'CompleteDeletion') return []; // a re-run of the deletion job
    throw notFound('account_not_found', 'No such account.');
  }
  switch (command.type) {
    case 'AttestEligibility':
      return attestEligibility(command, state);
    case 'RecordPolicyVersionsSeen':
      return recordPolicyVersionsSeen(command, state);
    case 'AcceptProviderTerms':
      return acceptProviderTerms(command, state);
    case 'FlagReportedMinor':
      return flagReportedMinor(command, state);
    case 'ChangePassword':
      return changePassword(command, state);
    case 'ChangeEmail':
      return changeEmail(command, state);
    case 'UpdateProfile':
      return updateProfile(command, state);
    case 'GrantRole':
      return grantRole(command, state);
    case 'RevokeRole':
      return revokeRole(command, state);
    case 'SuspendAccount':
      return suspendAccount(command, state);
    case 'ReinstateAccount':
      return reinstateAccount(command, state);
    case 'RequestDeletion':
      return requestDeletion(command, state);
    case 'CancelDeletion':
      return cancelDeletion(command, state);
    case 'CompleteDeletion':
      return completeDeletion(command, state);
    case 'RestrictProcessing':
      return restrictProcessing(command, state);
    case 'LiftRestriction':
      return liftRestriction(command, state);
    default:
      return assertNever(command);
  }
}

function evolve(state: AccountState, event: AccountEvent): AccountState {
  switch (event.type) {
    case 'AccountRegistered':
      return { ...state, exists: true, roles: event.data.roles, emailHash: event.data.emailHash, eligibility: event.data.eligibilityPending ? 'pending' : 'legacy' };
    case 'EmailChanged':
      return { ...state, emailHash: event.data.emailHash };
    case 'EligibilityAttested':
      return { ...state, eligibility: 'attested', termsSeen: event.data.termsVersion, privacySeen: event.data.privacyVersion };
    case 'PolicyVersionsSeen':
      return { ...state, termsSeen: event.data.termsVersion, privacySeen: event.data.privacyVersion };
    case 'ProviderTermsAccepted':
      return { ...state, providerTermsAccepted: event.data.providerTermsVersion };
    case 'ReportedMinorFlagged':
      return { ...state, reportedMinorAt: event.data.flaggedAt };
    case 'PasswordChanged':
      return { ...state, passwordHash: event.data.passwordHash };
    case 'ProfileUpdated':
      return state;
    case 'RoleGranted':
      return { ...state, roles: [...state.roles, event.data.role] };
    case 'RoleRevoked':
      return { ...state, roles: state.roles.filter((r) => r !== event.data.role) };
    case 'AccountSuspended':
      return { ...state, status: 'suspended' };
    case 'AccountReinstated':
      return { ...state, status: 'active' };
    case 'DeletionRequested':
      return { ...state, deletionRequestedAt: event.data.requestedAt, deletionDueAt: event.data.dueAt ?? null };
    case 'DeletionCancelled':
      return { ...state, deletionRequestedAt: null, deletionDueAt: null };
    case 'AccountDeleted':
      return { ...state, deleted: true, emailHash: null, passwordHash: null, roles: [], restricted: false };
    case 'ProcessingRestricted':
      return { ...state, restricted: true };
    case 'ProcessingRestrictionLifted':
      return { ...state, restricted: false };
    default:
      return state; // events from later versions are ignored, never fatal
  }
}

function attestedEvent(a: Attestation): AccountEvent {
  if (a.over18 !== true) throw invalid('eligibility_required', 'Confirm being 18 or older to sign up.');
  return { type: 'EligibilityAttested', data: { over18: true, termsVersion: a.termsVersion, privacyVersion: a.privacyVersion, attestedAt: a.attestedAt } };
}

export const accountDecider: Decider<AccountState, AccountCommand, AccountEvent> = { initialState, decide, evolve };
