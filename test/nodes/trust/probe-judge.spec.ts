import { judgeRound, leadingKey } from '../../../src/nodes/trust/probes/probe-judge';
import { probeBody, probeRequest } from '../../../src/nodes/trust/probes/probe-prompts';
import { readInferenceRequest, DEFAULT_REQUEST_LIMITS } from '../../../src/openai/openai-request';

const rule = { agreementWords: 4, quorum: 3, referenceNodes: new Set<string>() };
const A = 'The quick brown fox jumps over the lazy dog';
const A_LATE = 'The quick brown fox leaps across a sleeping cat'; // the same model, diverging after 4 words
const B = 'A fast auburn fox vaulted the idle hound';

describe('probe judge: the reference and the tolerance', () => {
  it('the strict majority of the answers is the reference; answers that leave the greedy path after the compared words still agree', () => {
    const j = judgeRound(
      [
        { nodeId: 'n1', text: A },
        { nodeId: 'n2', text: A_LATE },
        { nodeId: 'n3', text: A },
        { nodeId: 'n4', text: B },
      ],
      rule,
    );
    expect(j).toEqual({
      outcome: 'judged',
      reference: 'majority',
      verdicts: [
        { nodeId: 'n1', passed: true, agreedWords: 4 },
        { nodeId: 'n2', passed: true, agreedWords: 4 },
        { nodeId: 'n3', passed: true, agreedWords: 4 },
        { nodeId: 'n4', passed: false, agreedWords: 0 },
      ],
    });
  });

  it('a trusted reference node decides, even against a colluding majority, and is not judged itself', () => {
    const j = judgeRound(
      [
        { nodeId: 'ref', text: A },
        { nodeId: 'n1', text: B },
        { nodeId: 'n2', text: B },
        { nodeId: 'n3', text: A },
      ],
      { ...rule, referenceNodes: new Set(['ref']) },
    );
    expect(j).toMatchObject({ outcome: 'judged', reference: 'reference_node' });
    expect(j.verdicts.map((v) => [v.nodeId, v.passed])).toEqual([
      ['n1', false],
      ['n2', false],
      ['n3', true],
    ]);
  });

  it('no reference: too few answers, a tie, or reference nodes that disagree with each other are inconclusive (nobody fails)', () => {
    expect(
      judgeRound(
        [
          { nodeId: 'n1', text: A },
          { nodeId: 'n2', text: B },
        ],
        rule,
      ).outcome,
    ).toBe('inconclusive');
    expect(
      judgeRound(
        [
          { nodeId: 'n1', text: A },
          { nodeId: 'n2', text: A },
          { nodeId: 'n3', text: B },
          { nodeId: 'n4', text: B },
        ],
        rule,
      ).outcome,
    ).toBe('inconclusive');
    expect(
      judgeRound(
        [
          { nodeId: 'n1', text: A },
          { nodeId: 'n2', text: A },
          { nodeId: 'n3', text: null },
        ],
        rule,
      ).outcome,
    ).toBe('inconclusive'); // one did not answer
    expect(
      judgeRound(
        [
          { nodeId: 'r1', text: A },
          { nodeId: 'r2', text: B },
          { nodeId: 'n1', text: A },
        ],
        { ...rule, referenceNodes: new Set(['r1', 'r2']) },
      ).outcome,
    ).toBe('inconclusive');
  });

  it('short answers must be equal; whitespace does not matter, words do', () => {
    expect(leadingKey('  Paris \n is  the capital', 4)).toBe('Paris is the capital');
    const j = judgeRound(
      [
        { nodeId: 'n1', text: 'Paris.' },
        { nodeId: 'n2', text: 'Paris.' },
        { nodeId: 'n3', text: 'Paris. It is' },
      ],
      rule,
    );
    expect(j.verdicts.map((v) => v.passed)).toEqual([true, true, false]);
  });
});

describe('probe prompts: ordinary requests, fresh every round, deterministic for a seed', () => {
  it('the same seed gives the same probe; seeds give many different prompts, max_tokens among common values', () => {
    expect(probeRequest(42, 64)).toEqual(probeRequest(42, 64));
    const prompts = new Set(Array.from({ length: 2_000 }, (_, i) => JSON.stringify(probeRequest(i, 512).messages)));
    const maxTokens = new Set(Array.from({ length: 2_000 }, (_, i) => probeRequest(i, 64).maxTokens));
    console.log(`2,000 seeds → ${prompts.size} distinct prompts; max_tokens ∈ {${[...maxTokens].sort((a, b) => a - b).join(', ')}}`);
    expect(prompts.size).toBeGreaterThan(1_900);
    expect([...maxTokens].every((m) => m <= 64)).toBe(true);
  });

  it('the body passes the gateway’s own request checks: temperature 0, a seed, streamed with usage', () => {
    const probe = probeRequest(7, 64);
    const request = readInferenceRequest('/v1/chat/completions', probeBody('llama3:8b', probe), DEFAULT_REQUEST_LIMITS);
    const sent = JSON.parse(request.upstreamBody.toString()) as Record<string, unknown>;
    expect(sent).toMatchObject({ model: 'llama3:8b', temperature: 0, seed: probe.seed, stream: true, stream_options: { include_usage: true }, max_tokens: probe.maxTokens });
    expect(request.maxOutputTokens).toBe(probe.maxTokens);
  });
});
