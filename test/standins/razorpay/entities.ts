import { createHmac, randomBytes } from 'node:crypto';

/** Razorpay's entities as its REST API and webhooks return them (the fields our payments feature reads, and their neighbours). */

export type Notes = Record<string, string | number>;

export interface OrderEntity {
  id: string;
  entity: 'order';
  amount: number;
  amount_paid: number;
  amount_due: number;
  currency: string;
  receipt: string | null;
  offer_id: null;
  status: 'created' | 'attempted' | 'paid';
  attempts: number;
  notes: Notes | [];
  created_at: number;
  partial_payment?: boolean;
}

export interface PaymentEntity {
  id: string;
  entity: 'payment';
  amount: number;
  currency: string;
  status: 'created' | 'authorized' | 'captured' | 'refunded' | 'failed';
  order_id: string;
  invoice_id: null;
  international: boolean;
  method: 'card';
  amount_refunded: number;
  refund_status: null | 'partial' | 'full';
  captured: boolean;
  description: string | null;
  card_id: string;
  bank: null;
  wallet: null;
  vpa: null;
  email: string;
  contact: string;
  notes: Notes | [];
  fee: number | null;
  tax: number | null;
  error_code: string | null;
  error_description: string | null;
  error_source: string | null;
  error_step: string | null;
  error_reason: string | null;
  acquirer_data: { auth_code: string | null };
  created_at: number;
}

export interface RefundEntity {
  id: string;
  entity: 'refund';
  amount: number;
  currency: string;
  payment_id: string;
  notes: Notes | [];
  receipt: string | null;
  acquirer_data: { arn: string | null };
  created_at: number;
  batch_id: null;
  status: 'pending' | 'processed' | 'failed';
  speed_processed: 'normal';
  speed_requested: 'normal' | 'optimum';
}

export interface DisputeEntity {
  id: string;
  entity: 'dispute';
  payment_id: string;
  amount: number;
  currency: string;
  amount_deducted: number;
  reason_code: string;
  reason_description: string;
  respond_by: number;
  status: 'open' | 'under_review' | 'won' | 'lost' | 'closed';
  phase: 'chargeback';
  created_at: number;
}

export interface Collection<T> {
  entity: 'collection';
  count: number;
  items: T[];
}

/** The `error` object of every failed Razorpay API response. */
export interface RazorpayErrorBody {
  error: {
    code: 'BAD_REQUEST_ERROR' | 'GATEWAY_ERROR' | 'SERVER_ERROR';
    description: string;
    source: string;
    step: string;
    reason: string;
    metadata: Record<string, string>;
    field?: string | null;
  };
}

/** A failed API call: the HTTP status and Razorpay's error body. Thrown by handlers, answered by the server. */
export class RazorpayApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: RazorpayErrorBody,
  ) {
    super(body.error.description);
  }
}

/** Razorpay answers a validation failure (and an unknown id) with 400 BAD_REQUEST_ERROR, never 404. */
export function badRequest(description: string, field?: string): RazorpayApiError {
  return new RazorpayApiError(400, {
    error: {
      code: 'BAD_REQUEST_ERROR',
      description,
      source: 'business',
      step: 'payment_initiation',
      reason: 'input_validation_failed',
      metadata: {},
      ...(field === undefined ? {} : { field }),
    },
  });
}

export function notFound(): RazorpayApiError {
  return badRequest('The id provided does not exist');
}

export function unauthorized(description: string): RazorpayApiError {
  return new RazorpayApiError(401, { error: { code: 'BAD_REQUEST_ERROR', description, source: 'NA', step: 'NA', reason: 'NA', metadata: {} } });
}

export function serverError(status: number): RazorpayErrorBody {
  return {
    error: {
      code: 'SERVER_ERROR',
      description: 'The server encountered an error. The incident has been reported to admins.',
      source: 'internal',
      step: 'NA',
      reason: 'server_error',
      metadata: { status: String(status) },
    },
  };
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const ID_BODY_LENGTH = 14;

/** `order_`, `pay_`, `rfnd_`, `disp_`, `evt_`, `acc_` … followed by 14 base62 characters, like Razorpay's ids. */
export function newId(prefix: string): string {
  const bytes = randomBytes(ID_BODY_LENGTH * 2);
  let body = '';
  for (const b of bytes) {
    if (b >= 248) continue; // 248 = 4 × 62: keep the draw uniform
    body += BASE62[b % 62];
    if (body.length === ID_BODY_LENGTH) return `${prefix}_${body}`;
  }
  return newId(prefix); // astronomically rare: too many rejected bytes
}

/** Currencies the stand-in accepts, all with two decimal places (smallest unit = 1/100). */
export const CURRENCIES: ReadonlySet<string> = new Set(['USD', 'INR', 'EUR', 'GBP', 'SGD', 'MYR', 'AED', 'AUD', 'CAD']);
/** Razorpay's order minimum: one major unit ("The amount must be at least USD 1.00"). */
export const MIN_AMOUNT_SUBUNITS = 100;
export const RECEIPT_MAX_CHARS = 40;
export const NOTES_MAX_KEYS = 15;
export const NOTE_VALUE_MAX_CHARS = 256;

export function hmacHex(secret: string, message: string): string {
  return createHmac('sha256', secret).update(message).digest('hex');
}

/**
 * JSON the way Razorpay's PHP backend writes it (`json_encode` escapes `/` and non-ASCII), so a
 * receiver that verifies a re-serialised body instead of the raw bytes fails whenever a string
 * contains `/` or non-ASCII text, as it would in production.
 */
export function phpJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/\//g, '\\/')
    .replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** An empty notes object serialises as `[]` in Razorpay's responses (a PHP empty array); keep that quirk. */
export function outNotes(notes: Notes): Notes | [] {
  return Object.keys(notes).length === 0 ? [] : { ...notes };
}

export function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
