import { DiscrepancyKind } from '../../nodes/trust/node-trust.events';
import { UsageDiscrepancy } from '../../metering/usage-discrepancies';
import type { RawUsage } from '../../openai/sse-meter';

export type { UsageDiscrepancy };

/**
 * What a charge may be, from what the gateway itself knows, whatever a node reports
 * (docs/trusting-nodes.md, "Bounds"). Pure: no I/O, no clock.
 */

/** Upper bounds the gateway can prove for one request. */
export interface UsageLimits {
  /** The prompt bound of what it forwarded (openai-request.ts). */
  inputTokens: number;
  /** The max output it sent, and (streams) the bound from what it relayed. */
  outputTokens: number;
  /** The images the request asked for (`n`). */
  images: number;
}

/** The gateway's own figures, charged when a node reports nothing usable. */
export interface GatewayFigures {
  inputTokens: number;
  outputTokens: number;
  /** Images it relayed. */
  images: number;
}

export interface BoundedUsage {
  inputTokens: number;
  outputTokens: number;
  images: number;
  /** The gateway's figures stood in for a missing or malformed report. */
  estimated: boolean;
  discrepancies: UsageDiscrepancy[];
}

/**
 * Tokens a choice may have generated beyond the text relayed for it: the end-of-sequence token
 * (counted, never shown), a leading space a SentencePiece detokenizer drops, a token split across
 * the end. Stop strings are added separately: their tokens are counted but their text is cut.
 */
export const OUTPUT_SLACK_TOKENS_PER_CHOICE = 4;

/**
 * Every token of a byte-level BPE (GPT/cl100k/o200k, Llama 3) or of SentencePiece with byte
 * fallback (Llama 2, Mistral) decodes to at least one byte of UTF-8, so a choice's tokens are at
 * most the UTF-8 bytes of the text relayed for it (JSON escapes decoded: `\u00e9` is 2 bytes, not
 * 6), plus the slack above and the stop string's bytes.
 */
export function relayedOutputBound(textBytes: number, choices: number, stopBytes: number): number {
  return textBytes + choices * (OUTPUT_SLACK_TOKENS_PER_CHOICE + stopBytes);
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** A malformed value, described without its content (a node's string could carry text, P1). */
function describe(field: string, v: unknown): string {
  if (v === undefined) return `${field}:missing`;
  if (v === null) return `${field}:null`;
  if (typeof v === 'number') return `${field}:${Number.isFinite(v) ? String(v) : 'non-finite'}`;
  return `${field}:${Array.isArray(v) ? 'array' : typeof v}`;
}

/**
 * Each count is the report when it is well formed and within its bound; above the bound it is
 * the bound (`*_over_bound`); malformed it is the gateway's own figure, never above the bound
 * (`malformed_usage`, once per request: the first field found so). No report at all is charged
 * at the gateway's figures with no discrepancy (engines that cannot report usage exist).
 * `expectsOutput`: false for embeddings, whose reports have no completion_tokens.
 */
export function boundUsage(report: RawUsage | null, limits: UsageLimits, figures: GatewayFigures, expectsOutput: boolean): BoundedUsage {
  const discrepancies: UsageDiscrepancy[] = [];
  let estimated = report === null;
  let malformed: UsageDiscrepancy | null = null;
  const count = (field: string, value: unknown, bound: number, figure: number, kind: DiscrepancyKind, required: boolean): number => {
    const fallback = Math.min(figure, bound);
    if (report === null) return fallback;
    if (value === undefined && !required) return 0;
    if (!isCount(value)) {
      malformed ??= { kind: 'malformed_usage', reported: describe(field, value), bound: String(bound) };
      estimated = true;
      return fallback;
    }
    if (value > bound) {
      discrepancies.push({ kind, reported: String(value), bound: String(bound) });
      return bound;
    }
    return value;
  };
  const inputTokens = count('prompt_tokens', report?.promptTokens, limits.inputTokens, figures.inputTokens, 'input_tokens_over_bound', true);
  const outputTokens = count('completion_tokens', report?.completionTokens, limits.outputTokens, figures.outputTokens, 'output_tokens_over_bound', expectsOutput);
  if (malformed) discrepancies.push(malformed);
  let images = figures.images;
  if (images > limits.images) {
    discrepancies.push({ kind: 'images_over_bound', reported: String(images), bound: String(limits.images) });
    images = limits.images;
  }
  return { inputTokens, outputTokens, images, estimated, discrepancies };
}

/** The cost never exceeds the reservation; if the arithmetic ever says otherwise, that is recorded too. */
export function capCost(costMicroUsd: bigint, reservedMicroUsd: bigint): { costMicroUsd: bigint; discrepancy: UsageDiscrepancy | null } {
  if (costMicroUsd <= reservedMicroUsd) return { costMicroUsd, discrepancy: null };
  return { costMicroUsd: reservedMicroUsd, discrepancy: { kind: 'cost_over_reservation', reported: costMicroUsd.toString(), bound: reservedMicroUsd.toString() } };
}
