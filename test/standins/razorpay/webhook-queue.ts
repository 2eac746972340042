import { ClientRequest, request } from 'node:http';
import { hmacHex, newId } from './entities';

/**
 * How the stand-in delivers the webhooks it raises. Razorpay delivers at least once, in no
 * guaranteed order, retrying non-2xx answers with backoff; these policies make each of those
 * behaviours happen on purpose. A policy applies to the events raised while it is set
 * (optionally only to the event names in `scope.events`); the others are delivered in order.
 */
export type WebhookPolicy =
  /** One at a time, in the order raised (the default). */
  | { kind: 'inOrder' }
  /** Each event, then `times` more deliveries with the same id and body; `concurrent` sends the copies alongside the first. */
  | { kind: 'duplicate'; times: number; concurrent?: boolean }
  /** The events raised by one action (e.g. `pay` → authorized, captured, order.paid) are sent reversed or shuffled (seeded). */
  | { kind: 'reorder'; order?: 'reverse' | 'shuffle'; seed?: number }
  /** Sent after `ms`; later events overtake them. */
  | { kind: 'delay'; ms: number }
  /** Never sent (Razorpay gave up, or the webhook was disabled); still listed, and `deliver(id)` can send it late. */
  | { kind: 'drop' }
  /** Held until the test calls `deliver(id)` or `deliverAll()`. */
  | { kind: 'manual' };

export interface PolicyScope {
  events?: readonly string[];
}

export type WebhookState = 'queued' | 'delayed' | 'held' | 'dropped' | 'sending' | 'retrying' | 'delivered' | 'failed';

export interface WebhookEvent {
  id: string;
  event: string;
  /** The exact bytes sent and signed. */
  body: string;
  /** HMAC-SHA256 hex of `body` under the webhook secret current when the event was raised (retries keep it, as Razorpay's do). */
  signature: string;
  state: WebhookState;
  /** Deliveries of this event so far (first, duplicates, retries, manual). */
  attempts: number;
}

export type DeliveryReason = 'first' | 'duplicate' | 'retry' | 'manual' | 'redeliver' | 'forged' | 'unsigned' | 'raw';

export interface WebhookDelivery {
  eventId: string | null;
  event: string | null;
  reason: DeliveryReason;
  /** Our server's answer; null when the request failed (refused, reset, timed out). */
  status: number | null;
  error: string | null;
  atMs: number;
}

export interface WebhookQueueOptions {
  secret: string;
  url: string | null;
  /** Total automatic attempts per event (first + retries) when our server answers non-2xx or not at all. */
  maxAttempts: number;
  /** First retry after this; doubles each time (Razorpay: exponential backoff over 24 h, scaled down here). */
  retryBaseDelayMs: number;
  /** Razorpay expects a 2xx within 5 s. */
  timeoutMs: number;
}

interface Send {
  ev: WebhookEvent;
  reason: DeliveryReason;
}

/** Bounds so a runaway test cannot grow the stand-in without limit. */
const MAX_EVENTS = 10_000;
const MAX_DUPLICATES = 20;

export class WebhookQueue {
  private readonly events = new Map<string, WebhookEvent>();
  private readonly log: WebhookDelivery[] = [];
  private readonly queue: Send[][] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly requests = new Set<ClientRequest>();
  private waiters: (() => void)[] = [];
  private policy: WebhookPolicy = { kind: 'inOrder' };
  private scope: PolicyScope = {};
  private pumping = false;
  private directSends = 0;
  private closed = false;

  constructor(private readonly options: WebhookQueueOptions) {}

  get secret(): string {
    return this.options.secret;
  }
  set secret(value: string) {
    this.options.secret = value;
  }

  setUrl(url: string | null): void {
    this.options.url = url;
    void this.pump();
  }

  setPolicy(policy: WebhookPolicy, scope: PolicyScope = {}): void {
    if (policy.kind === 'duplicate' && !(Number.isInteger(policy.times) && policy.times >= 1 && policy.times <= MAX_DUPLICATES)) {
      throw new Error(`duplicate.times must be 1..${MAX_DUPLICATES}`);
    }
    this.policy = policy;
    this.scope = scope;
  }

  /** Raise the events of one action, in Razorpay's order, and hand them to the current policy. */
  publish(items: readonly { event: string; body: string }[]): WebhookEvent[] {
    if (this.events.size + items.length > MAX_EVENTS) throw new Error(`more than ${MAX_EVENTS} webhook events`);
    const raised = items.map((item) => {
      const ev: WebhookEvent = { id: newId('evt'), event: item.event, body: item.body, signature: hmacHex(this.options.secret, item.body), state: 'queued', attempts: 0 };
      this.events.set(ev.id, ev);
      return ev;
    });
    const applies = (ev: WebhookEvent) => !this.scope.events || this.scope.events.includes(ev.event);
    const p = this.policy;
    switch (p.kind) {
      case 'inOrder':
        raised.forEach((ev) => this.enqueue([{ ev, reason: 'first' }]));
        break;
      case 'manual':
      case 'drop':
        for (const ev of raised) {
          if (applies(ev)) ev.state = p.kind === 'manual' ? 'held' : 'dropped';
          else this.enqueue([{ ev, reason: 'first' }]);
        }
        break;
      case 'delay':
        for (const ev of raised) {
          if (!applies(ev)) this.enqueue([{ ev, reason: 'first' }]);
          else {
            ev.state = 'delayed';
            this.after(p.ms, () => this.enqueue([{ ev, reason: 'first' }]));
          }
        }
        break;
      case 'duplicate':
        for (const ev of raised) {
          const copies: Send[] = applies(ev) ? Array.from({ length: p.times }, () => ({ ev, reason: 'duplicate' as const })) : [];
          if (p.concurrent) this.enqueue([{ ev, reason: 'first' }, ...copies]);
          else [{ ev, reason: 'first' as const }, ...copies].forEach((s) => this.enqueue([s]));
        }
        break;
      case 'reorder': {
        const slots = raised.map((ev, i) => (applies(ev) ? i : -1)).filter((i) => i >= 0);
        const moved = permute(
          slots.map((i) => raised[i]),
          p.order ?? 'reverse',
          p.seed ?? 1,
        );
        const ordered = [...raised];
        slots.forEach((slot, k) => (ordered[slot] = moved[k]));
        ordered.forEach((ev) => this.enqueue([{ ev, reason: 'first' }]));
        break;
      }
      default:
        assertNever(p);
    }
    this.notify();
    return raised.map((ev) => ({ ...ev }));
  }

  all(): WebhookEvent[] {
    return [...this.events.values()].map((ev) => ({ ...ev }));
  }
  get(id: string): WebhookEvent | undefined {
    const ev = this.events.get(id);
    return ev && { ...ev };
  }
  deliveries(): WebhookDelivery[] {
    return this.log.map((d) => ({ ...d }));
  }

  /** Send a held (or dropped) event now; resolves with the delivery. */
  async deliver(id: string): Promise<WebhookDelivery> {
    const ev = this.mustGet(id);
    if (ev.state !== 'held' && ev.state !== 'dropped') throw new Error(`webhook ${id} is ${ev.state}, not held or dropped (use redeliver)`);
    return this.direct(ev, 'manual');
  }

  /** Send every held event, one after another in the order raised. */
  async deliverAll(): Promise<WebhookDelivery[]> {
    const out: WebhookDelivery[] = [];
    for (const ev of [...this.events.values()].filter((e) => e.state === 'held')) out.push(await this.direct(ev, 'manual'));
    return out;
  }

  /** Send any event again, same id, body and signature (a replay, or Razorpay's at-least-once). */
  async redeliver(id: string): Promise<WebhookDelivery> {
    return this.direct(this.mustGet(id), 'redeliver');
  }

  /** POST arbitrary bytes to the webhook URL with the given headers (forged, unsigned, malformed…). */
  async sendRaw(body: string, headers: { signature: string | null; eventId: string | null }, reason: DeliveryReason): Promise<WebhookDelivery> {
    this.directSends++;
    try {
      const event = eventName(body);
      const result = await this.post(body, headers.signature, headers.eventId);
      return this.record({ eventId: headers.eventId, event, reason, ...result });
    } finally {
      this.directSends--;
      this.notify();
    }
  }

  /** Resolves when nothing is queued, delayed, retrying or being sent (held and dropped events do not count). */
  async whenIdle(timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.idle()) {
      if (this.closed) return;
      const left = deadline - Date.now();
      if (left <= 0) {
        const why = this.options.url ? '' : ' (no webhook URL set)';
        throw new Error(`webhooks not idle after ${timeoutMs} ms${why}: ${this.queue.length} queued, ${this.timers.size} timers`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.closed = true;
    this.timers.forEach(clearTimeout);
    this.timers.clear();
    this.requests.forEach((r) => r.destroy());
    this.queue.length = 0;
    this.notify();
  }

  private idle(): boolean {
    return this.queue.length === 0 && !this.pumping && this.timers.size === 0 && this.directSends === 0;
  }

  private mustGet(id: string): WebhookEvent {
    const ev = this.events.get(id);
    if (!ev) throw new Error(`no webhook event ${id}`);
    return ev;
  }

  private enqueue(group: Send[]): void {
    for (const s of group) if (s.reason === 'first') s.ev.state = 'queued';
    this.queue.push(group);
    void this.pump();
  }

  private after(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.closed) fn();
      this.notify();
    }, ms);
    this.timers.add(t);
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.closed && this.options.url && this.queue.length > 0) {
        const group = this.queue.shift()!;
        await Promise.all(group.map((s) => this.sendQueued(s)));
      }
    } finally {
      this.pumping = false;
      this.notify();
    }
  }

  private async sendQueued(s: Send): Promise<void> {
    const d = await this.send(s.ev, s.reason);
    const ok = d.status !== null && d.status >= 200 && d.status < 300;
    if (ok || (s.reason !== 'first' && s.reason !== 'retry') || s.ev.state === 'delivered') return;
    const automatic = this.log.filter((x) => x.eventId === s.ev.id && (x.reason === 'first' || x.reason === 'retry')).length;
    if (automatic >= this.options.maxAttempts) {
      s.ev.state = 'failed';
      return;
    }
    s.ev.state = 'retrying';
    this.after(this.options.retryBaseDelayMs * 2 ** (automatic - 1), () => this.enqueue([{ ev: s.ev, reason: 'retry' }]));
  }

  private async direct(ev: WebhookEvent, reason: DeliveryReason): Promise<WebhookDelivery> {
    if (!this.options.url) throw new Error('no webhook URL set');
    this.directSends++;
    try {
      return await this.send(ev, reason);
    } finally {
      this.directSends--;
      this.notify();
    }
  }

  private async send(ev: WebhookEvent, reason: DeliveryReason): Promise<WebhookDelivery> {
    ev.attempts++;
    if (ev.state !== 'delivered') ev.state = 'sending';
    const result = await this.post(ev.body, ev.signature, ev.id);
    const ok = result.status !== null && result.status >= 200 && result.status < 300;
    if (ok) ev.state = 'delivered';
    else if (ev.state === 'sending') ev.state = 'failed'; // sendQueued may turn this into 'retrying'
    return this.record({ eventId: ev.id, event: ev.event, reason, ...result });
  }

  private record(d: Omit<WebhookDelivery, 'atMs'>): WebhookDelivery {
    const full = { ...d, atMs: Date.now() };
    this.log.push(full);
    this.notify();
    return { ...full };
  }

  private post(body: string, signature: string | null, eventId: string | null): Promise<{ status: number | null; error: string | null }> {
    const url = this.options.url;
    if (!url || this.closed) return Promise.resolve({ status: null, error: this.closed ? 'closed' : 'no webhook URL' });
    const headers: Record<string, string | number> = {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      'user-agent': 'Razorpay-Webhook/v1',
    };
    if (signature !== null) headers['x-razorpay-signature'] = signature;
    if (eventId !== null) headers['x-razorpay-event-id'] = eventId;
    return new Promise((resolve) => {
      const req = request(url, { method: 'POST', headers, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? null, error: null }));
        res.on('error', (e) => resolve({ status: res.statusCode ?? null, error: e.message }));
      });
      this.requests.add(req);
      req.setTimeout(this.options.timeoutMs, () => req.destroy(new Error(`no answer within ${this.options.timeoutMs} ms`)));
      req.on('error', (e) => resolve({ status: null, error: e.message }));
      req.on('close', () => this.requests.delete(req));
      req.end(body);
    });
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach((w) => w());
  }
}

function eventName(body: string): string | null {
  try {
    const parsed = JSON.parse(body) as { event?: unknown };
    return typeof parsed.event === 'string' ? parsed.event : null;
  } catch {
    return null;
  }
}

function permute<T>(items: T[], order: 'reverse' | 'shuffle', seed: number): T[] {
  if (order === 'reverse') return [...items].reverse();
  const out = [...items];
  let s = seed >>> 0 || 1;
  const next = () => {
    // mulberry32: a tiny seeded PRNG, so a shuffled order is reproducible
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

function assertNever(x: never): never {
  throw new Error(`unexpected ${JSON.stringify(x)}`);
}
