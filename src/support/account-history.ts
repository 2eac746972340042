import { Inject, Injectable } from '@nestjs/common';
import { Kysely } from 'kysely';
import { accountDecider, AccountState } from '../accounts/account.decide';
import { AccountEvent } from '../accounts/account.events';
import { apiKeyDecider, ApiKeyState } from '../api-keys/api-key.decide';
import { ApiKeyEvent } from '../api-keys/api-key.events';
import { DATE_RANGE_TEXT, instantOf } from '../platform/http/dates';
import { invalid, notFound } from '../platform/errors/domain-error';
import { KYSELY } from '../platform/database/database.module';
import { Database } from '../platform/database/schema';
import { Decider, DomainEvent } from '../platform/event-sourcing/decider';
import { StreamNotFoundError } from '../platform/event-store/event-store.errors';
import { EVENT_STORE, EventStore, RecordedEvent } from '../platform/event-store/event-store.port';
import { creditsDecider, CreditsState } from '../ledger/credits/credits.decide';
import { CreditsEvent } from '../ledger/credits.events';
import { developerAccount, normalBalance, providerAccount } from '../ledger/ledger-accounts';
import { pageSize } from '../ledger/ledger.queries';
import { netFor, readPostings } from '../ledger/postings';
import { payoutDecider, PayoutState } from '../payouts/payout.decide';
import { PayoutEvent } from '../payouts/payout.events';
import { AccountStreams, accountStreams, allStreams } from './account-streams';
import { TimelineEntry, timelineEntry } from './event-summary';

/** Limits: events read for one look-up. A longer history is looked at through a narrower window. */
export const MAX_EVENTS_PER_LOOKUP = 200_000;
const READ_PAGE = 1_000;

export interface TimelineQuery {
  from?: Date;
  to?: Date;
  limit?: number;
  before?: string;
}

/** (time, stream, revision): the timeline's order, newest first, and its cursor. */
type Key = [number, string, bigint];
const keyOf = (e: RecordedEvent): Key => [e.createdAt.getTime(), e.stream, e.revision];
function compareKeys(a: Key, b: Key): number {
  if (a[0] !== b[0]) return a[0] - b[0];
  if (a[1] !== b[1]) return a[1] < b[1] ? -1 : 1;
  return a[2] === b[2] ? 0 : a[2] < b[2] ? -1 : 1;
}
const cursorOf = (e: RecordedEvent) => `${e.createdAt.toISOString()}~${e.stream}~${e.revision}`;
function readCursor(cursor: string | undefined): Key | null {
  if (!cursor) return null;
  const [time, stream, revision] = cursor.split('~');
  const ms = instantOf(time)?.getTime();
  if (ms === undefined) throw invalid('invalid_cursor', `before must be an ISO-8601 time in ${DATE_RANGE_TEXT} or the nextCursor of a previous page.`);
  if (stream === undefined) return [ms + 1, '', -1n]; // a bare time: everything recorded before or at it
  if (!/^\d{1,19}$/.test(revision ?? '')) throw invalid('invalid_cursor', 'before must be the nextCursor of a previous page.');
  return [ms, stream, BigInt(revision)];
}

/** Folds events through a decider's own evolve: the write side's rules, not a second copy. */
function fold<S, E extends DomainEvent>(decider: Pick<Decider<S, unknown, E>, 'initialState' | 'evolve'>, events: readonly RecordedEvent[]): S {
  return events.reduce((state, e) => decider.evolve(state, { type: e.type, data: e.data } as E), decider.initialState());
}

/** bigint → string, so a decider's state can be answered as JSON. */
function json<T>(value: T): unknown {
  return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
}

export interface AccountStateAt {
  accountId: string;
  at: string;
  account: Omit<AccountState, 'passwordHash'> & { hasPassword: boolean; revision: string | null };
  apiKeys: (Omit<ApiKeyState, 'keyHash'> & { revision: string })[];
  credits: { balanceMicroUsd: string; entries: number; state: unknown };
  provider: { payableMicroUsd: string; payouts: unknown } | null;
  eventsRead: number;
}

/**
 * Support's replay of one account: its events across all its streams (metadata and a safe
 * summary only), and its state at any past instant folded with the write side's own evolve
 * functions. Reads the event store, never the read models' copy of the facts.
 */
@Injectable()
export class AccountHistory {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(KYSELY) private readonly db: Kysely<Database>,
  ) {}

  async streams(accountId: string): Promise<AccountStreams> {
    const streams = await accountStreams(this.db, accountId);
    if (!(await this.exists(streams.account))) throw notFound('account_not_found', 'No such account.');
    return streams;
  }

  /** Newest first; `before` is the previous page's nextCursor (or an ISO time). */
  async timeline(accountId: string, query: TimelineQuery): Promise<{ items: TimelineEntry[]; nextCursor: string | null }> {
    const limit = pageSize(query.limit);
    const before = readCursor(query.before);
    const streams = await this.streams(accountId);
    const fromMs = query.from?.getTime() ?? -Infinity;
    const toMs = query.to?.getTime() ?? Infinity;
    const inWindow = (e: RecordedEvent) => {
      const t = e.createdAt.getTime();
      return t >= fromMs && t < toMs && (!before || compareKeys(keyOf(e), before) < 0);
    };
    // A usage day's stream is written only on that UTC day (±1 for the day boundary), so days outside the window are not read.
    const upper = Math.min(toMs, before ? before[0] : Infinity);
    const dayOk = (day: string) => {
      const start = Date.parse(`${day}T00:00:00Z`);
      return start - 86_400_000 < upper && start + 2 * 86_400_000 > fromMs;
    };
    const names = [...allStreams({ ...streams, usage: [] }), ...streams.usage.filter((u) => dayOk(u.day)).map((u) => u.stream)];
    const budget = { left: MAX_EVENTS_PER_LOOKUP };
    const picked: RecordedEvent[] = [];
    for (const stream of names) picked.push(...(await this.newestInWindow(stream, inWindow, fromMs, limit + 1, budget)));
    picked.sort((a, b) => compareKeys(keyOf(b), keyOf(a)));
    const page = picked.slice(0, limit);
    return { items: page.map(timelineEntry), nextCursor: picked.length > limit ? cursorOf(page[page.length - 1]) : null };
  }

  /** The account's state as it was at `at`: every stream folded up to the last event recorded at or before it. */
  async stateAt(accountId: string, at: Date): Promise<AccountStateAt> {
    const streams = await this.streams(accountId);
    const budget = { left: MAX_EVENTS_PER_LOOKUP };
    const upTo = (stream: string) => this.readUpTo(stream, at, budget);
    const moneyUpTo = (stream: string) => this.readUpTo(stream, at, budget, 'all');
    const accountEvents = await upTo(streams.account);
    const account = fold<AccountState, AccountEvent>(accountDecider, accountEvents);
    const apiKeys: AccountStateAt['apiKeys'] = [];
    for (const stream of streams.apiKeys) {
      const events = await upTo(stream);
      const key = fold<ApiKeyState, ApiKeyEvent>(apiKeyDecider, events);
      if (!key.exists) continue;
      const { keyHash: _hidden, ...shown } = key;
      apiKeys.push({ ...shown, revision: events[events.length - 1].revision.toString() });
    }
    apiKeys.sort((a, b) => (a.keyId ?? '').localeCompare(b.keyId ?? ''));
    // The balance is the ledger's: the developer account's postings in the credits and usage streams.
    const creditsEvents = await moneyUpTo(streams.credits);
    const usageEvents: RecordedEvent[] = [];
    for (const u of streams.usage) if (Date.parse(`${u.day}T00:00:00Z`) - 86_400_000 <= at.getTime()) usageEvents.push(...(await moneyUpTo(u.stream)));
    const developer = developerAccount(accountId);
    let debitPositive = 0n;
    let entries = 0;
    for (const e of [...creditsEvents, ...usageEvents]) {
      const postings = readPostings(e.data);
      if (!postings || !postings.some((p) => p.account === developer)) continue;
      debitPositive += netFor(postings, developer);
      entries++;
    }
    const payoutEvents = await upTo(streams.payout);
    const provider = account.roles.includes('provider') || payoutEvents.length > 0 ? await this.providerAt(accountId, at, payoutEvents) : null;
    const { passwordHash, ...accountShown } = account;
    return {
      accountId,
      at: at.toISOString(),
      account: { ...accountShown, hasPassword: passwordHash !== null, revision: accountEvents.length ? accountEvents[accountEvents.length - 1].revision.toString() : null },
      apiKeys,
      credits: {
        balanceMicroUsd: normalBalance('credit', debitPositive).toString(),
        entries,
        state: json(fold<CreditsState, CreditsEvent>(creditsDecider, await upTo(streams.credits))),
      },
      provider,
      eventsRead: MAX_EVENTS_PER_LOOKUP - budget.left,
    };
  }

  /**
   * A provider's earnings are credited in their customers' usage streams, so the payable balance
   * comes from the ledger read model's postings (the same postings, projected) up to `at`.
   */
  private async providerAt(accountId: string, at: Date, payoutEvents: RecordedEvent[]): Promise<AccountStateAt['provider']> {
    const row = await this.db
      .selectFrom('ledger_postings')
      .select((eb) => eb.fn.coalesce(eb.fn.sum<string>('amount_micro_usd'), eb.val('0')).as('balance'))
      .where('ledger_account', '=', providerAccount(accountId))
      .where('occurred_at', '<=', at)
      .executeTakeFirstOrThrow();
    return { payableMicroUsd: normalBalance('credit', BigInt(row.balance)).toString(), payouts: json(fold<PayoutState, PayoutEvent>(payoutDecider, payoutEvents)) };
  }

  private async exists(stream: string): Promise<boolean> {
    try {
      return (await this.store.readStream(stream, { maxCount: 1 })).length > 0;
    } catch (err) {
      if (err instanceof StreamNotFoundError) return false;
      throw err;
    }
  }

  /**
   * A stream's events recorded at or before `at`, in revision order. For a decider (`prefix`) the
   * fold stops at the first later event, as the state then was; money streams (`all`) are summed,
   * so every event recorded by then counts whatever its place.
   */
  private async readUpTo(stream: string, at: Date, budget: { left: number }, mode: 'prefix' | 'all' = 'prefix'): Promise<RecordedEvent[]> {
    const out: RecordedEvent[] = [];
    let next = 0n;
    for (;;) {
      const page = await this.read(stream, { fromRevision: next, maxCount: READ_PAGE }, budget);
      for (const e of page) {
        if (e.createdAt.getTime() <= at.getTime()) out.push(e);
        else if (mode === 'prefix') return out;
      }
      if (page.length < READ_PAGE) return out;
      next = page[page.length - 1].revision + 1n;
    }
  }

  /** The newest `want` events of a stream inside the window, reading backwards and stopping below `fromMs`. */
  private async newestInWindow(stream: string, inWindow: (e: RecordedEvent) => boolean, fromMs: number, want: number, budget: { left: number }): Promise<RecordedEvent[]> {
    const out: RecordedEvent[] = [];
    let from: bigint | undefined;
    for (;;) {
      const page = await this.read(stream, { direction: 'backwards', fromRevision: from, maxCount: READ_PAGE }, budget);
      for (const e of page) {
        if (e.createdAt.getTime() < fromMs) return out;
        if (inWindow(e)) out.push(e);
        if (out.length >= want) return out;
      }
      const last = page[page.length - 1];
      if (page.length < READ_PAGE || !last || last.revision === 0n) return out;
      from = last.revision - 1n;
    }
  }

  private async read(stream: string, options: Parameters<EventStore['readStream']>[1], budget: { left: number }): Promise<RecordedEvent[]> {
    if (budget.left <= 0) throw invalid('too_many_events', `A look-up reads at most ${MAX_EVENTS_PER_LOOKUP} events; narrow it with from/to or an earlier at.`);
    try {
      const page = await this.store.readStream(stream, { ...options, maxCount: Math.min(options?.maxCount ?? READ_PAGE, budget.left) });
      budget.left -= page.length;
      return page;
    } catch (err) {
      if (err instanceof StreamNotFoundError) return [];
      throw err;
    }
  }
}
