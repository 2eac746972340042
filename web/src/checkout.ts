/**
 * Razorpay Checkout, loaded only when a person starts a top-up: its script comes from the URL in
 * /console/settings.json (the CSP allows that origin and no other), and it opens Razorpay's own
 * payment form over the page, so no card detail ever passes through the console.
 */
export interface CheckoutResponse {
  razorpay_payment_id: string;
  razorpay_order_id: string;
  razorpay_signature: string;
}

interface RazorpayOptions {
  key: string;
  order_id: string;
  amount: number;
  currency: string;
  name: string;
  description: string;
  handler: (response: CheckoutResponse) => void;
  modal: { ondismiss: () => void };
}

interface RazorpayInstance {
  open(): void;
  on(event: 'payment.failed', cb: (response: { error: { description?: string } }) => void): void;
}
type RazorpayConstructor = new (options: RazorpayOptions) => RazorpayInstance;

declare global {
  interface Window {
    Razorpay?: RazorpayConstructor;
  }
}

let loading: Promise<RazorpayConstructor> | null = null;

function loadCheckout(scriptUrl: string): Promise<RazorpayConstructor> {
  if (window.Razorpay) return Promise.resolve(window.Razorpay);
  loading ??= new Promise<RazorpayConstructor>((resolve, reject) => {
    const script = document.createElement('script');
    script.src = scriptUrl;
    script.async = true;
    script.onload = () => (window.Razorpay ? resolve(window.Razorpay) : reject(new Error('Razorpay Checkout did not start. Try again shortly.')));
    script.onerror = () => {
      script.remove();
      reject(new Error('Razorpay Checkout could not be loaded. Check your connection and try again.'));
    };
    document.head.appendChild(script);
  }).finally(() => (loading = null));
  return loading;
}

/** What Checkout ended with: the signed response to verify, or the person closing the form. */
export type CheckoutOutcome = { paid: CheckoutResponse } | { dismissed: true };

export async function payWithCheckout(scriptUrl: string, order: { keyId: string; orderId: string; amount: number; currency: string }): Promise<CheckoutOutcome> {
  const Razorpay = await loadCheckout(scriptUrl);
  return new Promise<CheckoutOutcome>((resolve, reject) => {
    const checkout = new Razorpay({
      key: order.keyId,
      order_id: order.orderId,
      amount: order.amount,
      currency: order.currency,
      name: 'Tollgate',
      description: 'Prepaid credits',
      handler: (response) => resolve({ paid: response }),
      modal: { ondismiss: () => resolve({ dismissed: true }) },
    });
    checkout.on('payment.failed', (r) => reject(new Error(`The payment did not go through${r.error?.description ? `: ${r.error.description}` : ''}. You can try again.`)));
    checkout.open();
  });
}
