import Redis from 'ioredis';
import { KEY_INVALIDATION_CHANNEL, KeyInvalidation } from '../accounts/key-invalidation';

/** Longest message we read; real ones are under 200 bytes. */
const MESSAGE_MAX_CHARS = 1_000;

export interface InvalidationHandlers {
  /** null: a message on the channel that we cannot read; the safe reading is "forget everything". */
  message(message: KeyInvalidation | null): void;
  /** Receiving again. Messages sent while we were not are lost, so cached keys are suspect. */
  subscribed(): void;
  /** No longer sure to receive messages. */
  lost(): void;
}

export interface ListenerOptions {
  /** How often the idle subscriber connection is pinged, to find a connection that died silently. */
  heartbeatIntervalMs: number;
  /** A ping unanswered for this long counts as a lost connection (then forced to reconnect). */
  heartbeatTimeoutMs: number;
}

/**
 * Listens on `KEY_INVALIDATION_CHANNEL` on a dedicated connection (a subscribed connection can
 * run no other command). It subscribes itself on every (re)connect, instead of ioredis's
 * autoResubscribe, so it knows the moment it is receiving again; a heartbeat PING finds a
 * half-open connection that would otherwise look healthy while messages are lost.
 */
export class KeyInvalidationListener {
  private listening = false;
  /** Counts subscriptions, so a late reply from an earlier connection is ignored. */
  private generation = 0;
  private pingDeadline: NodeJS.Timeout | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly connection: Redis,
    private readonly handlers: InvalidationHandlers,
    private readonly options: ListenerOptions,
  ) {}

  get isListening(): boolean {
    return this.listening;
  }

  start(): void {
    if (this.timer !== null || this.closed) return;
    this.connection.on('ready', () => this.subscribe());
    this.connection.on('close', () => this.lose());
    this.connection.on('error', () => undefined); // reported as "not listening"; ioredis reconnects
    this.connection.on('message', (channel: string, text: string) => {
      if (channel === KEY_INVALIDATION_CHANNEL) this.handlers.message(parseInvalidation(text));
    });
    this.timer = setInterval(() => this.heartbeat(), this.options.heartbeatIntervalMs);
    this.timer.unref();
    if (this.connection.status === 'ready') this.subscribe();
    else if (this.connection.status === 'wait') this.connection.connect().catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.lose();
    if (this.connection.status === 'wait' || this.connection.status === 'end') this.connection.disconnect();
    else await this.connection.quit().catch(() => this.connection.disconnect());
  }

  private subscribe(): void {
    this.connection.subscribe(KEY_INVALIDATION_CHANNEL).then(
      () => {
        if (this.closed || this.connection.status !== 'ready' || this.listening) return;
        this.listening = true;
        this.generation++;
        this.clearPingDeadline();
        this.handlers.subscribed();
      },
      () => this.reconnect(),
    );
  }

  private lose(): void {
    this.clearPingDeadline();
    if (!this.listening) return;
    this.listening = false;
    this.handlers.lost();
  }

  private reconnect(): void {
    this.lose();
    if (!this.closed) this.connection.disconnect(true);
  }

  /** One ping at a time, each with its own deadline: a dead path is noticed within interval + timeout. */
  private heartbeat(): void {
    if (!this.listening || this.pingDeadline !== null) return;
    const generation = this.generation;
    this.pingDeadline = setTimeout(() => {
      this.pingDeadline = null;
      if (generation === this.generation) this.reconnect();
    }, this.options.heartbeatTimeoutMs);
    this.pingDeadline.unref();
    this.connection.ping().then(
      () => {
        if (generation === this.generation) this.clearPingDeadline();
      },
      () => {
        if (generation === this.generation) this.reconnect();
      },
    );
  }

  private clearPingDeadline(): void {
    if (this.pingDeadline !== null) clearTimeout(this.pingDeadline);
    this.pingDeadline = null;
  }
}

/** The message, if it is one of the two shapes `publishKeyInvalidation` sends. */
export function parseInvalidation(text: string): KeyInvalidation | null {
  if (text.length > MESSAGE_MAX_CHARS) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  const m = value as Record<string, unknown> | null;
  if (typeof m !== 'object' || m === null || typeof m.accountId !== 'string') return null;
  if (m.kind === 'key' && typeof m.keyHash === 'string') return { kind: 'key', keyHash: m.keyHash, accountId: m.accountId };
  if (m.kind === 'account' && typeof m.suspended === 'boolean') return { kind: 'account', accountId: m.accountId, suspended: m.suspended };
  if (m.kind === 'restriction' && typeof m.restricted === 'boolean') return { kind: 'restriction', accountId: m.accountId, restricted: m.restricted };
  return null;
}
