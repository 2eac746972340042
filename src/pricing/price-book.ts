import { Inject, Injectable } from '@nestjs/common';
import { Kysely, sql } from 'kysely';
import { APP_CONFIG, AppConfig } from '../platform/config/config';
import { KYSELY } from '../platform/database/database.module';
import { Database, ModelPricesTable } from '../platform/database/schema';
import { Logger } from '../platform/observability/logger';
import { LOGGER } from '../platform/observability/tokens';

export interface ModelPrice {
  model: string;
  inputMicroUsdPerMTok: bigint;
  outputMicroUsdPerMTok: bigint;
  perImageMicroUsd: bigint | null;
  effectiveAt: string;
  version: number;
}

/** Bounds of the in-memory book: models, and versions kept per model (newest by effective time). */
export const PRICE_BOOK_MODELS_MAX = 10_000;
export const PRICE_BOOK_VERSIONS_PER_MODEL = 32;

interface Book {
  /** Per model, versions sorted by effective time, then version (ascending). */
  byModel: Map<string, ModelPrice[]>;
  loadedAtMs: number;
}

/**
 * Which price applies to a model at an instant: of the versions whose effective time is not after
 * that instant, the one with the latest effective time (ties: the higher version). Answers from
 * memory; the book is reloaded from the `model_prices` read model when older than PRICE_REFRESH_MS,
 * in the background (a stale book keeps answering while PostgreSQL is away); only the very first
 * load is awaited.
 */
@Injectable()
export class PriceBook {
  private book: Book | null = null;
  private loading: Promise<Book> | null = null;

  constructor(
    @Inject(KYSELY) private readonly db: Kysely<Database>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async priceAt(model: string, at: Date): Promise<ModelPrice | null> {
    return priceIn(await this.current(), model, at.getTime());
  }

  /** Every model's price at an instant, plus what is scheduled after it (the public pricing page). */
  async table(at: Date): Promise<{ current: ModelPrice; scheduled: ModelPrice[] }[]> {
    const book = await this.current();
    const out: { current: ModelPrice; scheduled: ModelPrice[] }[] = [];
    for (const [model, versions] of book.byModel) {
      const current = priceIn(book, model, at.getTime());
      const scheduled = versions.filter((v) => Date.parse(v.effectiveAt) > at.getTime());
      if (current) out.push({ current, scheduled });
      else if (scheduled.length > 0) out.push({ current: scheduled[0], scheduled: scheduled.slice(1) });
    }
    return out.sort((a, b) => (a.current.model < b.current.model ? -1 : 1));
  }

  /** Loads now (single flight). */
  reload(): Promise<Book> {
    this.loading ??= this.load().finally(() => (this.loading = null));
    return this.loading;
  }

  private async current(): Promise<Book> {
    const book = this.book;
    if (book && Date.now() - book.loadedAtMs < this.config.nodes.priceRefreshMs) return book;
    const loading = this.reload();
    if (!book) return loading;
    loading.catch((err: Error) => this.logger.warn({ err: { name: err.name, message: err.message } }, 'price book refresh failed; serving the previous one'));
    return book;
  }

  private async load(): Promise<Book> {
    // The newest versions of each model by effective time, bounded in models and versions.
    const { rows } = await sql<ModelPricesTable>`
      SELECT model, version, input_micro_usd_per_mtok, output_micro_usd_per_mtok, per_image_micro_usd, effective_at, set_at
      FROM (SELECT *, row_number() OVER (PARTITION BY model ORDER BY effective_at DESC, version DESC) AS rank FROM model_prices) p
      WHERE rank <= ${PRICE_BOOK_VERSIONS_PER_MODEL}
      ORDER BY model, effective_at, version
      LIMIT ${PRICE_BOOK_MODELS_MAX * PRICE_BOOK_VERSIONS_PER_MODEL}`.execute(this.db);
    const byModel = new Map<string, ModelPrice[]>();
    for (const r of rows) {
      let list = byModel.get(r.model);
      if (!list) {
        if (byModel.size >= PRICE_BOOK_MODELS_MAX) continue;
        byModel.set(r.model, (list = []));
      }
      list.push({
        model: r.model,
        inputMicroUsdPerMTok: BigInt(r.input_micro_usd_per_mtok),
        outputMicroUsdPerMTok: BigInt(r.output_micro_usd_per_mtok),
        perImageMicroUsd: r.per_image_micro_usd === null ? null : BigInt(r.per_image_micro_usd),
        effectiveAt: r.effective_at.toISOString(),
        version: r.version,
      });
    }
    this.book = { byModel, loadedAtMs: Date.now() };
    return this.book;
  }
}

function priceIn(book: Book, model: string, atMs: number): ModelPrice | null {
  const versions = book.byModel.get(model);
  if (!versions) return null;
  for (let i = versions.length - 1; i >= 0; i--) if (Date.parse(versions[i].effectiveAt) <= atMs) return versions[i];
  return null;
}
