import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { randomInt, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { APP_CONFIG, AppConfig } from '../../../platform/config/config';
import { EVENT_STORE, EventStore } from '../../../platform/event-store/event-store.port';
import { DEFAULT_REQUEST_LIMITS, InferenceRequest, readInferenceRequest } from '../../../openai/openai-request';
import { costMicroUsd } from '../../../pricing/cost';
import { SseMeter } from '../../../openai/sse-meter';
import { Upstream } from '../../routing/upstream';
import { PLATFORM_ACCOUNTS } from '../../../ledger/ledger-accounts';
import { assertBalanced, transfer } from '../../../ledger/postings';
import { Logger } from '../../../platform/observability/logger';
import { LOGGER } from '../../../platform/observability/tokens';
import { PriceBook } from '../../../pricing/price-book';
import { routedNode } from '../../routing/node-dispatcher';
import { NodeLiveness } from '../../routing/node-liveness';
import { NodeRegistry, RegistryNode } from '../../routing/node-registry';
import { generatedTexts } from '../counting/relayed-text';
import { probeEventId, ProbeUnansweredReason } from '../node-trust-records.events';
import { appendTrustRecords, TrustRecord } from '../trust-records';
import { judgeRound, ProbeAnswer } from './probe-judge';
import { probeBody, probeRequest } from './probe-prompts';
import { NodeEndpointGuard } from '../../endpoint-guard/endpoint-guard';
import { RemoteTunnels } from '../../tunnel/remote-tunnels';
import { REDIS } from '../../../platform/redis/redis.module';
import { SECRETS, Secrets } from '../../../platform/security/secrets';
import Redis from 'ioredis';

export const PROBE_ACTOR = 'system:node-probe';
/** A probe answer larger than this is cut off and not judged: it asked for at most PROBE_MAX_TOKENS. */
const PROBE_RESPONSE_MAX_BYTES = 512 * 1024;
/** Node-model pairs one round probes at most; more approved nodes than this is a sharded job. */
export const PROBES_PER_ROUND_MAX = 20_000;

interface Sent {
  node: RegistryNode;
  text: string | null;
  unanswered: { reason: ProbeUnansweredReason; status: number | null } | null;
  promptTokens: number | null;
  completionTokens: number | null;
  latencyMs: number;
  at: string;
}

export interface ProbeRoundSummary {
  models: number;
  probes: number;
  passed: number;
  failed: number;
  unanswered: number;
  /** Models whose answers had no reference this round (no reference node, no majority). */
  inconclusive: number;
  /** Node ids whose answer differed from the reference this round. */
  failedNodes: string[];
}

/**
 * Known-answer probes (worker role). One round: every approved node that heartbeats a model
 * ready gets the same fresh probe for that model, through the same request code the gateway uses
 * (readInferenceRequest adds the same fields, Upstream sends the same headers, routedNode the same
 * credential), so for the node it is ordinary streamed traffic. The answers are compared
 * (probe-judge.ts), each outcome is an event on the node's trust stream, and the text is dropped.
 */
@Injectable()
export class NodeProber implements OnModuleDestroy {
  private readonly upstream: Upstream;
  private readonly tunnels: RemoteTunnels;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly registry: NodeRegistry,
    private readonly liveness: NodeLiveness,
    private readonly prices: PriceBook,
    endpoints: NodeEndpointGuard,
    @Inject(REDIS) redis: Redis,
    @Inject(SECRETS) secrets: Secrets,
  ) {
    const timeoutMs = config.nodeTrust.probes.timeoutMs;
    // Nodes behind NAT are probed through their tunnel, relayed to the API instance holding it.
    this.tunnels = new RemoteTunnels(redis, config, secrets);
    this.upstream = new Upstream({ firstByteTimeoutMs: timeoutMs, idleTimeoutMs: timeoutMs, connectionsPerNode: 8, connect: endpoints.connector(), tunnels: this.tunnels });
  }

  async onModuleDestroy(): Promise<void> {
    await this.upstream.close();
    await this.tunnels.close();
  }

  async runRound(): Promise<ProbeRoundSummary> {
    const settings = this.config.nodeTrust.probes;
    const snapshot = await this.registry.reload();
    const approved = [...snapshot.byId.values()].filter((n) => n.status === 'approved' && !n.route); // upstream vendors are not probed for honesty
    const states = await this.liveness.read(
      approved.map((n) => n.nodeId),
      Date.now(),
    );
    const byModel = new Map<string, RegistryNode[]>();
    let pairs = 0;
    for (const node of approved) {
      const state = states.get(node.nodeId);
      if (!state?.alive) continue;
      for (const model of node.models) {
        if ((state.readyModels !== null && !state.readyModels.includes(model)) || pairs >= PROBES_PER_ROUND_MAX) continue;
        pairs++;
        const list = byModel.get(model);
        if (list) list.push(node);
        else byModel.set(model, [node]);
      }
    }
    const rounds = [...byModel].map(([model, nodes]) => {
      const probe = probeRequest(randomInt(2 ** 31), settings.maxTokens);
      const request = readInferenceRequest('/v1/chat/completions', probeBody(model, probe), { ...DEFAULT_REQUEST_LIMITS, maxOutputTokens: this.config.inference.maxOutputTokens });
      return { model, nodes, probeId: `probe_${randomUUID().replace(/-/g, '')}`, request, maxTokens: probe.maxTokens };
    });
    const tasks = rounds.flatMap((round) => round.nodes.map((node) => ({ round, node })));
    const answers = new Map<string, Sent>();
    await inParallel(tasks, settings.concurrency, async ({ round, node }) => answers.set(`${round.probeId}:${node.nodeId}`, await this.ask(node, round.request)));

    const summary: ProbeRoundSummary = { models: rounds.length, probes: 0, passed: 0, failed: 0, unanswered: 0, inconclusive: 0, failedNodes: [] };
    const records: TrustRecord[] = [];
    const referenceNodes = new Set(settings.referenceNodes);
    for (const round of rounds) {
      const sent = round.nodes.map((node) => answers.get(`${round.probeId}:${node.nodeId}`) as Sent);
      const judgement = judgeRound(
        sent.map((s): ProbeAnswer => ({ nodeId: s.node.nodeId, text: s.text })),
        { agreementWords: settings.agreementWords, quorum: settings.quorum, referenceNodes },
      );
      if (judgement.outcome === 'inconclusive') summary.inconclusive++;
      const verdicts = new Map(judgement.verdicts.map((v) => [v.nodeId, v]));
      for (const s of sent) {
        const { nodeId, providerId } = s.node;
        const base = { nodeId, providerId, model: round.model, probeId: round.probeId, latencyMs: s.latencyMs, probedAt: s.at };
        const record = (event: TrustRecord['event']) =>
          records.push({ id: probeEventId(round.probeId, nodeId), nodeId, at: s.at, actorId: PROBE_ACTOR, correlationId: round.probeId, event });
        if (s.unanswered && !referenceNodes.has(nodeId)) {
          summary.probes++;
          summary.unanswered++;
          record({ type: 'NodeProbeUnanswered', data: { ...base, ...s.unanswered } });
          continue;
        }
        const verdict = verdicts.get(nodeId);
        if (!verdict || judgement.outcome !== 'judged') continue; // a reference node, or no reference this round
        summary.probes++;
        const inputTokens = Math.min(s.promptTokens ?? round.request.estimatedInputTokens, round.request.maxInputTokens);
        const outputTokens = Math.min(s.completionTokens ?? 0, round.maxTokens);
        const price = await this.prices.priceAt(round.model, new Date(s.at));
        const cost = price ? costMicroUsd(price, inputTokens, outputTokens, 0) : 0n;
        // The probe's list price: an expense of the platform, earned by no one (docs/trusting-nodes.md).
        const postings = cost > 0n ? assertBalanced(transfer(PLATFORM_ACCOUNTS.probeExpense, PLATFORM_ACCOUNTS.probeAllowance, cost)) : [];
        const data = { ...base, reference: judgement.reference, agreedWords: verdict.agreedWords, inputTokens, outputTokens, costMicroUsd: cost.toString(), postings };
        if (verdict.passed) summary.passed++;
        else {
          summary.failed++;
          summary.failedNodes.push(nodeId);
        }
        record(verdict.passed ? { type: 'NodeProbePassed', data } : { type: 'NodeProbeFailed', data });
      }
    }
    const failed = await appendTrustRecords(this.store, records);
    if (failed > 0) this.logger.warn({ failed }, 'some probe outcomes were not stored');
    return summary;
  }

  /** One probe to one node; the answer's text is returned to the judge and then dropped. */
  private async ask(node: RegistryNode, request: InferenceRequest): Promise<Sent> {
    const started = performance.now();
    const done = (part: Partial<Sent>): Sent => ({
      node,
      text: null,
      unanswered: null,
      promptTokens: null,
      completionTokens: null,
      latencyMs: Math.round(performance.now() - started),
      at: new Date().toISOString(),
      ...part,
    });
    const signal = AbortSignal.timeout(this.config.nodeTrust.probes.timeoutMs);
    try {
      const res = await this.upstream.send(routedNode(node), request, signal);
      if (res.status >= 400) {
        await res.discard();
        return done({ unanswered: { reason: 'http_status', status: res.status } });
      }
      const meter = new SseMeter(true);
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > PROBE_RESPONSE_MAX_BYTES) {
          res.body.destroy();
          return done({ unanswered: { reason: 'unreadable', status: res.status } });
        }
        chunks.push(chunk);
        meter.push(chunk);
      }
      const texts = generatedTexts(Buffer.concat(chunks), 'sse');
      if (texts === null || texts.length === 0) return done({ unanswered: { reason: 'unreadable', status: res.status } });
      const count = (v: unknown) => (Number.isSafeInteger(v) && (v as number) >= 0 ? (v as number) : null);
      return done({ text: texts[0], promptTokens: count(meter.usage?.promptTokens), completionTokens: count(meter.usage?.completionTokens) });
    } catch {
      return done({ unanswered: { reason: signal.aborted ? 'timeout' : 'connection', status: null } });
    }
  }
}

/** Runs `work` over `items` with at most `limit` at a time. */
async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]);
  });
  await Promise.all(lanes);
}
