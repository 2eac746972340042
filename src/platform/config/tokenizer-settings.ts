/**
 * Which tokenizer counts a model's output. Model ids are whatever providers registered, so the
 * mapping is a list of case-insensitive glob patterns (`*` = any run of characters), first match
 * wins; a model no pattern matches is not counted (its reports are still bounded by the gateway).
 */
export const ENCODINGS = ['cl100k_base', 'o200k_base', 'llama3'] as const;
export type EncodingName = (typeof ENCODINGS)[number];

export interface TokenizerRule {
  pattern: string;
  encoding: EncodingName;
}

/**
 * Families whose tokenizer is public and shipped offline by gpt-tokenizer (cl100k, o200k) or
 * llama3-tokenizer-js (Llama 3, 3.1, 3.2, 3.3 share one vocabulary). Llama 2 and Mistral use
 * other vocabularies and are deliberately absent: a wrong tokenizer would make honest nodes drift.
 */
export const DEFAULT_TOKENIZER_RULES =
  'llama3*=llama3,llama-3*=llama3,meta-llama/meta-llama-3*=llama3,meta-llama/llama-3*=llama3,' +
  'gpt-4o*=o200k_base,gpt-4.1*=o200k_base,gpt-oss*=o200k_base,openai/gpt-oss*=o200k_base,gpt-4*=cl100k_base,gpt-3.5*=cl100k_base';

export const TOKENIZER_RULES_MAX = 200;

/** Parses `pattern=encoding,…`; throws with the offending entry. An empty text counts no model. */
export function parseTokenizerRules(text: string): TokenizerRule[] {
  const rules: TokenizerRule[] = [];
  for (const entry of text
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const match = /^([^=\s]{1,200})=([a-z0-9_]+)$/.exec(entry);
    if (!match || !(ENCODINGS as readonly string[]).includes(match[2])) throw new Error(`"${entry}" is not <model pattern>=<${ENCODINGS.join('|')}>`);
    rules.push({ pattern: match[1], encoding: match[2] as EncodingName });
  }
  if (rules.length > TOKENIZER_RULES_MAX) throw new Error(`at most ${TOKENIZER_RULES_MAX} rules`);
  return rules;
}
