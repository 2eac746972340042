import { EncodingName, TokenizerRule } from '../../../platform/config/tokenizer-settings';

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`, 'i');
}

/** Model id → encoding (or null), memoised: the gateway asks once per request. */
export class TokenizerMapping {
  private readonly compiled: { re: RegExp; encoding: EncodingName }[];
  private readonly memo = new Map<string, EncodingName | null>();
  private static readonly MEMO_MAX = 10_000;

  constructor(rules: readonly TokenizerRule[]) {
    this.compiled = rules.map((r) => ({ re: globToRegExp(r.pattern), encoding: r.encoding }));
  }

  encodingFor(model: string): EncodingName | null {
    const known = this.memo.get(model);
    if (known !== undefined) return known;
    const encoding = this.compiled.find((r) => r.re.test(model))?.encoding ?? null;
    if (this.memo.size >= TokenizerMapping.MEMO_MAX) this.memo.clear();
    this.memo.set(model, encoding);
    return encoding;
  }
}
