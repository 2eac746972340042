/**
 * A Coinbase Commerce stand-in for tests: a local HTTP server speaking the part of Commerce's REST
 * API (api.commerce.coinbase.com, version 2018-03-22) that crypto top-ups use, plus the payer's and
 * the blockchain's side as test controls, and signed webhooks delivered over real HTTP.
 *
 * Modelled:
 * - `X-CC-Api-Key` on every call (401 `{"error":{"type":"authorization_error",…}}` otherwise);
 *   `POST /charges` (fixed_price with local_price {amount, currency}, name ≤ 100, description ≤ 200,
 *   metadata; 400 `invalid_request` otherwise) and `GET /charges/:code_or_id` (404 `not_found`).
 *   Answers are `{"data": charge}`: id (uuid), code (8 of A-Z0-9), hosted_url, created_at,
 *   expires_at (+1 h), pricing.local, metadata, timeline [{time, status[, context]}], payments
 *   [{network, transaction_id, status, value: {local, crypto}, block}].
 * - The charge's life: NEW → PENDING (a payment seen on chain) → on confirmation COMPLETED when the
 *   confirmed USD value equals the price, else UNRESOLVED with context UNDERPAID or OVERPAID;
 *   EXPIRED (`expire`), CANCELED (`cancel`, only while NEW), a payment after expiry → UNRESOLVED
 *   DELAYED; the merchant's `resolve` → RESOLVED (keeping the context).
 * - Webhooks: `{"id","scheduled_for","attempt_number","event":{"id","resource":"event","type",
 *   "api_version","created_at","data": charge snapshot}}` POSTed with `X-CC-Webhook-Signature` =
 *   hex HMAC-SHA256 of the exact raw body under the shared secret. Event types: charge:created,
 *   charge:pending, charge:confirmed, charge:failed (expired, canceled, unresolved), charge:delayed,
 *   charge:resolved. A non-2xx answer is retried (same event id and body).
 *   Delivery policies: deliver, hold (then `flush` in order or reversed, optionally duplicated), drop.
 *
 * Not modelled: checkouts, invoices, the events API, pricing_type no_price, exchange-rate
 * movement (local values are what the test says), addresses, cancel through the API, and the
 * exact event type Coinbase sends for an overpayment (the app re-fetches the charge, so the type
 * never matters to it).
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { IncomingMessage, Server, ServerResponse, createServer } from 'node:http';
import { AddressInfo } from 'node:net';

export interface StandinCharge {
  id: string;
  code: string;
  name: string;
  description: string;
  hosted_url: string;
  created_at: string;
  expires_at: string;
  pricing_type: 'fixed_price';
  pricing: { local: { amount: string; currency: string } };
  metadata: Record<string, unknown>;
  timeline: { time: string; status: string; context?: string }[];
  payments: StandinPayment[];
}

export interface StandinPayment {
  network: string;
  transaction_id: string;
  status: 'PENDING' | 'CONFIRMED';
  detected_at: string;
  value: { local: { amount: string; currency: string }; crypto: { amount: string; currency: string } };
  block: { height: number | null; hash: string | null; confirmations: number; confirmations_required: number };
}

export type WebhookPolicy = 'deliver' | 'hold' | 'drop';
interface Delivery {
  eventId: string;
  type: string;
  body: string;
}

const CODE_CHARS = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
const cents = (usd: string): number => Math.round(Number(usd) * 100);

export class CoinbaseStandin {
  readonly apiKey = `cc_test_${randomBytes(8).toString('hex')}`;
  readonly webhookSecret = randomBytes(16).toString('hex');
  readonly charges = new Map<string, StandinCharge>();
  /** Every webhook POST made (retries and duplicates included), with the app's answer. */
  readonly deliveries: { eventId: string; type: string; status: number }[] = [];
  /** API calls answered, by route. */
  readonly calls: Record<string, number> = {};
  private webhookUrl: string | null = null;
  private policy: WebhookPolicy = 'deliver';
  private held: Delivery[] = [];
  private inFlight = 0;

  constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  setWebhookUrl(url: string): void {
    this.webhookUrl = url;
  }

  setWebhookPolicy(policy: WebhookPolicy): void {
    this.policy = policy;
  }

  /** Sends what was held: in order or reversed, each once or twice. */
  flush(options: { reverse?: boolean; duplicate?: boolean } = {}): void {
    const batch = options.reverse ? [...this.held].reverse() : [...this.held];
    this.held = [];
    for (const d of batch) {
      this.send(d);
      if (options.duplicate) this.send(d);
    }
  }

  heldCount(): number {
    return this.held.length;
  }

  async whenWebhooksIdle(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.inFlight > 0) {
      if (Date.now() > deadline) throw new Error('webhooks still in flight');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  charge(code: string): StandinCharge | undefined {
    return this.charges.get(code);
  }

  status(code: string): string {
    const c = this.must(code);
    return c.timeline[c.timeline.length - 1].status;
  }

  /** The payer sends crypto worth `usd` (at the charge's rate) on `network`: seen on chain, not confirmed. */
  pay(code: string, input: { usd: string; network?: string; cryptoCurrency?: string }): StandinPayment {
    const c = this.must(code);
    const payment: StandinPayment = {
      network: input.network ?? 'ethereum',
      transaction_id: `0x${randomBytes(32).toString('hex')}`,
      status: 'PENDING',
      detected_at: new Date().toISOString(),
      value: { local: { amount: input.usd, currency: 'USD' }, crypto: { amount: (Number(input.usd) / 2000).toFixed(8), currency: input.cryptoCurrency ?? 'ETH' } },
      block: { height: null, hash: null, confirmations: 0, confirmations_required: 2 },
    };
    c.payments.push(payment);
    const status = this.status(code);
    if (status === 'EXPIRED') {
      this.timeline(c, 'UNRESOLVED', 'DELAYED');
      this.emit('charge:delayed', c);
    } else if (status === 'NEW') {
      this.timeline(c, 'PENDING');
      this.emit('charge:pending', c);
    }
    return payment;
  }

  /** The chain confirms the charge's pending payments; the charge completes or turns unresolved. */
  confirm(code: string): void {
    const c = this.must(code);
    for (const p of c.payments) {
      if (p.status === 'CONFIRMED') continue;
      p.status = 'CONFIRMED';
      p.block = { height: 19_000_000 + Math.floor(Math.random() * 1000), hash: `0x${randomBytes(32).toString('hex')}`, confirmations: 2, confirmations_required: 2 };
    }
    if (this.status(code) === 'UNRESOLVED') return; // a delayed payment waits for the merchant
    const paid = c.payments.filter((p) => p.status === 'CONFIRMED').reduce((sum, p) => sum + cents(p.value.local.amount), 0);
    const price = cents(c.pricing.local.amount);
    if (paid === price) {
      this.timeline(c, 'COMPLETED');
      this.emit('charge:confirmed', c);
    } else {
      this.timeline(c, 'UNRESOLVED', paid < price ? 'UNDERPAID' : 'OVERPAID');
      this.emit('charge:failed', c);
    }
  }

  expire(code: string): void {
    const c = this.must(code);
    this.timeline(c, 'EXPIRED');
    this.emit('charge:failed', c);
  }

  cancel(code: string): void {
    const c = this.must(code);
    if (this.status(code) !== 'NEW') throw new Error('only a NEW charge can be canceled');
    this.timeline(c, 'CANCELED');
    this.emit('charge:failed', c);
  }

  /** The merchant marks an unresolved charge resolved in the Commerce dashboard. */
  resolve(code: string): void {
    const c = this.must(code);
    const last = c.timeline[c.timeline.length - 1];
    if (last.status !== 'UNRESOLVED') throw new Error('only an UNRESOLVED charge can be resolved');
    this.timeline(c, 'RESOLVED', last.context);
    this.emit('charge:resolved', c);
  }

  /** A webhook body for this charge signed with `secret` (the real one unless given), for forged-delivery tests. */
  webhookBody(code: string, type: string, mutate: (charge: StandinCharge) => void = () => undefined): { body: string; eventId: string } {
    const snapshot = JSON.parse(JSON.stringify(this.must(code))) as StandinCharge;
    mutate(snapshot);
    const eventId = randomUUID();
    return { eventId, body: this.envelope(eventId, type, snapshot, 1) };
  }

  sign(body: string, secret = this.webhookSecret): string {
    return createHmac('sha256', secret).update(body).digest('hex');
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  handle(req: IncomingMessage, res: ServerResponse, raw: string): void {
    const route = `${req.method} ${(req.url ?? '').replace(/\/charges\/[^/?]+/, '/charges/:code')}`;
    this.calls[route] = (this.calls[route] ?? 0) + 1;
    const answer = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.headers['x-cc-api-key'] !== this.apiKey) return answer(401, { error: { type: 'authorization_error', message: 'No such API key.' } });
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'POST' && path === '/charges') {
      let input: Record<string, unknown>;
      try {
        input = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        return answer(400, { error: { type: 'invalid_request', message: 'Malformed JSON' } });
      }
      const price = input.local_price as { amount?: unknown; currency?: unknown } | undefined;
      if (input.pricing_type !== 'fixed_price' || typeof price?.amount !== 'string' || !/^\d+(\.\d{1,2})?$/.test(price.amount) || typeof price.currency !== 'string') {
        return answer(400, { error: { type: 'invalid_request', message: 'local_price is required for fixed_price charges' } });
      }
      if (typeof input.name !== 'string' || input.name.length > 100 || typeof input.description !== 'string' || input.description.length > 200) {
        return answer(400, { error: { type: 'invalid_request', message: 'name (≤ 100) and description (≤ 200) are required' } });
      }
      let code = '';
      do code = Array.from(randomBytes(8), (b) => CODE_CHARS[b % CODE_CHARS.length]).join('');
      while (this.charges.has(code));
      const now = new Date();
      const charge: StandinCharge = {
        id: randomUUID(),
        code,
        name: input.name,
        description: input.description,
        hosted_url: `${this.url}/hosted/charges/${code}`,
        created_at: now.toISOString(),
        expires_at: new Date(now.getTime() + 3_600_000).toISOString(),
        pricing_type: 'fixed_price',
        pricing: { local: { amount: price.amount, currency: price.currency } },
        metadata: (input.metadata as Record<string, unknown>) ?? {},
        timeline: [{ time: now.toISOString(), status: 'NEW' }],
        payments: [],
      };
      this.charges.set(code, charge);
      this.emit('charge:created', charge);
      return answer(201, { data: charge });
    }
    const m = /^\/charges\/([^/]+)$/.exec(path);
    if (req.method === 'GET' && m) {
      const key = decodeURIComponent(m[1]);
      const charge = this.charges.get(key) ?? [...this.charges.values()].find((c) => c.id === key);
      return charge ? answer(200, { data: charge }) : answer(404, { error: { type: 'not_found', message: 'Not found' } });
    }
    return answer(404, { error: { type: 'not_found', message: 'Not found' } });
  }

  private must(code: string): StandinCharge {
    const c = this.charges.get(code);
    if (!c) throw new Error(`no charge ${code}`);
    return c;
  }

  private timeline(c: StandinCharge, status: string, context?: string): void {
    c.timeline.push({ time: new Date().toISOString(), status, ...(context ? { context } : {}) });
  }

  private envelope(eventId: string, type: string, charge: StandinCharge, attempt: number): string {
    const now = new Date().toISOString();
    return JSON.stringify({
      id: randomUUID(),
      scheduled_for: now,
      attempt_number: attempt,
      event: { id: eventId, resource: 'event', type, api_version: '2018-03-22', created_at: now, data: charge },
    });
  }

  private emit(type: string, charge: StandinCharge): void {
    const eventId = randomUUID();
    const delivery = { eventId, type, body: this.envelope(eventId, type, JSON.parse(JSON.stringify(charge)) as StandinCharge, 1) };
    if (this.policy === 'drop') return;
    if (this.policy === 'hold') {
      this.held.push(delivery);
      return;
    }
    this.send(delivery);
  }

  private send(d: Delivery, attempt = 1): void {
    if (!this.webhookUrl) return;
    this.inFlight++;
    void (async () => {
      let status = 0;
      try {
        const res = await fetch(this.webhookUrl as string, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-cc-webhook-signature': this.sign(d.body) },
          body: d.body,
        });
        status = res.status;
        await res.text();
      } catch {
        status = 0;
      }
      this.deliveries.push({ eventId: d.eventId, type: d.type, status });
      // Coinbase retries failed deliveries with backoff; scaled down to milliseconds here.
      if ((status < 200 || status >= 300) && attempt < 5) {
        await new Promise((r) => setTimeout(r, 20 * 2 ** attempt));
        this.send(d, attempt + 1);
      }
      this.inFlight--;
    })();
  }
}

export async function startCoinbaseStandin(): Promise<CoinbaseStandin> {
  let standin: CoinbaseStandin | null = null;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => standin?.handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  standin = new CoinbaseStandin(server, `http://127.0.0.1:${port}`);
  return standin;
}
