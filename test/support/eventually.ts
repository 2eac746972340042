/**
 * The one polling helper of the suite (projections, the balance feeder, queues and subscribers are
 * asynchronous). `eventually` retries a check until it stops throwing and reports the last failure;
 * `waitFor` retries a probe until it answers something truthy, and returns that.
 */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 10_000, intervalMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }
}

type Falsy = null | undefined | false | 0 | '';

/** Polls `probe` (every `everyMs`) until it answers a truthy value; fails naming `what` after `timeoutMs`. */
export async function waitFor<T>(probe: () => T | Falsy | Promise<T | Falsy>, timeoutMs: number, what: string, everyMs = 5): Promise<T> {
  return eventually(
    async () => {
      const value = await probe();
      if (!value) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      return value as T;
    },
    timeoutMs,
    everyMs,
  );
}

/**
 * Awaits `work`, failing with `what` named when it takes longer than `timeoutMs`: a test that
 * stalls then says where, instead of jest's bare "Exceeded timeout" at the test's first line.
 */
export async function within<T>(what: string, timeoutMs: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still waiting after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
