import { Inject, Injectable } from '@nestjs/common';
import { Kysely } from 'kysely';
import { AccountsService } from '../../accounts/accounts.service';
import { ApiKeysService } from '../../api-keys/api-keys.service';
import { accountStream } from '../../accounts/account.events';
import { signInStream } from '../../auth/sign-in.events';
import { DomainError, notFound } from '../../platform/errors/domain-error';
import { KYSELY } from '../../platform/database/database.module';
import { Database } from '../../platform/database/schema';
import { StreamNotFoundError } from '../../platform/event-store/event-store.errors';
import { EVENT_STORE, EventStore, RecordedEvent } from '../../platform/event-store/event-store.port';
import { developerAccount, providerAccount } from '../../ledger/ledger-accounts';
import { LedgerQueries } from '../../ledger/ledger.queries';
import { formatUsd } from '../../platform/money';
import { USAGE_STREAM_PREFIX } from '../../metering/usage.events';
import { PreferencesService, viewOf } from '../../notifications/preferences/preferences.service';
import { PERSONAL_DATA_VAULT, PersonalDataVault } from '../../platform/personal-data/personal-data.vault';
import { DataRightsService } from '../data-rights.service';
import { KycService } from '../kyc/kyc.service';

/** Rows or events read per round trip: what one export holds in memory at a time. */
export const EXPORT_PAGE = 500;
export const EXPORT_FORMAT = 'tollgate-export/1';

/** Where the export goes; `write` resolves when the chunk may be followed by another (backpressure). */
export interface ExportSink {
  write(chunk: string): Promise<void>;
}

/**
 * P7: everything held about one person, as one JSON document written section by section in pages,
 * so its size has no bound in memory however long the history (a year of per-request usage is
 * millions of lines). The last field is `"complete": true`: a document cut short by an error or
 * a dropped connection lacks it (and is not valid JSON). Personal fields are opened from their
 * sealed form; key hashes and password hashes are never included.
 */
const AGREEMENT_EVENTS: ReadonlySet<string> = new Set(['EligibilityAttested', 'PolicyVersionsSeen', 'ProviderTermsAccepted']);

@Injectable()
export class DataExport {
  constructor(
    @Inject(KYSELY) private readonly db: Kysely<Database>,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PERSONAL_DATA_VAULT) private readonly vault: PersonalDataVault,
    private readonly accounts: AccountsService,
    private readonly keys: ApiKeysService,
    private readonly rights: DataRightsService,
    private readonly ledger: LedgerQueries,
    private readonly kyc: KycService,
    private readonly preferences: PreferencesService,
  ) {}

  async write(accountId: string, sink: ExportSink, generatedAt: string): Promise<void> {
    const state = await this.accounts.state(accountId);
    if (!state.exists || state.deleted) throw notFound('account_not_found', 'No such account.');
    const profile = await this.accounts.view(accountId);
    const deletion = await this.rights.status(accountId);
    await sink.write(`{"format":${JSON.stringify(EXPORT_FORMAT)},"generatedAt":${JSON.stringify(generatedAt)},"accountId":${JSON.stringify(accountId)}`);
    await field(sink, 'profile', { ...profile, roles: state.roles, status: state.status });
    await field(sink, 'dataRights', {
      deletion: { requested: deletion.requestedAt !== null, requestedAt: deletion.requestedAt, dueAt: deletion.dueAt },
      restriction: { restricted: state.restricted, restrictedAt: profile.restrictedAt },
    });
    await field(sink, 'apiKeys', await this.keys.list(accountId));
    await field(sink, 'kyc', await this.kycView(accountId));
    // Mail preferences with the marketing consent's time, as they stand (from the stream).
    await field(sink, 'notificationPreferences', viewOf(await this.preferences.current(accountId)));
    await arrayField(sink, 'agreements', this.agreements(accountId));
    await arrayField(sink, 'signIns', this.signIns(accountId));
    await arrayField(sink, 'usage', this.usage(accountId));
    await arrayField(sink, 'paymentOrders', this.paymentOrders(accountId));
    await arrayField(sink, 'ledgerLines', this.ledgerLines(accountId));
    await sink.write(',"complete":true}\n');
  }

  /** Masked numbers and status (the numbers themselves are never opened); null when never submitted. */
  private async kycView(accountId: string): Promise<object | null> {
    try {
      return await this.kyc.view(accountId, false);
    } catch (err) {
      if (err instanceof DomainError && err.code === 'kyc_not_submitted') return null;
      throw err;
    }
  }

  /** Issue 22: the age attestation and the policy versions accepted or seen, with their times (ids and versions only). */
  private async *agreements(accountId: string): AsyncGenerator<object> {
    for await (const event of readForward(this.store, accountStream(accountId))) {
      if (AGREEMENT_EVENTS.has(event.type)) yield { type: event.type, ...event.data };
    }
  }

  private async *signIns(accountId: string): AsyncGenerator<object> {
    for await (const event of readForward(this.store, signInStream(accountId))) {
      if (event.type !== 'SignedIn') continue;
      const d = event.data as { method?: string; ip?: string | null; userAgent?: string | null; signedInAt?: string };
      yield { method: d.method ?? null, ip: await this.vault.open(accountId, d.ip), userAgent: await this.vault.open(accountId, d.userAgent), signedInAt: d.signedInAt ?? null };
    }
  }

  /**
   * Per request while the details are held (P5's window), else the day's summary: a summarised
   * day contributes its `UsageDaySummarized` and only the details recorded after it covered.
   */
  private async *usage(accountId: string): AsyncGenerator<object> {
    const prefix = `${USAGE_STREAM_PREFIX}${accountId}-`;
    for await (const stream of this.streamsWithPrefix(prefix)) {
      let [last]: RecordedEvent[] = [];
      try {
        [last] = await this.store.readStream(stream, { direction: 'backwards', maxCount: 1 });
      } catch (err) {
        if (err instanceof StreamNotFoundError) continue;
        throw err;
      }
      let through = -1n;
      if (last?.type === 'UsageDaySummarized') {
        const { postings: _postings, ...summary } = last.data as Record<string, unknown>;
        yield { kind: 'daySummary', ...summary };
        through = BigInt(String(last.data.throughRevision ?? '-1'));
      }
      for await (const event of readForward(this.store, stream, through + 1n)) {
        if (event.type !== 'UsageRecorded') continue;
        const { postings: _postings, holdId: _holdId, ...request } = event.data as Record<string, unknown>;
        yield { kind: 'request', ...request };
      }
    }
  }

  private async *streamsWithPrefix(prefix: string): AsyncGenerator<string> {
    let after = prefix;
    for (;;) {
      // `~` sorts after the digits and dashes of the day suffix: a range the primary key can serve.
      const rows = await this.db
        .selectFrom('stream_index')
        .select('stream')
        .where('stream', '>', after)
        .where('stream', '<', `${prefix}~`)
        .orderBy('stream')
        .limit(EXPORT_PAGE)
        .execute();
      for (const row of rows) if (row.stream.startsWith(prefix)) yield row.stream;
      if (rows.length < EXPORT_PAGE) return;
      after = rows[rows.length - 1].stream;
    }
  }

  /** Orders with their payments and refunds: Razorpay ids, amounts and statuses only (P3). */
  private async *paymentOrders(accountId: string): AsyncGenerator<object> {
    let after = '';
    for (;;) {
      const orders = await this.db
        .selectFrom('payment_orders')
        .select(['order_id', 'amount_micro_usd', 'amount_cents', 'currency', 'receipt', 'status', 'created_at', 'updated_at'])
        .where('account_id', '=', accountId)
        .where('order_id', '>', after)
        .orderBy('order_id')
        .limit(EXPORT_PAGE)
        .execute();
      if (orders.length === 0) return;
      const ids = orders.map((o) => o.order_id);
      const payments = await this.db
        .selectFrom('payments')
        .select(['payment_id', 'order_id', 'razorpay_status', 'amount_cents', 'currency', 'ledger_status', 'credited_micro_usd', 'credited_at', 'dispute_status', 'updated_at'])
        .where('order_id', 'in', ids)
        .execute();
      const refunds = await this.db
        .selectFrom('payment_refunds')
        .select(['refund_id', 'order_id', 'payment_id', 'amount_micro_usd', 'status', 'reason', 'requested_at', 'updated_at'])
        .where('order_id', 'in', ids)
        .execute();
      for (const o of orders) {
        yield {
          orderId: o.order_id,
          amountUsd: formatUsd(BigInt(o.amount_micro_usd)),
          amountMicroUsd: String(o.amount_micro_usd),
          currency: o.currency,
          receipt: o.receipt,
          status: o.status,
          createdAt: o.created_at.toISOString(),
          payments: payments.filter((p) => p.order_id === o.order_id).map(({ order_id: _o, ...p }) => p),
          refunds: refunds.filter((r) => r.order_id === o.order_id).map(({ order_id: _o, ...r }) => r),
        };
      }
      if (orders.length < EXPORT_PAGE) return;
      after = orders[orders.length - 1].order_id;
    }
  }

  /** Every line of the person's ledger accounts (credits as a developer, earnings as a provider), newest first. */
  private async *ledgerLines(accountId: string): AsyncGenerator<object> {
    for (const ledgerAccount of [developerAccount(accountId), providerAccount(accountId)]) {
      let cursor: string | undefined;
      do {
        const page = await this.ledger.statement(ledgerAccount, { limit: EXPORT_PAGE, cursor });
        for (const line of page.items) yield { ledgerAccount, ...line };
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
    }
  }
}

async function* readForward(store: EventStore, stream: string, from = 0n): AsyncGenerator<RecordedEvent> {
  let next = from;
  for (;;) {
    let page: RecordedEvent[];
    try {
      page = await store.readStream(stream, { direction: 'forwards', fromRevision: next, maxCount: EXPORT_PAGE });
    } catch (err) {
      if (err instanceof StreamNotFoundError) return;
      throw err;
    }
    yield* page;
    if (page.length < EXPORT_PAGE) return;
    next = page[page.length - 1].revision + 1n;
  }
}

async function field(sink: ExportSink, name: string, value: unknown): Promise<void> {
  await sink.write(`,${JSON.stringify(name)}:${JSON.stringify(value)}`);
}

/** Items are gathered into chunks of ≈ 64 KB, so a long section costs few writes. */
async function arrayField(sink: ExportSink, name: string, items: AsyncIterable<object>): Promise<void> {
  let chunk = `,${JSON.stringify(name)}:[`;
  let first = true;
  for await (const item of items) {
    chunk += (first ? '' : ',') + JSON.stringify(item);
    first = false;
    if (chunk.length >= 65_536) {
      await sink.write(chunk);
      chunk = '';
    }
  }
  await sink.write(chunk + ']');
}
