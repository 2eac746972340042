/** A queue whose depth the worker's `tollgate_queue_jobs` gauge reports; its owner adds and removes it. */
export interface WatchedQueue {
  name: string;
  counts(...states: string[]): Promise<Record<string, number>>;
}

export const watchedQueues = new Set<WatchedQueue>();
