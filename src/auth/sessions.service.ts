import { Inject, Injectable } from '@nestjs/common';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { SignInMethod } from '../accounts/account.events';
import { AccountsService } from '../accounts/accounts.service';
import { now } from '../platform/clock';
import { forbidden, notFound, unauthorized } from '../platform/errors/domain-error';
import { APP_CONFIG, AppConfig } from '../platform/config/config';
import { Logger } from '../platform/observability/logger';
import { LOGGER } from '../platform/observability/tokens';
import { SECRETS, Secrets } from '../platform/security/secrets';
import { AccessTokens, parseClaims } from './access-tokens';
import { deviceSummary, UNKNOWN_DEVICE } from './device-summary';
import { SessionPrincipal } from '../platform/access/principal';
import { SessionRecord, SessionStore } from './session-store';

/** What a sign-in or a refresh hands to the client (as cookies, and the access token also in JSON). */
export interface IssuedSession {
  accountId: string;
  sessionId: string;
  accessToken: string;
  accessTokenExpiresAt: string;
  refreshToken: string;
  refreshTokenMaxAgeSeconds: number;
  /** The account must confirm age and terms (POST /me/eligibility) before anything else. */
  eligibilityPending?: boolean;
}

/** A session in the sessions list: `id` is a keyed hash of the sid, so it can name the session but never be used as one. */
export interface SessionView {
  id: string;
  current: boolean;
  method: SignInMethod;
  device: string;
  createdAt: string;
  lastUsedAt: string;
}
const SESSION_REF_LENGTH = 32;
const SESSION_REF = /^[0-9a-f]{32}$/;

/** `{sid}.{secret}`: the sid finds the session, the 256-bit secret proves possession. */
const REFRESH_TOKEN = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

const sameHash = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
const newSessionId = () => randomBytes(16).toString('base64url');
const newRefreshToken = (sid: string) => `${sid}.${randomBytes(32).toString('base64url')}`;

@Injectable()
export class SessionsService {
  constructor(
    private readonly store: SessionStore,
    private readonly tokens: AccessTokens,
    private readonly accounts: AccountsService,
    @Inject(SECRETS) private readonly secrets: Secrets,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async start(accountId: string, method: SignInMethod, userAgent: string | null = null): Promise<IssuedSession> {
    const state = await this.accounts.state(accountId);
    const sessionId = newSessionId();
    const refreshToken = newRefreshToken(sessionId);
    const ttlSeconds = this.config.sessionRefreshTtlSeconds;
    await this.store.create(sessionId, { accountId, refreshHash: this.refreshHash(refreshToken), method, createdAt: now(), device: deviceSummary(userAgent) }, ttlSeconds);
    const access = this.tokens.sign(accountId, sessionId, state.roles);
    const pending = state.eligibility === 'pending' ? { eligibilityPending: true } : {};
    return { accountId, sessionId, accessToken: access.token, accessTokenExpiresAt: access.expiresAt, refreshToken, refreshTokenMaxAgeSeconds: ttlSeconds, ...pending };
  }

  /** Rotates the refresh token and issues a new access token; a reused token ends the session. */
  async refresh(refreshToken: string | null): Promise<IssuedSession> {
    const sessionId = refreshToken ? REFRESH_TOKEN.exec(refreshToken)?.[1] : undefined;
    if (!refreshToken || !sessionId) throw unauthorized('refresh_token_invalid', 'No valid refresh token; sign in again.');
    const next = newRefreshToken(sessionId);
    const rotated = await this.store.rotate(sessionId, this.refreshHash(refreshToken), this.refreshHash(next));
    if (rotated.kind === 'reused') {
      // Two parties held the same refresh token: one of them stole it. Neither keeps the session.
      this.logger.warn({ accountId: rotated.accountId }, 'refresh token reused; session ended');
      throw unauthorized('refresh_token_reused', 'This refresh token was already used, so the session has been ended; sign in again.');
    }
    if (rotated.kind !== 'rotated') throw unauthorized('refresh_token_invalid', 'No valid refresh token; sign in again.');
    const state = await this.accounts.state(rotated.accountId);
    if (!state.exists || state.deleted || state.status === 'suspended') {
      await this.store.end(sessionId);
      throw forbidden('account_suspended', 'This account is suspended.');
    }
    const access = this.tokens.sign(rotated.accountId, sessionId, state.roles);
    return {
      accountId: rotated.accountId,
      sessionId,
      accessToken: access.token,
      accessTokenExpiresAt: access.expiresAt,
      refreshToken: next,
      refreshTokenMaxAgeSeconds: rotated.remainingSeconds,
    };
  }

  /** Ends the session named by either token, if any; signing out twice is not an error. */
  async end(tokens: { accessToken: string | null; refreshToken: string | null }): Promise<void> {
    const sids = new Set<string>();
    const claims = tokens.accessToken ? this.tokens.verify(tokens.accessToken) : null;
    if (claims) sids.add(claims.sid);
    const fromRefresh = tokens.refreshToken ? REFRESH_TOKEN.exec(tokens.refreshToken)?.[1] : undefined;
    // A refresh token ends its session only if it is the current one (a guessed sid must not log anyone out).
    if (fromRefresh && tokens.refreshToken) {
      const current = await this.store.refreshHashOf(fromRefresh);
      if (current !== null && sameHash(current, this.refreshHash(tokens.refreshToken))) sids.add(fromRefresh);
    }
    for (const sid of sids) await this.store.end(sid);
  }

  /** Ends every session of the account but the caller's own (a credential change: issue 15, item 4). */
  async endOthers(principal: SessionPrincipal): Promise<number> {
    return this.store.endAll(principal.accountId, principal.sessionId);
  }

  /** The account's live sessions, newest use first; the caller's own is marked `current`. */
  async list(principal: SessionPrincipal): Promise<SessionView[]> {
    const records = await this.store.list(principal.accountId);
    return records.map((r) => this.view(principal, r)).sort((a, b) => Number(b.current) - Number(a.current) || b.lastUsedAt.localeCompare(a.lastUsedAt));
  }

  /**
   * Ends one of the account's own sessions by its public id. Another account's session, an ended
   * one and a made-up id are all "not found": the answer tells nothing about other accounts.
   */
  async revoke(principal: SessionPrincipal, id: string): Promise<SessionView> {
    const record = SESSION_REF.test(id) ? (await this.store.list(principal.accountId)).find((r) => this.sessionRef(r.sid) === id) : undefined;
    if (!record || !(await this.store.endOf(principal.accountId, record.sid))) throw notFound('session_not_found', 'No session of yours has this id; it may have ended already.');
    return this.view(principal, record);
  }

  private view(principal: SessionPrincipal, r: SessionRecord): SessionView {
    return {
      id: this.sessionRef(r.sid),
      current: r.sid === principal.sessionId,
      method: r.method,
      device: r.device ?? UNKNOWN_DEVICE,
      createdAt: r.createdAt,
      lastUsedAt: r.lastUsedAt,
    };
  }

  private sessionRef(sid: string): string {
    return this.secrets.hash('session-ref', sid).slice(0, SESSION_REF_LENGTH);
  }

  /** Whether the session's sign-in (not its latest refresh) happened within `withinMs`. */
  async signedInRecently(principal: SessionPrincipal, withinMs: number): Promise<boolean> {
    const at = await this.store.signedInAt(principal.sessionId);
    return at !== null && Date.now() - at.getTime() <= withinMs;
  }

  /**
   * For SessionGuard, after the JWT's signature and expiry were checked: the session must still
   * exist (logout is immediate) and the account must still be active. Returns the current roles.
   */
  async authenticate(rawClaims: unknown): Promise<SessionPrincipal> {
    const claims = parseClaims(rawClaims);
    if (!claims) throw unauthorized('session_required', 'Sign in first.');
    const accountId = await this.store.accountOf(claims.sid);
    if (accountId === null || accountId !== claims.sub) throw unauthorized('session_ended', 'This session has ended; sign in again.');
    const state = await this.accounts.state(accountId);
    if (!state.exists || state.deleted) throw unauthorized('session_ended', 'This session has ended; sign in again.');
    if (state.status === 'suspended') throw forbidden('account_suspended', 'This account is suspended.');
    return { accountId, sessionId: claims.sid, roles: state.roles, status: state.status, eligibilityPending: state.eligibility === 'pending' };
  }

  private refreshHash(token: string): string {
    return this.secrets.hash('refresh-token', token);
  }
}
