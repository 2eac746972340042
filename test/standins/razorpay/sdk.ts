import Razorpay from 'razorpay';
import type { Refunds } from 'razorpay/dist/types/refunds';

/**
 * The official `razorpay` SDK (2.9.8) pointed at a stand-in. The SDK has no base-URL option: it
 * builds an axios instance (`client.api.rq`, untyped in its .d.ts) with
 * baseURL 'https://api.razorpay.com' and request paths '/v1/…' (or '/v2/…' for a few resources),
 * so replacing `defaults.baseURL` with the stand-in's origin is enough.
 *
 * Two SDK behaviours the payments feature has to live with (the spec shows both):
 * - It cannot send X-Refund-Idempotency: its constructor keeps only the X-Razorpay-Account and
 *   Content-Type headers and `payments.refund` takes no headers. `refundWithIdempotencyKey` below
 *   posts through the SDK's own axios instance instead; the app needs the same.
 * - Its error mapping reads `err.response.status`, so a dropped connection or an axios timeout
 *   surfaces as a TypeError instead of `{ statusCode, error }`, and a non-JSON 5xx as
 *   `{ statusCode, error: undefined }`. Axios has no timeout by default; set `timeoutMs`.
 */
export interface SdkAxios {
  defaults: { baseURL?: string; timeout?: number };
  post(url: string, data: unknown, config: { headers: Record<string, string> }): Promise<{ data: unknown }>;
}

export interface StandinCredentials {
  url: string;
  keyId: string;
  keySecret: string;
}

export function razorpayClient(standin: StandinCredentials, options: { keyId?: string; keySecret?: string; timeoutMs?: number } = {}): Razorpay {
  const client = new Razorpay({ key_id: options.keyId ?? standin.keyId, key_secret: options.keySecret ?? standin.keySecret });
  return pointAtStandin(client, standin.url, options.timeoutMs);
}

/** Re-point an SDK client the app built itself (e.g. via a config override of Razorpay's API origin). */
export function pointAtStandin(client: Razorpay, baseUrl: string, timeoutMs?: number): Razorpay {
  const rq = sdkAxios(client);
  rq.defaults.baseURL = baseUrl;
  if (timeoutMs !== undefined) rq.defaults.timeout = timeoutMs;
  return client;
}

export function sdkAxios(client: Razorpay): SdkAxios {
  const rq = (client.api as unknown as { rq?: SdkAxios }).rq;
  if (!rq?.defaults) throw new Error('razorpay SDK layout changed: client.api.rq is not an axios instance');
  return rq;
}

/** What the SDK rejects with when Razorpay answered with an error. */
export interface SdkError {
  statusCode: number;
  error: { code: string; description: string; field?: string | null; source?: string; step?: string; reason?: string; metadata?: Record<string, string> } | undefined;
}

/** POST /v1/payments/:id/refund with X-Refund-Idempotency, rejecting like the SDK (`{ statusCode, error }`) when Razorpay answers. */
export async function refundWithIdempotencyKey(client: Razorpay, paymentId: string, body: Refunds.RazorpayRefundCreateRequestBody, key: string): Promise<Refunds.RazorpayRefund> {
  try {
    const res = await sdkAxios(client).post(`/v1/payments/${encodeURIComponent(paymentId)}/refund`, body, { headers: { 'X-Refund-Idempotency': key } });
    return res.data as Refunds.RazorpayRefund;
  } catch (e) {
    const response = (e as { response?: { status: number; data?: { error?: SdkError['error'] } } }).response;
    if (!response) throw e; // no answer at all: the caller may retry with the same key
    const err: SdkError = { statusCode: response.status, error: response.data?.error };
    throw err;
  }
}
