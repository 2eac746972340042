import { createHmac, timingSafeEqual } from 'node:crypto';

/** Hex HMAC-SHA256, the form of both Razorpay signatures. */
export function hmacHex(secret: string, payload: string | Buffer): string {
  return createHmac('sha256', secret).update(payload).digest('hex');
}

/** Constant-time comparison of two hex signatures (a length mismatch is simply false). */
export function signaturesMatch(expectedHex: string, presented: unknown): boolean {
  if (typeof presented !== 'string' || !/^[0-9a-f]{64}$/i.test(presented)) return false;
  const a = Buffer.from(expectedHex, 'hex');
  const b = Buffer.from(presented.toLowerCase(), 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Checkout: HMAC-SHA256(`order_id|payment_id`, key secret), over the order id WE stored, never the one the browser sent. */
export function checkoutSignatureValid(keySecret: string, storedOrderId: string, paymentId: string, signature: unknown): boolean {
  return signaturesMatch(hmacHex(keySecret, `${storedOrderId}|${paymentId}`), signature);
}

/** Webhooks: HMAC-SHA256 of the exact raw body; during a rotation the previous secret is accepted too. */
export function webhookSignatureValid(secrets: readonly string[], rawBody: Buffer, signature: unknown): boolean {
  let valid = false;
  // Check every secret (no early exit), so timing does not tell which one matched.
  for (const secret of secrets) valid = signaturesMatch(hmacHex(secret, rawBody), signature) || valid;
  return valid;
}
