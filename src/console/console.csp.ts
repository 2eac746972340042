/**
 * The console's Content-Security-Policy (policy P19: no third-party scripts, fonts or
 * analytics). Everything is 'self' except Razorpay Checkout, the one outside script a person
 * is sent to on purpose (top-up), and the frame it opens.
 */
export const RAZORPAY_CHECKOUT_ORIGIN = 'https://checkout.razorpay.com';
/** Checkout's script opens its payment form in a frame from Razorpay's API origin. */
const RAZORPAY_FRAME_ORIGIN = 'https://api.razorpay.com';

export function consoleCsp(): string {
  return [
    "default-src 'self'",
    `script-src 'self' ${RAZORPAY_CHECKOUT_ORIGIN}`,
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    `frame-src ${RAZORPAY_CHECKOUT_ORIGIN} ${RAZORPAY_FRAME_ORIGIN}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}
