/**
 * An in-memory stand-in for an EventStoreDB node that speaks its real gRPC protocol (the
 * Streams service, as @eventstore/db-client v6 uses it), so the adapter is tested through the
 * real client without a server.
 *
 * Implemented: Streams.Append (expected revision any / no_stream / stream_exists / revision,
 * wrong expected version in-band, idempotency by event id), Streams.Read (stream reads and
 * $all reads in both directions, stream and $all catch-up subscriptions with stream-name /
 * event-type filters by prefix or regex, caught_up), stream metadata's truncate-before ($tb)
 * on stream reads (metadata is an ordinary `$metadata` event in `$$stream`, as on the server).
 * Not implemented: BatchAppend, Delete, Tombstone (UNIMPLEMENTED), ServerFeatures (not
 * registered: grpc answers UNIMPLEMENTED, which the client takes as "no optional features",
 * so it appends with Streams.Append), checkpoints and fell_behind in subscriptions,
 * link resolution, other stream metadata ($maxAge, $maxCount, ACLs), authentication, TLS, gossip, persistent subscriptions,
 * projections.
 */
import { Server, ServerCredentials, UntypedServiceImplementation } from '@grpc/grpc-js';
import { StreamsService } from '@eventstore/db-client/generated/streams_grpc_pb';
import { StandInLog } from './standin-log';
import { appendHandler } from './standin-append';
import { readHandler } from './standin-read';

export interface EventStoreDbStandIn {
  readonly port: number;
  /** `esdb://127.0.0.1:PORT?tls=false`: a single insecure node, no gossip. */
  readonly connectionString: string;
  readonly log: StandInLog;
  /** Drops every connection and call, like a crashed node; the data survives. */
  stop(): Promise<void>;
  /** Serves the same data on the same port again. */
  start(): Promise<void>;
}

export interface StandInOptions {
  /** Write a system event first, as a real node has them at the start of $all. Default true. */
  seedSystemEvents?: boolean;
}

const REBIND_ATTEMPTS = 20;
const REBIND_DELAY_MS = 25;

export async function startEventStoreDbStandIn(options: StandInOptions = {}): Promise<EventStoreDbStandIn> {
  const log = new StandInLog();
  if (options.seedSystemEvents ?? true) {
    log.append('$scavenges', { kind: 'any' }, [
      {
        id: '00000000-0000-4000-8000-000000000001',
        type: '$scavengeIndexInitialized',
        contentType: 'application/json',
        data: Buffer.from('{}'),
        customMetadata: new Uint8Array(),
      },
    ]);
  }
  const standIn = new StandIn(log);
  await standIn.start();
  return standIn;
}

class StandIn implements EventStoreDbStandIn {
  private server: Server | undefined;
  private boundPort = 0;

  constructor(readonly log: StandInLog) {}

  get port(): number {
    return this.boundPort;
  }

  get connectionString(): string {
    return `esdb://127.0.0.1:${this.boundPort}?tls=false`;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const server = new Server();
    const streams: UntypedServiceImplementation = { read: readHandler(this.log), append: appendHandler(this.log) };
    // Methods left out (batchAppend, delete, tombstone) are answered UNIMPLEMENTED by grpc-js.
    server.addService(StreamsService, streams);
    this.boundPort = await bindWithRetry(server, this.boundPort);
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.forceShutdown();
    // Let the listening socket's close complete before anyone rebinds the port.
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Port 0 picks a free port; a restart asks for the old one, which may take a moment to free. */
async function bindWithRetry(server: Server, port: number): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await new Promise<number>((resolve, reject) =>
        server.bindAsync(`127.0.0.1:${port}`, ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))),
      );
    } catch (err) {
      if (port === 0 || attempt >= REBIND_ATTEMPTS) throw err;
      await new Promise((resolve) => setTimeout(resolve, REBIND_DELAY_MS));
    }
  }
}
