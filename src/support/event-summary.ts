import { JsonObject, JsonValue, RecordedEvent } from '../platform/event-store/event-store.port';

/**
 * What support may see of an event: ids, amounts, counts, statuses — never sealed fields, hashes,
 * free text (reasons, names) or personal data. A field is shown only when its NAME is one of these
 * shapes and its VALUE looks like an id, a number or a status (no '@', no spaces, not sealed).
 */
const SAFE_FIELD =
  /(Id|MicroUsd|Cents|Tokens|Ms|At|Version)$|^(status|role|roles|via|method|model|endpoint|kind|currency|estimated|images|prefix|outcome|source|day|over18|version|eligibilityPending)$/;
const SAFE_TEXT = /^[A-Za-z0-9_.:+\-/]{1,100}$/;
const SEALED = /^pd\d+\./;

function safeValue(value: JsonValue): JsonValue | undefined {
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return value;
  if (typeof value === 'string') return SAFE_TEXT.test(value) && !SEALED.test(value) ? value : undefined;
  if (Array.isArray(value) && value.length <= 10 && value.every((v) => typeof v === 'string' && SAFE_TEXT.test(v) && !SEALED.test(v))) return value;
  return undefined;
}

export function safeSummary(data: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(data)) {
    if (!SAFE_FIELD.test(key) || /hash/i.test(key)) continue;
    const safe = safeValue(value);
    if (safe !== undefined) out[key] = safe;
  }
  // Postings are the money: accounts are ids, amounts are integers.
  if (Array.isArray(data.postings)) {
    out.postings = data.postings.slice(0, 16).flatMap((p) => {
      const { account, amountMicroUsd } = (p ?? {}) as JsonObject;
      return typeof account === 'string' && typeof amountMicroUsd === 'string' ? [{ account, amountMicroUsd }] : [];
    });
  }
  return out;
}

export interface TimelineEntry {
  type: string;
  stream: string;
  revision: string;
  /** When the event was recorded in the store. */
  time: string;
  /** When the business fact happened, as the writer stated it. */
  occurredAt: string | null;
  actorId: string | null;
  summary: JsonObject;
}

export function timelineEntry(e: RecordedEvent): TimelineEntry {
  const actor = e.metadata.actorId;
  const occurredAt = e.metadata.occurredAt;
  return {
    type: e.type,
    stream: e.stream,
    revision: e.revision.toString(),
    time: e.createdAt.toISOString(),
    occurredAt: typeof occurredAt === 'string' && !Number.isNaN(Date.parse(occurredAt)) ? occurredAt : null,
    actorId: typeof actor === 'string' && SAFE_TEXT.test(actor) ? actor : null,
    summary: safeSummary(e.data),
  };
}
