import Razorpay from 'razorpay';
import { PaymentsConfig } from '../../platform/config/config';

/**
 * The Razorpay API as the payments feature uses it, through the official SDK (pinned 2.9.8).
 * The SDK has no base-URL or timeout option and cannot send X-Refund-Idempotency, so this
 * reaches into its axios instance (`client.api.rq`) for those three things. Only the fields we
 * read are typed; card, bank, VPA, email and contact fields are never read or kept (P3).
 */
export interface RzpOrder {
  id: string;
  amount: number;
  currency: string;
  receipt: string | null;
  status: string;
}

export interface RzpPayment {
  id: string;
  amount: number;
  currency: string;
  status: string;
  /** True once the money was captured; an auto-refunded payment (duplicate, capture timeout) never was. */
  captured: boolean;
  order_id: string | null;
  error_reason?: string | null;
  created_at: number;
}

export interface RzpRefund {
  id: string;
  payment_id: string;
  amount: number;
  currency: string;
  status: string;
  notes?: Record<string, string | number> | unknown[];
}

export interface RzpDispute {
  id: string;
  payment_id: string;
  amount: number;
  currency: string;
  status: string;
}

/** A failed Razorpay call. `transient`: no answer, a timeout, 5xx, 429 or 409 (in progress) — retry with the same inputs. */
export class RazorpayError extends Error {
  constructor(
    readonly statusCode: number | null,
    readonly code: string | null,
    readonly description: string,
    readonly transient: boolean,
  ) {
    super(`Razorpay ${statusCode ?? 'unreachable'}: ${description}`);
    this.name = 'RazorpayError';
  }
}

interface SdkAxios {
  defaults: { baseURL?: string; timeout?: number };
  post(url: string, data: unknown, config: { headers: Record<string, string> }): Promise<{ data: unknown }>;
}

/** Largest page Razorpay lists (count). */
export const RAZORPAY_PAGE_MAX = 100;

export class RazorpayGateway {
  private readonly client: Razorpay;
  private readonly rq: SdkAxios;

  constructor(config: PaymentsConfig) {
    this.client = new Razorpay({ key_id: config.keyId, key_secret: config.keySecret });
    const rq = (this.client.api as unknown as { rq?: SdkAxios }).rq;
    if (!rq?.defaults) throw new Error('razorpay SDK layout changed: client.api.rq is not an axios instance');
    rq.defaults.baseURL = config.apiUrl;
    // Axios waits for ever by default; a hung Razorpay call must not hold a job or a request.
    rq.defaults.timeout = config.apiTimeoutMs;
    this.rq = rq;
  }

  /** Currency is always explicit: the SDK's default would be INR. */
  createOrder(input: { amountCents: number; receipt: string; notes: Record<string, string> }): Promise<RzpOrder> {
    return call(() => this.client.orders.create({ amount: input.amountCents, currency: 'USD', receipt: input.receipt, notes: input.notes }) as Promise<unknown>);
  }

  fetchPayment(paymentId: string): Promise<RzpPayment> {
    return call(() => this.client.payments.fetch(paymentId) as Promise<unknown>);
  }

  capturePayment(paymentId: string, amountCents: number, currency: string): Promise<RzpPayment> {
    return call(() => this.client.payments.capture(paymentId, amountCents, currency) as Promise<unknown>);
  }

  async orderPayments(orderId: string): Promise<RzpPayment[]> {
    const page = await call<{ items: RzpPayment[] }>(() => this.client.orders.fetchPayments(orderId) as Promise<unknown>);
    return page.items;
  }

  /** Payments created in [from, to] (unix seconds), newest first. */
  async listPayments(fromS: number, toS: number, skip: number): Promise<RzpPayment[]> {
    const page = await call<{ items: RzpPayment[] }>(() => this.client.payments.all({ from: fromS, to: toS, count: RAZORPAY_PAGE_MAX, skip }) as Promise<unknown>);
    return page.items;
  }

  fetchRefund(refundId: string): Promise<RzpRefund> {
    return call(() => this.client.refunds.fetch(refundId) as Promise<unknown>);
  }

  fetchDispute(disputeId: string): Promise<RzpDispute> {
    return call(() => this.client.disputes.fetch(disputeId) as Promise<unknown>);
  }

  /**
   * POST /v1/payments/:id/refund with X-Refund-Idempotency (which the SDK cannot send): the
   * same key and body always yield the same refund, so a retry after a lost answer is safe.
   */
  createRefund(paymentId: string, body: { amount: number; notes: Record<string, string> }, idempotencyKey: string): Promise<RzpRefund> {
    return call(async () => {
      try {
        const res = await this.rq.post(`/v1/payments/${encodeURIComponent(paymentId)}/refund`, body, { headers: { 'X-Refund-Idempotency': idempotencyKey } });
        return res.data;
      } catch (e) {
        const response = (e as { response?: { status: number; data?: { error?: unknown } } }).response;
        if (!response) throw e;
        throw { statusCode: response.status, error: response.data?.error };
      }
    });
  }
}

/** Turns the SDK's rejections (`{ statusCode, error }`, or a TypeError when nothing answered) into RazorpayError. */
/** Razorpay API calls of this process by outcome, since start (the metric tollgate_razorpay_calls). */
export const razorpayOutcomes = { ok: 0, refused: 0, failed: 0 };

async function call<T>(run: () => Promise<unknown>): Promise<T> {
  try {
    const answer = (await run()) as T;
    razorpayOutcomes.ok++;
    return answer;
  } catch (e) {
    // refused: Razorpay answered with an error (4xx other than 429); failed: no answer, 5xx or 429 (retryable).
    const status = e instanceof RazorpayError ? e.statusCode : (e as { statusCode?: unknown })?.statusCode;
    if (typeof status === 'number' && status < 500 && status !== 429) razorpayOutcomes.refused++;
    else razorpayOutcomes.failed++;
    if (e instanceof RazorpayError) throw e;
    const sdk = e as { statusCode?: unknown; error?: { code?: unknown; description?: unknown } };
    if (typeof sdk?.statusCode === 'number') {
      const status = sdk.statusCode;
      const code = typeof sdk.error?.code === 'string' ? sdk.error.code : null;
      const description = typeof sdk.error?.description === 'string' ? sdk.error.description.slice(0, 300) : `HTTP ${status}`;
      throw new RazorpayError(status, code, description, status >= 500 || status === 429 || status === 409);
    }
    throw new RazorpayError(null, null, 'no answer (network error or timeout)', true);
  }
}
