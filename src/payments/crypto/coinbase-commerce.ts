import { CryptoConfig } from '../../platform/config/config';

/**
 * The Coinbase Commerce REST API as crypto top-ups use it (API version 2018-03-22: `POST /charges`,
 * `GET /charges/:code`, header `X-CC-Api-Key`). Coinbase's Node SDK is archived, so this is a few
 * lines of fetch with a timeout. Only the fields we read are typed; payer addresses, names and
 * emails are never read or kept (P3).
 */
export const COINBASE_API_VERSION = '2018-03-22';

export interface CcMoney {
  amount: string;
  currency: string;
}

export interface CcPayment {
  network: string;
  transaction_id: string;
  /** PENDING, CONFIRMED, … */
  status: string;
  value: { local: CcMoney; crypto: CcMoney };
}

export interface CcTimelineEntry {
  time: string;
  /** NEW, PENDING, COMPLETED, EXPIRED, UNRESOLVED, RESOLVED, CANCELED */
  status: string;
  /** With UNRESOLVED (and RESOLVED): UNDERPAID, OVERPAID, DELAYED, MULTIPLE, MANUAL, OTHER */
  context?: string;
}

export interface CcCharge {
  id: string;
  code: string;
  hosted_url: string;
  created_at: string;
  expires_at?: string | null;
  pricing_type: string;
  pricing?: { local?: CcMoney };
  metadata?: Record<string, unknown>;
  timeline: CcTimelineEntry[];
  payments: CcPayment[];
}

/** A failed call. `transient`: no answer, a timeout, 5xx or 429 — retry later with the same inputs. */
export class CoinbaseError extends Error {
  constructor(
    readonly statusCode: number | null,
    readonly description: string,
    readonly transient: boolean,
  ) {
    super(`Coinbase Commerce ${statusCode ?? 'unreachable'}: ${description}`);
    this.name = 'CoinbaseError';
  }
}

/** Coinbase Commerce calls of this process by outcome, since start. */
export const coinbaseOutcomes = { ok: 0, refused: 0, failed: 0 };

export class CoinbaseCommerce {
  constructor(private readonly config: Pick<CryptoConfig, 'apiKey' | 'apiUrl' | 'apiTimeoutMs'>) {}

  createCharge(input: { name: string; description: string; amountUsd: string; metadata: Record<string, string>; redirectUrl?: string }): Promise<CcCharge> {
    return this.call('POST', '/charges', {
      name: input.name,
      description: input.description,
      pricing_type: 'fixed_price',
      local_price: { amount: input.amountUsd, currency: 'USD' },
      metadata: input.metadata,
      ...(input.redirectUrl ? { redirect_url: input.redirectUrl, cancel_url: input.redirectUrl } : {}),
    });
  }

  fetchCharge(code: string): Promise<CcCharge> {
    return this.call('GET', `/charges/${encodeURIComponent(code)}`);
  }

  private async call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<CcCharge> {
    let res: Response;
    try {
      res = await fetch(`${this.config.apiUrl}${path}`, {
        method,
        headers: { 'X-CC-Api-Key': this.config.apiKey, 'X-CC-Version': COINBASE_API_VERSION, Accept: 'application/json', ...(body ? { 'Content-Type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(this.config.apiTimeoutMs),
      });
    } catch {
      coinbaseOutcomes.failed++;
      throw new CoinbaseError(null, 'no answer (network error or timeout)', true);
    }
    const text = await res.text().catch(() => '');
    if (!res.ok) {
      const transient = res.status >= 500 || res.status === 429;
      if (transient) coinbaseOutcomes.failed++;
      else coinbaseOutcomes.refused++;
      let message = `HTTP ${res.status}`;
      try {
        const parsed = JSON.parse(text) as { error?: { message?: unknown } };
        if (typeof parsed.error?.message === 'string') message = parsed.error.message.slice(0, 300);
      } catch {
        // not JSON: keep the status
      }
      throw new CoinbaseError(res.status, message, transient);
    }
    const charge = parseCharge(text);
    if (!charge) {
      coinbaseOutcomes.failed++;
      throw new CoinbaseError(res.status, 'answer is not a charge', true);
    }
    coinbaseOutcomes.ok++;
    return charge;
  }
}

/** `{ data: charge }`, checked just enough that every field we read has its type. */
function parseCharge(text: string): CcCharge | null {
  let data: Record<string, unknown>;
  try {
    data = (JSON.parse(text) as { data?: Record<string, unknown> }).data ?? {};
  } catch {
    return null;
  }
  const str = (v: unknown): v is string => typeof v === 'string';
  const money = (v: unknown): v is CcMoney => !!v && typeof v === 'object' && str((v as CcMoney).amount) && str((v as CcMoney).currency);
  if (!str(data.id) || !str(data.code) || !str(data.hosted_url) || !Array.isArray(data.timeline)) return null;
  const timeline = (data.timeline as unknown[]).filter((t): t is CcTimelineEntry => !!t && typeof t === 'object' && str((t as CcTimelineEntry).status));
  const payments = (Array.isArray(data.payments) ? (data.payments as unknown[]) : []).filter(
    (p): p is CcPayment =>
      !!p &&
      typeof p === 'object' &&
      str((p as CcPayment).network) &&
      str((p as CcPayment).transaction_id) &&
      str((p as CcPayment).status) &&
      money((p as CcPayment).value?.local) &&
      money((p as CcPayment).value?.crypto),
  );
  const pricing = data.pricing as CcCharge['pricing'];
  return {
    id: data.id,
    code: data.code,
    hosted_url: data.hosted_url,
    created_at: str(data.created_at) ? data.created_at : '',
    expires_at: str(data.expires_at) ? data.expires_at : null,
    pricing_type: str(data.pricing_type) ? data.pricing_type : '',
    pricing: pricing && money(pricing.local) ? { local: pricing.local } : undefined,
    metadata: data.metadata && typeof data.metadata === 'object' ? (data.metadata as Record<string, unknown>) : {},
    timeline,
    payments,
  };
}
