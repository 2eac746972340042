import { Counter, Histogram } from 'prom-client';
import { Metrics } from './metrics';

/** Sub-millisecond to seconds: the gateway's own share is meant to be well under a millisecond. */
const ADDED_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
const SLOW_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/**
 * What an operator of the /v1 gateway watches, recorded on the hot path at the cost of a few
 * array increments per request (prom-client histograms: no allocation once a label set exists).
 * Labels are bounded: models and nodes are the price book's and the registry's (ids the operator
 * approved), never client input that did not match one.
 */
export class GatewayMetrics {
  /** Time the gateway added: the whole request minus the wait for the node (first send to last byte). */
  readonly added: Histogram<'model'>;
  readonly ttft: Histogram<'model'>;
  /** From the first send to the node until its last byte (failed attempts included). */
  readonly upstream: Histogram<'node'>;
  readonly refused: Counter<'status'>;
  readonly failovers: Counter;
  /** From the charge handed to the group commit until it is durable. */
  readonly chargeWait: Histogram;
  readonly batchSize: Histogram;
  readonly batchSeconds: Histogram;

  constructor(metrics: Metrics) {
    const registers = [metrics.registry];
    this.added = new Histogram({
      name: 'tollgate_inference_added_seconds',
      help: 'Time the gateway added to a /v1 request (total minus the wait for the node), by model',
      labelNames: ['model'],
      buckets: ADDED_BUCKETS,
      registers,
    });
    this.ttft = new Histogram({
      name: 'tollgate_inference_ttft_seconds',
      help: 'Time from request arrival to the first byte from the node (streams: the first token), by model',
      labelNames: ['model'],
      buckets: SLOW_BUCKETS,
      registers,
    });
    this.upstream = new Histogram({
      name: 'tollgate_upstream_seconds',
      help: 'Time spent waiting on nodes per request, from the first send to the last byte, by the node that answered',
      labelNames: ['node'],
      buckets: SLOW_BUCKETS,
      registers,
    });
    this.refused = new Counter({
      name: 'tollgate_inference_refused_total',
      help: 'Requests refused before a node was contacted: 402 (credits) and 429 (rate limits)',
      labelNames: ['status'],
      registers,
    });
    this.failovers = new Counter({ name: 'tollgate_node_failovers_total', help: 'Requests that were sent to another node after one failed before the first byte', registers });
    this.chargeWait = new Histogram({
      name: 'tollgate_usage_charge_wait_seconds',
      help: 'From a charge handed to the group commit to it being durable (the wait before [DONE])',
      buckets: ADDED_BUCKETS,
      registers,
    });
    this.batchSize = new Histogram({
      name: 'tollgate_usage_batch_size',
      help: 'Events per group-commit batch (charges and the discrepancy events stored with them)',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
      registers,
    });
    this.batchSeconds = new Histogram({ name: 'tollgate_usage_batch_seconds', help: 'Time to write one group-commit batch', buckets: ADDED_BUCKETS, registers });
    // Present from the start, so dashboards and alerts see a 0 rather than no series.
    this.refused.inc({ status: '402' }, 0);
    this.refused.inc({ status: '429' }, 0);
  }
}
