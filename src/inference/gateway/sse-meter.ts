/** Token counts a node reports (OpenAI's `usage`). */
export interface ReportedUsage {
  promptTokens: number;
  completionTokens: number;
}

const EVENT_END = Buffer.from('\n\n');
const DATA = Buffer.from('data:');
const DONE = Buffer.from('data: [DONE]');
const USAGE = Buffer.from('"usage"');
/** Fields that carry generated text (chat `content`, completions `text`); a role or finish-only chunk has none. */
const TEXT_FIELDS = [Buffer.from('"content":"'), Buffer.from('"text":"')];
const QUOTE = 0x22;

function startsWith(buf: Buffer, prefix: Buffer): boolean {
  return buf.length >= prefix.length && buf.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;
}

/** A non-empty string value in a text field: at least one generated token. */
function carriesText(event: Buffer): boolean {
  for (const field of TEXT_FIELDS) {
    for (let at = event.indexOf(field); at !== -1; at = event.indexOf(field, at + 1)) {
      const next = at + field.length;
      if (next < event.length && event[next] !== QUOTE) return true;
    }
  }
  return false;
}

/**
 * Relays an upstream SSE stream event by event, reading only what metering needs: the usage
 * chunk (dropped unless the client asked for it) and how many content chunks were delivered
 * (the estimate when a stream ends without usage). `[DONE]` is held back: the gateway writes it
 * itself, after the charge is stored. Text is never kept beyond the event being relayed.
 */
export class SseMeter {
  usage: ReportedUsage | null = null;
  /** Events with generated text relayed to the client: at least one token each. */
  deliveredChunks = 0;
  sawDone = false;
  private rest: Buffer | null = null;

  constructor(private readonly clientWantsUsage: boolean) {}

  /** Returns the bytes to send to the client now (possibly empty). */
  push(chunk: Buffer): Buffer[] {
    const data = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    const out: Buffer[] = [];
    let start = 0;
    for (;;) {
      const end = data.indexOf(EVENT_END, start);
      if (end === -1) break;
      const event = data.subarray(start, end + 2);
      if (this.keep(event)) out.push(event);
      start = end + 2;
    }
    this.rest = start < data.length ? Buffer.from(data.subarray(start)) : null;
    return out;
  }

  /** Byte searches only: an event becomes a string just when it mentions usage (once per stream). */
  private keep(event: Buffer): boolean {
    if (startsWith(event, DONE)) {
      this.sawDone = true;
      return false;
    }
    if (!startsWith(event, DATA)) return true; // comments and keep-alives pass through
    if (event.indexOf(USAGE) !== -1) {
      try {
        const parsed = JSON.parse(event.toString('utf8', DATA.length)) as { usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } | null; choices?: unknown[] };
        const u = parsed.usage;
        if (u && typeof u.prompt_tokens === 'number' && typeof u.completion_tokens === 'number') {
          this.usage = { promptTokens: u.prompt_tokens, completionTokens: u.completion_tokens };
          if (!Array.isArray(parsed.choices) || parsed.choices.length === 0) return this.clientWantsUsage;
        }
      } catch {
        // not JSON: relay as is
      }
    }
    if (carriesText(event)) this.deliveredChunks++;
    return true;
  }
}

/** Usage from a non-streamed JSON response (completions, embeddings, images). */
export function usageOf(body: unknown): ReportedUsage | null {
  const u = (body as { usage?: { prompt_tokens?: unknown; completion_tokens?: unknown; total_tokens?: unknown } } | null)?.usage;
  if (!u || typeof u.prompt_tokens !== 'number') return null;
  return { promptTokens: u.prompt_tokens, completionTokens: typeof u.completion_tokens === 'number' ? u.completion_tokens : 0 };
}
