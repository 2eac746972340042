/**
 * Razorpay Checkout's browser side, served by the Razorpay stand-in (./standin) for the console's
 * browser tests. What Razorpay does, and what this copies:
 * - `GET /v1/checkout.js` (checkout.razorpay.com/v1/checkout.js): defines `window.Razorpay`, a
 *   constructor taking `{key, order_id, amount, currency, name, description, handler,
 *   modal: {ondismiss}}`; `open()` shows the payment form in a frame over the page, `on('payment.failed', cb)`.
 * - The form is a page of Razorpay's origin in that frame (`GET /v1/checkout/public`): it knows the
 *   order from its id and the merchant from the public key id, and the customer pays there — the
 *   merchant's page never sees a card. Paying (`POST /v1/checkout/pay`) is the stand-in's `pay`:
 *   the payment is authorized and captured and Razorpay's signed webhooks (payment.authorized,
 *   payment.captured, order.paid) go to the merchant's webhook URL, as they do from Razorpay.
 * - The frame hands the result to the script with `postMessage` (to the opener's origin only), and
 *   the script calls `handler({razorpay_payment_id, razorpay_order_id, razorpay_signature})`, the
 *   signature being HMAC-SHA256(`order_id|payment_id`, key secret) hex, or the `payment.failed`
 *   listeners with `{error}`, or `modal.ondismiss` when the customer closes the form.
 * Not modelled: the payment methods and their screens, retries inside the form, prefill, theme, UPI intents.
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import type { RazorpayStandin } from './standin';

const FORM_MAX_BYTES = 4 * 1024;

/** The script a merchant's page loads; it finds the form's origin from its own URL. */
const CHECKOUT_JS = `(function () {
  var ORIGIN = new URL(document.currentScript.src).origin;
  function Razorpay(options) {
    if (!(this instanceof Razorpay)) return new Razorpay(options);
    if (!options || typeof options.key !== 'string' || typeof options.order_id !== 'string' || typeof options.handler !== 'function') {
      throw new Error('Razorpay: key, order_id and handler are required');
    }
    this.options = options;
    this.listeners = {};
  }
  Razorpay.prototype.on = function (name, cb) {
    (this.listeners[name] = this.listeners[name] || []).push(cb);
  };
  Razorpay.prototype.open = function () {
    var self = this, o = this.options;
    var overlay = document.createElement('div');
    overlay.setAttribute('data-razorpay-checkout', '');
    Object.assign(overlay.style, { position: 'fixed', inset: '0', background: 'rgba(0,0,0,0.55)', display: 'flex', alignItems: 'center', justifyContent: 'center', zIndex: '2147483647' });
    var frame = document.createElement('iframe');
    frame.title = 'Razorpay Checkout';
    frame.src = ORIGIN + '/v1/checkout/public?' + new URLSearchParams({ key_id: o.key, order_id: o.order_id, origin: location.origin, name: o.name || '' }).toString();
    Object.assign(frame.style, { width: '340px', maxWidth: '95vw', height: '360px', border: '0', borderRadius: '8px', background: '#fff' });
    overlay.appendChild(frame);
    function close() {
      window.removeEventListener('message', onMessage);
      overlay.remove();
    }
    function onMessage(e) {
      if (e.origin !== ORIGIN || e.source !== frame.contentWindow || !e.data || e.data.razorpayCheckout !== true) return;
      close();
      if (e.data.event === 'success') o.handler(e.data.response);
      else if (e.data.event === 'failed') (self.listeners['payment.failed'] || []).forEach(function (cb) { cb({ error: e.data.error }); });
      else if (o.modal && typeof o.modal.ondismiss === 'function') o.modal.ondismiss();
    }
    window.addEventListener('message', onMessage);
    document.body.appendChild(overlay);
  };
  window.Razorpay = Razorpay;
})();
`;

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = (title: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title></head><body style="font-family:sans-serif;margin:24px">${body}</body></html>`;

/** Only a web origin may receive the result: postMessage goes there and nowhere else. */
function originOf(raw: string | null): string | null {
  try {
    const url = new URL(raw ?? '');
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === raw ? raw : null;
  } catch {
    return null;
  }
}

/** Serves Checkout's script and form; answers false for any other path (the REST API's). */
export async function serveCheckout(standin: RazorpayStandin, req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
  const html = (status: number, body: string) => res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(body);
  if (req.method === 'GET' && url.pathname === '/v1/checkout.js') {
    res.writeHead(200, { 'content-type': 'application/javascript; charset=utf-8', 'access-control-allow-origin': '*' }).end(CHECKOUT_JS);
    return true;
  }
  if (req.method === 'GET' && url.pathname === '/v1/checkout/public') {
    const q = url.searchParams;
    const order = standin.order(q.get('order_id') ?? '');
    const origin = originOf(q.get('origin'));
    if (q.get('key_id') !== standin.keyId || !order || !origin) {
      html(400, page('Checkout', '<p role="alert">Invalid key or order: this payment cannot be started.</p>'));
      return true;
    }
    const amount = `${order.currency} ${(order.amount / 100).toFixed(2)}`;
    const hidden = (name: string, value: string) => `<input type="hidden" name="${name}" value="${esc(value)}">`;
    html(
      200,
      page(
        'Razorpay Checkout',
        `<h1 style="font-size:18px">${esc(q.get('name') || 'Payment')}</h1><p>Amount: <strong>${esc(amount)}</strong></p>` +
          `<form method="post" action="/v1/checkout/pay">${hidden('order_id', order.id)}${hidden('key_id', standin.keyId)}${hidden('origin', origin)}` +
          `<p><button name="outcome" value="captured">Pay ${esc(amount)}</button></p><p><button name="outcome" value="failed">Pay with a card the bank declines</button></p>` +
          `<p><button name="outcome" value="dismiss">Cancel</button></p></form>`,
      ),
    );
    return true;
  }
  if (req.method === 'POST' && url.pathname === '/v1/checkout/pay') {
    let raw = '';
    for await (const chunk of req) {
      raw += (chunk as Buffer).toString('utf8');
      if (raw.length > FORM_MAX_BYTES) return (html(413, page('Checkout', '<p>Too large.</p>')), true);
    }
    const form = new URLSearchParams(raw);
    const origin = originOf(form.get('origin'));
    const order = standin.order(form.get('order_id') ?? '');
    const outcome = form.get('outcome');
    if (form.get('key_id') !== standin.keyId || !order || !origin || !['captured', 'failed', 'dismiss'].includes(outcome ?? '')) {
      html(400, page('Checkout', '<p role="alert">Invalid payment.</p>'));
      return true;
    }
    let message: Record<string, unknown>;
    if (outcome === 'dismiss') message = { razorpayCheckout: true, event: 'dismiss' };
    else {
      const paid = standin.pay(order.id, { outcome: outcome as 'captured' | 'failed' });
      message = paid.checkout ? { razorpayCheckout: true, event: 'success', response: paid.checkout } : { razorpayCheckout: true, event: 'failed', error: paid.error };
    }
    // JSON inside a <script>: '<' escaped so no value can close the element.
    const json = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');
    html(200, page('Razorpay Checkout', `<p>Done.</p><script>parent.postMessage(${json(message)}, ${json(origin)});</script>`));
    return true;
  }
  return false;
}
