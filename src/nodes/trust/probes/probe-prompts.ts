/**
 * Probe prompts: everyday requests assembled from an opening, a template with its fillers and a
 * closing instruction by a seeded generator, so a node sees a fresh, ordinary-looking prompt every
 * time (about 460,000 distinct prompts, times the max_tokens values and seeds: a node cannot learn
 * "the probe set" and answer just those honestly). Every template is open-ended on purpose: two
 * different models agree on "What is 2 + 2?" but not on the first words of a short poem or an
 * explanation, which is what the comparison needs.
 */

const TOPICS = [
  'autumn leaves',
  'a lighthouse keeper',
  'the first day of school',
  'a city at night',
  'an old bicycle',
  'rain on a tin roof',
  'a forgotten library',
  'the ocean at dawn',
  'a busy train station',
  'a cup of coffee',
  'mountain hiking',
  'a lost umbrella',
  'the smell of bread',
  'a winter market',
  'a garden in spring',
  'a thunderstorm',
  'learning to swim',
  'a street musician',
  'an empty stadium',
  'a paper airplane',
  'the last bus home',
  "a neighbour's cat",
  'moving to a new town',
  'a broken clock',
  'fireflies in summer',
  'a desert road',
  'a quiet morning',
  'a birthday cake',
];
const CONCEPTS = [
  'compound interest',
  'photosynthesis',
  'how vaccines work',
  'the water cycle',
  'inflation',
  'public key cryptography',
  'how a bill becomes law',
  'supply and demand',
  'black holes',
  'the greenhouse effect',
  'how airplanes fly',
  'recursion in programming',
  'plate tectonics',
  'the immune system',
  'how batteries store energy',
  'machine learning',
  'the stock market',
  'DNS',
  'how bread rises',
  'why the sky is blue',
  'opportunity cost',
  'how GPS works',
  'the scientific method',
  'version control',
  'blood pressure',
  'electric motors',
  'how search engines rank pages',
];
const AUDIENCES = ['a ten-year-old', 'a busy executive', 'a first-year student', 'my grandmother', 'a new employee', 'a complete beginner', 'a curious teenager'];
const ACTIVITIES = [
  'a rainy weekend',
  'a team-building day',
  'a small birthday party',
  'learning a new language',
  'saving money on groceries',
  'a road trip',
  'staying focused while working from home',
  'a school science fair',
  'a first date',
  'decorating a small apartment',
  'starting a vegetable garden',
];
const THINGS = ['a reusable water bottle', 'a standing desk', 'a language-learning app', 'a pair of running shoes', 'a budget notebook', 'a home coffee grinder', 'a bike lock'];
const NAMES = ['Maya', 'Tom', 'Aisha', 'Lucas', 'Priya', 'Jonas', 'Elena', 'Kenji', 'Sara', 'Omar', 'Nina', 'Diego'];
const STYLES = ['formal', 'friendly', 'short', 'warm', 'polite', 'enthusiastic'];
const SYSTEMS = [null, null, null, 'You are a helpful assistant.', 'You are a concise assistant. Answer clearly.', 'You are a friendly writing assistant.'];
const OPENINGS = [
  '',
  '',
  '',
  'Quick question: ',
  'I need some help. ',
  'For a school project, ',
  'Hi! ',
  'I am writing a blog post. ',
  'Could you help me? ',
  'For my team newsletter, ',
];
const CLOSINGS = [
  '',
  '',
  '',
  ' Keep it short.',
  ' Use simple words.',
  ' Make it a little funny.',
  ' Please be specific.',
  ' Use a friendly tone.',
  ' No more than a paragraph.',
  ' Thanks!',
];

type Pick = <T>(items: readonly T[]) => T;
const TEMPLATES: ((pick: Pick, n: () => number) => string)[] = [
  (p) => `Write a haiku about ${p(TOPICS)}.`,
  (p) => `Write a short poem about ${p(TOPICS)}.`,
  (p) => `Explain ${p(CONCEPTS)} to ${p(AUDIENCES)}.`,
  (p) => `Explain ${p(CONCEPTS)} in three sentences.`,
  (p, n) => `Give me ${n()} ideas for ${p(ACTIVITIES)}.`,
  (p) => `Write a product description for ${p(THINGS)}.`,
  (p) => `Write a ${p(STYLES)} email to ${p(NAMES)} asking to move our meeting to next week.`,
  (p) => `Tell me a short story about ${p(NAMES)} and ${p(TOPICS)}.`,
  (p) => `Describe ${p(TOPICS)} in a few sentences.`,
  (p) => `What are the pros and cons of ${p(THINGS)}?`,
  (p) => `Summarize the main idea of ${p(CONCEPTS)} for a blog post introduction.`,
  (p) => `Write an opening line for a novel about ${p(TOPICS)}.`,
  (p, n) => `List ${n()} tips for ${p(ACTIVITIES)}.`,
  (p) => `Write a limerick about ${p(NAMES)} and ${p(THINGS)}.`,
  (p) => `How would you explain ${p(CONCEPTS)} using an analogy?`,
  (p) => `Write a ${p(STYLES)} thank-you note to ${p(NAMES)} for the help with ${p(ACTIVITIES)}.`,
];
const MAX_TOKENS_CHOICES = [32, 48, 64, 96, 128, 192, 256, 384, 512];

/** mulberry32: small, fast, good enough to pick words; seeded, so a probe can be regenerated in a test. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export interface ProbeRequest {
  messages: { role: 'system' | 'user'; content: string }[];
  /** Chosen among common values up to the configured bound. */
  maxTokens: number;
  /** Sent with temperature 0 so honest engines answer deterministically. */
  seed: number;
}

/** The probe for one round of one model (every node serving it gets the same one). */
export function probeRequest(seed: number, maxTokensBound: number): ProbeRequest {
  const random = seededRandom(seed);
  const pick: Pick = (items) => items[Math.floor(random() * items.length)];
  const template = pick(TEMPLATES);
  const body = template(pick, () => 3 + Math.floor(random() * 5));
  const opening = pick(OPENINGS);
  const user = `${opening}${opening ? body[0].toLowerCase() + body.slice(1) : body}${pick(CLOSINGS)}`;
  const system = pick(SYSTEMS);
  const choices = MAX_TOKENS_CHOICES.filter((m) => m <= maxTokensBound);
  return {
    messages: system
      ? [
          { role: 'system', content: system },
          { role: 'user', content: user },
        ]
      : [{ role: 'user', content: user }],
    maxTokens: choices.length > 0 ? pick(choices) : maxTokensBound,
    seed: Math.floor(random() * 2_147_483_647),
  };
}

/** The chat completion body a client would send (the gateway's own checks and additions apply to it). */
export function probeBody(model: string, probe: ProbeRequest): Buffer {
  return Buffer.from(JSON.stringify({ model, messages: probe.messages, max_tokens: probe.maxTokens, temperature: 0, seed: probe.seed, stream: true }));
}
