import { randomUUID } from 'node:crypto';
import type { RelayedRequest, RelayObserver, RelayOutcome, RelayTap } from '../../../inference/gateway/ports';
import { EventStore } from '../../../platform/event-store/event-store.port';
import { UsageEndpoint } from '../../../metering/usage.events';
import { Logger } from '../../../platform/observability/logger';
import { NodeTrustConfig } from '../../../platform/config/config';
import { countEventId } from '../node-trust-records.events';
import { appendTrustRecords, TrustRecord } from '../trust-records';
import { CountPool } from './count-pool';
import { CountWindow, drifts } from './drift';
import { TokenizerMapping } from './tokenizer-mapping';

export const COUNT_ACTOR = 'system:token-count';

/** A response's chunks, by reference, until it ends; past the byte limit it stops keeping them. */
class Collector {
  chunks: Buffer[] = [];
  bytes = 0;
  overflow = false;

  constructor(private readonly maxBytes: number) {}

  push(chunk: Buffer): void {
    if (this.overflow) return;
    if (this.bytes + chunk.length > this.maxBytes) {
      this.overflow = true;
      this.chunks = [];
      return;
    }
    this.chunks.push(chunk);
    this.bytes += chunk.length;
  }
}

interface OpenWindow extends CountWindow {
  windowId: string;
  nodeId: string;
  providerId: string;
  model: string;
  from: string;
}

export interface CounterStats {
  /** Responses counted, and responses not counted because… */
  counted: number;
  droppedQueueFull: number;
  droppedTooLarge: number;
  unreadable: number;
  failed: number;
  waiting: number;
  windowsRecorded: number;
  windowsLost: number;
  driftsRecorded: number;
}

/**
 * The gateway's own count of what nodes generated. After a response ends the gateway hands over
 * the chunks it relayed (kept by reference while they streamed); they are copied once into a
 * buffer transferred to a counting worker thread, which answers with a token count — the text
 * never leaves process memory and is never logged (P1). Counts add up per node and model in a
 * window; a window closes when COUNT_WINDOW_TOKENS were counted or at the flush, and becomes a
 * `NodeOutputCounted` event (reported vs counted), plus a `token_count_drift` discrepancy when the
 * two differ beyond the tolerance. When the workers fall behind, responses are dropped (counted in
 * the stats), never queued without bound: counting is evidence, not billing.
 */
export class RelayedOutputCounter implements RelayObserver {
  private readonly mapping: TokenizerMapping;
  private readonly pool: CountPool;
  private readonly windows = new Map<string, OpenWindow>();
  private readonly closed: OpenWindow[] = [];
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> | null = null;
  private flushSoon: NodeJS.Immediate | null = null;
  private readonly stats_: Omit<CounterStats, 'waiting'> = {
    counted: 0,
    droppedQueueFull: 0,
    droppedTooLarge: 0,
    unreadable: 0,
    failed: 0,
    windowsRecorded: 0,
    windowsLost: 0,
    driftsRecorded: 0,
  };

  constructor(
    private readonly store: EventStore,
    private readonly config: NodeTrustConfig['counting'],
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.mapping = new TokenizerMapping(config.tokenizers);
    this.pool = new CountPool({ workers: config.workers, queueMax: config.queueMax });
    this.timer = setInterval(() => void this.flush(), config.flushMs);
    this.timer.unref();
  }

  stats(): CounterStats {
    return { ...this.stats_, waiting: this.pool.size };
  }

  /** The gateway's hook: keeps a counted model's relayed chunks by reference until the response ends. */
  begin(request: RelayedRequest): RelayTap | null {
    const collector = this.collector(request.model, request.endpoint);
    if (!collector) return null;
    return {
      relayed: (bytes) => collector.push(bytes),
      end: (outcome) => {
        const reported = reportedOutputTokens(outcome);
        if (reported === null) return;
        this.relayed({
          nodeId: request.nodeId,
          providerId: request.providerId,
          model: request.model,
          format: request.stream ? 'sse' : 'json',
          chunks: collector,
          reportedOutputTokens: reported,
        });
      },
    };
  }

  collector(model: string, endpoint: UsageEndpoint): Collector | null {
    if (endpoint !== 'chat.completions' && endpoint !== 'completions') return null;
    return this.mapping.encodingFor(model) ? new Collector(this.config.maxResponseBytes) : null;
  }

  relayed(output: { nodeId: string; providerId: string; model: string; format: 'sse' | 'json'; chunks: Collector; reportedOutputTokens: number }): void {
    const collector = output.chunks;
    const encoding = this.mapping.encodingFor(output.model);
    if (!encoding) return;
    if (collector.overflow) {
      this.stats_.droppedTooLarge++;
      return;
    }
    if (this.pool.size >= this.config.queueMax) {
      this.stats_.droppedQueueFull++;
      return;
    }
    // One copy into memory of our own, so it can be transferred to the worker without copying again.
    const bytes = new Uint8Array(collector.bytes);
    let offset = 0;
    for (const chunk of collector.chunks) {
      bytes.set(chunk, offset);
      offset += chunk.length;
    }
    collector.chunks = [];
    const answer = this.pool.submit({ encoding, format: output.format, bytes });
    if (!answer) {
      this.stats_.droppedQueueFull++;
      return;
    }
    void answer.then((a) => {
      if ('error' in a) {
        if (a.error === 'unreadable') this.stats_.unreadable++;
        else this.stats_.failed++;
        return;
      }
      this.stats_.counted++;
      this.add(output, a.tokens);
    });
  }

  /** Closes every open window and records it (the timer calls this; so does shutdown). */
  async flush(): Promise<void> {
    for (const w of this.windows.values()) this.closed.push(w);
    this.windows.clear();
    await this.write();
  }

  /** Waits briefly for counts in flight, records what is open, stops the workers. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    if (this.flushSoon) clearImmediate(this.flushSoon);
    const deadline = Date.now() + 2_000;
    while (this.pool.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await this.flush();
    await this.pool.close();
  }

  private add(output: { nodeId: string; providerId: string; model: string; reportedOutputTokens: number }, tokens: number): void {
    const key = `${output.nodeId}\u0000${output.model}`;
    let w = this.windows.get(key);
    if (!w) {
      w = {
        windowId: `count_${randomUUID()}`,
        nodeId: output.nodeId,
        providerId: output.providerId,
        model: output.model,
        from: this.now().toISOString(),
        requests: 0,
        reportedTokens: 0,
        countedTokens: 0,
      };
      this.windows.set(key, w);
    }
    w.requests++;
    w.reportedTokens += output.reportedOutputTokens;
    w.countedTokens += tokens;
    if (w.countedTokens >= this.config.windowTokens) {
      this.windows.delete(key);
      this.closed.push(w);
      this.flushSoon ??= setImmediate(() => {
        this.flushSoon = null;
        void this.write();
      });
    }
  }

  /** Single flight: windows closed meanwhile wait for the next write. */
  private write(): Promise<void> {
    this.flushing ??= this.writeClosed().finally(() => (this.flushing = null));
    return this.flushing;
  }

  private async writeClosed(): Promise<void> {
    while (this.closed.length > 0) {
      const windows = this.closed.splice(0, 500);
      const to = this.now().toISOString();
      const records: TrustRecord[] = [];
      let drifted = 0;
      for (const w of windows) {
        const { windowId, nodeId, providerId, model, requests, reportedTokens, countedTokens, from } = w;
        records.push({
          id: countEventId(windowId, 'counted'),
          nodeId,
          at: to,
          actorId: COUNT_ACTOR,
          event: { type: 'NodeOutputCounted', data: { nodeId, providerId, model, windowId, requests, reportedTokens, countedTokens, from, to } },
        });
        if (!drifts(w, { minTokens: this.config.minTokens, toleranceBps: this.config.driftToleranceBps, slackPerRequest: this.config.driftSlackPerRequest })) continue;
        drifted++;
        records.push({
          id: countEventId(windowId, 'drift'),
          nodeId,
          at: to,
          actorId: COUNT_ACTOR,
          event: {
            type: 'NodeUsageDiscrepancyRecorded',
            data: { nodeId, providerId, requestId: windowId, model, kind: 'token_count_drift', reported: String(reportedTokens), bound: String(countedTokens), recordedAt: to },
          },
        });
      }
      try {
        const failed = await appendTrustRecords(this.store, records);
        this.stats_.windowsRecorded += windows.length;
        this.stats_.driftsRecorded += drifted;
        if (failed > 0) this.logger.warn({ failed }, 'some token count records were not stored');
      } catch (err) {
        this.stats_.windowsLost += windows.length;
        this.logger.warn({ windows: windows.length, err: { name: (err as Error).name, message: (err as Error).message } }, 'token count windows could not be stored; dropped');
      }
    }
  }
}

/**
 * Only a completed response whose node reported a well-formed count is compared: an estimate has
 * nothing to compare, and a malformed report is already a discrepancy of its own (usage bounds).
 */
function reportedOutputTokens(outcome: RelayOutcome): number | null {
  if (outcome.status !== 'completed' || outcome.estimated) return null;
  const reported = outcome.reported?.completionTokens;
  return typeof reported === 'number' && Number.isSafeInteger(reported) && reported >= 0 ? reported : null;
}
