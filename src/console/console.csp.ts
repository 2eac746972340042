/**
 * The console's Content-Security-Policy (policy P19: no third-party scripts, fonts or
 * analytics). Everything is 'self' except Razorpay Checkout, the one outside script a person
 * is sent to on purpose (top-up), and the frames it opens — and only when payments are on.
 * The script's origin comes from the RAZORPAY_CHECKOUT_URL setting (tests serve a stand-in).
 */
export const RAZORPAY_CHECKOUT_ORIGIN = 'https://checkout.razorpay.com';
/** Checkout's script opens its payment form in a frame from Razorpay's API origin. */
const RAZORPAY_FRAME_ORIGIN = 'https://api.razorpay.com';

/** `checkoutUrl`: Checkout's script (payments on), or null (payments off: nothing but 'self'). */
export function consoleCsp(checkoutUrl: string | null): string {
  const checkout = checkoutUrl === null ? null : new URL(checkoutUrl).origin;
  const frames = checkout === null ? ["'none'"] : [...new Set([checkout, RAZORPAY_CHECKOUT_ORIGIN, RAZORPAY_FRAME_ORIGIN])];
  return [
    "default-src 'self'",
    checkout === null ? "script-src 'self'" : `script-src 'self' ${checkout}`,
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    `frame-src ${frames.join(' ')}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}
