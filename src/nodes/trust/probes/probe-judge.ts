import { ProbeReference } from '../node-trust-records.events';

/** One node's answer to a probe round: its generated text, or null when it gave none to judge. */
export interface ProbeAnswer {
  nodeId: string;
  text: string | null;
}

export interface JudgeRule {
  /** Answers agree when their first this-many words are the same (shorter answers: all their words). */
  agreementWords: number;
  /** Fewest answering nodes for a majority to be the reference. */
  quorum: number;
  /** The platform's own nodes: their answer is the reference; they are not judged. */
  referenceNodes: ReadonlySet<string>;
}

export type Verdict = { nodeId: string; passed: boolean; agreedWords: number };

export type RoundJudgement =
  | { outcome: 'judged'; reference: ProbeReference; verdicts: Verdict[] }
  /** No reference node answered and no strict majority of at least `quorum` nodes agreed. */
  | { outcome: 'inconclusive'; verdicts: [] };

/** Words as generated, whitespace normalised (greedy answers of one model are the same text). */
export function words(text: string): string[] {
  return text
    .trim()
    .split(/\s+/)
    .filter((w) => w.length > 0);
}

/** The part of an answer that is compared: its first `n` words. */
export function leadingKey(text: string, n: number): string {
  return words(text).slice(0, n).join(' ');
}

function sharedWords(a: string[], b: string[], cap: number): number {
  let i = 0;
  while (i < cap && i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/**
 * The tolerance: two greedy (temperature 0, seeded) answers of the same model are the same text
 * until floating-point noise between GPUs, batch sizes or kernels tips a near-tie, which happens
 * late if at all; a different model differs within the first few words of an open-ended answer.
 * So answers agree when their first `agreementWords` words are identical, and the reference is
 * the platform's reference node when one answered, else the strict majority of the answers
 * (at least `quorum` of them). Pure: the same answers always give the same judgement.
 */
export function judgeRound(answers: readonly ProbeAnswer[], rule: JudgeRule): RoundJudgement {
  const answered = answers.filter((a): a is { nodeId: string; text: string } => a.text !== null);
  const judged = answered.filter((a) => !rule.referenceNodes.has(a.nodeId));
  const keyOf = (text: string) => leadingKey(text, rule.agreementWords);
  let referenceKey: string | null = null;
  let reference: ProbeReference = 'majority';
  const referenceKeys = new Set(answered.filter((a) => rule.referenceNodes.has(a.nodeId)).map((a) => keyOf(a.text)));
  if (referenceKeys.size === 1) {
    referenceKey = [...referenceKeys][0];
    reference = 'reference_node';
  } else if (referenceKeys.size === 0 && judged.length >= rule.quorum) {
    const groups = new Map<string, number>();
    for (const a of judged) groups.set(keyOf(a.text), (groups.get(keyOf(a.text)) ?? 0) + 1);
    for (const [key, size] of groups) if (size * 2 > judged.length) referenceKey = key;
  }
  // Reference nodes that disagree with each other, or no majority: nothing to hold anyone to.
  if (referenceKey === null) return { outcome: 'inconclusive', verdicts: [] };
  const referenceWords = words(referenceKey);
  return {
    outcome: 'judged',
    reference,
    verdicts: judged.map((a) => ({ nodeId: a.nodeId, passed: keyOf(a.text) === referenceKey, agreedWords: sharedWords(words(a.text), referenceWords, rule.agreementWords) })),
  };
}
