import type { Socket } from 'node:net';
import type Redis from 'ioredis';

/**
 * Returns `hold()`: the commands sent on `redis` from now until the end of this event-loop turn
 * leave in one socket write instead of one write each. A write on loopback is where a request's
 * CPU went (the kernel delivers it and wakes Redis inside the sender's syscall): the gateway sent
 * seven writes to Redis per streamed request, one per command (docs/benchmarks.md, "Gateway").
 * ioredis's own auto-pipelining does the same batching but was measured to cost more user CPU than
 * it saves; corking the socket costs nothing. The batch is released in the check phase of the same
 * loop turn (setImmediate), after every callback ready in this turn has run, so a command waits at
 * most for the work already queued ahead of it. Anything other than a plain connected client (a
 * Cluster, a client that is reconnecting) is left alone.
 */
export function tickWriteBatcher(redis: Redis): () => void {
  let held: Socket | null = null;
  const release = () => {
    const socket = held;
    held = null;
    socket?.uncork();
  };
  return () => {
    if (held || redis.status !== 'ready') return;
    const socket = (redis as unknown as { stream?: Socket }).stream;
    if (!socket || typeof socket.cork !== 'function') return;
    held = socket;
    socket.cork();
    setImmediate(release);
  };
}
