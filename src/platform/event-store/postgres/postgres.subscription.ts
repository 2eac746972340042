import { EventEmitter } from 'node:events';
import { AllSubscription, comparePositions, EventFilter, Position, RecordedEvent } from '../event-store.port';

const PAGE_SIZE = 500;
/**
 * After this many empty polls in a row, an idle subscription polls at most every IDLE_POLL_MS
 * (never faster than its own interval allows): at a 20 ms interval an idle app cost 326
 * PostgreSQL transactions/s and 17 % of a core. Any append in this process, or any event read,
 * brings the short interval back at once, so a woken subscription waits as before.
 */
const IDLE_AFTER_EMPTY_POLLS = 10;
const IDLE_POLL_MS = 100;

export interface PageReader {
  readAllAfter(after: Position | null, count: number, filter?: EventFilter): Promise<RecordedEvent[]>;
  safeHeadPosition(): Promise<Position | null>;
}

interface Options {
  after: Position | null;
  filter?: EventFilter;
  pollIntervalMs: number;
}

/**
 * A catch-up subscription by polling pages of $all. Pull-based, so a slow consumer applies
 * back-pressure instead of filling memory. Appends in this process wake it at once;
 * appends from other processes are seen within one poll interval (IDLE_POLL_MS once idle).
 */
export class PostgresAllSubscription implements AllSubscription {
  caughtUp = false;
  private closed = false;
  private wake: (() => void) | null = null;
  private emptyPolls = 0;
  private readonly onSignal = () => {
    this.emptyPolls = 0;
    this.wake?.();
  };
  private readonly onStoreClosed = () => void this.close();

  constructor(
    private readonly reader: PageReader,
    private readonly signals: EventEmitter,
    private readonly options: Options,
  ) {
    signals.on('append', this.onSignal);
    signals.on('close', this.onStoreClosed);
  }

  private iterator: AsyncGenerator<RecordedEvent> | null = null;

  /** One subscription is one stream of events: iterating it again continues where it stopped. */
  [Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    this.iterator ??= this.events();
    return this.iterator;
  }

  private async *events(): AsyncGenerator<RecordedEvent> {
    let after = this.options.after;
    const { filter } = this.options;
    try {
      while (!this.closed) {
        // With a filter, a short page means everything up to the earlier head was considered:
        // jump there so the next poll does not rescan events that did not match.
        const headBefore = filter ? await this.reader.safeHeadPosition() : null;
        const page = await this.reader.readAllAfter(after, PAGE_SIZE, filter);
        for (const event of page) {
          after = event.position;
          yield event;
          if (this.closed) return;
        }
        if (page.length < PAGE_SIZE) {
          if (headBefore && (!after || comparePositions(headBefore, after) > 0)) after = headBefore;
          this.caughtUp = true;
          this.emptyPolls = page.length === 0 ? this.emptyPolls + 1 : 0;
          const interval = this.options.pollIntervalMs;
          await this.sleep(this.emptyPolls > IDLE_AFTER_EMPTY_POLLS ? Math.max(interval, IDLE_POLL_MS) : interval);
        }
      }
    } finally {
      this.detach();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    this.detach();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      // eslint-disable-next-line @typescript-eslint/no-this-alias -- a named function declaration below needs it
      const self = this;
      function done() {
        clearTimeout(timer);
        self.wake = null;
        resolve();
      }
      this.wake = done;
    });
  }

  private detach(): void {
    this.signals.off('append', this.onSignal);
    this.signals.off('close', this.onStoreClosed);
  }
}
