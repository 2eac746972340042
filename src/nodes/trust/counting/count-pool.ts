import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { CountAnswer, CountJob } from './count-worker';

/**
 * Worker threads that tokenize relayed output, so counting never runs on the event loop that
 * relays responses. At most `queueMax` jobs wait or run at once: `submit` answers null at once
 * when full (the caller drops that response and counts the drop). A crashed worker fails its
 * jobs and is replaced on the next submit. Workers are started on first use.
 */
export class CountPool {
  private readonly workers: (Worker | null)[];
  private readonly pending = new Map<number, { worker: number; resolve: (answer: CountAnswer) => void }>();
  private nextId = 1;
  private next = 0;
  private closed = false;

  constructor(private readonly options: { workers: number; queueMax: number }) {
    this.workers = Array.from({ length: options.workers }, () => null);
  }

  get size(): number {
    return this.pending.size;
  }

  /** The bytes are transferred to the worker (this side can no longer read them). */
  submit(job: Omit<CountJob, 'id'>): Promise<CountAnswer> | null {
    if (this.closed || this.pending.size >= this.options.queueMax) return null;
    const index = this.next;
    this.next = (this.next + 1) % this.workers.length;
    const worker = this.workers[index] ?? this.spawn(index);
    const id = this.nextId++;
    return new Promise<CountAnswer>((resolve) => {
      this.pending.set(id, { worker: index, resolve });
      worker.postMessage({ ...job, id } satisfies CountJob, [job.bytes.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const workers = this.workers.splice(0).filter((w): w is Worker => w !== null);
    await Promise.all(workers.map((w) => w.terminate()));
    this.failAll(null);
  }

  private spawn(index: number): Worker {
    // Under ts-node or jest the worker is TypeScript: register ts-node inside the new thread first.
    const file = join(__dirname, `count-worker${extname(__filename)}`);
    const worker = file.endsWith('.ts') ? new Worker(`require('ts-node').register({ transpileOnly: true }); require(${JSON.stringify(file)});`, { eval: true }) : new Worker(file);
    worker.unref();
    worker.on('message', (answer: CountAnswer) => {
      const waiting = this.pending.get(answer.id);
      if (!waiting) return;
      this.pending.delete(answer.id);
      waiting.resolve(answer);
    });
    const gone = () => {
      if (this.workers[index] === worker) this.workers[index] = null;
      this.failAll(index);
    };
    worker.on('error', gone);
    worker.on('exit', gone);
    this.workers[index] = worker;
    return worker;
  }

  private failAll(worker: number | null): void {
    for (const [id, waiting] of this.pending) {
      if (worker !== null && waiting.worker !== worker) continue;
      this.pending.delete(id);
      waiting.resolve({ id, error: 'worker_failed' });
    }
  }
}
