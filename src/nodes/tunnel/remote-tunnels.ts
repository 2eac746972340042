import Redis from 'ioredis';
import { AppConfig } from '../../platform/config/config';
import { Secrets } from '../../platform/security/secrets';
import { TunnelDirectory } from './tunnel-directory';
import { RelayClient } from './tunnel-relay';
import type { TunnelRequest, TunnelResponse } from './tunnel-sessions';

/** The relay hop's shared secret: TUNNEL_RELAY_SECRET, else derived from APP_SECRET (shared by every instance anyway). */
export function relaySecret(config: AppConfig, secrets: Secrets): string {
  return config.nodes.tunnel.relaySecret ?? secrets.hash('tunnel-relay', 'v1');
}

/**
 * Tunnels held by other processes, reached over the relay hop: what an API instance uses for a
 * node tunnelled elsewhere, and what the worker's prober uses for every tunnelled node (it holds
 * none). null = nobody holds a tunnel to that node (send to its URL).
 */
export class RemoteTunnels {
  private readonly directory: TunnelDirectory;
  private readonly relay: RelayClient;

  constructor(
    redis: Redis,
    config: AppConfig,
    secrets: Secrets,
    /** This process's own instance id (its tunnels are served locally, never relayed to itself). */
    private readonly selfId: string | null = null,
  ) {
    this.directory = new TunnelDirectory(redis, config.nodes.tunnel.holderTtlMs);
    this.relay = new RelayClient(relaySecret(config, secrets));
  }

  get holders(): TunnelDirectory {
    return this.directory;
  }

  /**
   * A tunnel that moved (the agent reconnected to another instance) is looked up again at once
   * rather than after the 1 s cache: the old holder answers "not here" before anything reached the
   * node, so the request is sent once more to the new holder (a body that is a stream cannot be
   * replayed and gets the 503, which fails over). Not a node failure: the node never saw it.
   */
  async send(nodeId: string, req: TunnelRequest, signal: AbortSignal): Promise<TunnelResponse | null> {
    for (let attempt = 0; ; attempt++) {
      // Redis unreadable: a node with a URL is still served there (a tunnel-only one fails over as usual).
      const holder = await this.directory.holder(nodeId).catch(() => null);
      if (!holder || holder.instanceId === this.selfId) return null;
      let res: Awaited<ReturnType<RelayClient['send']>>;
      try {
        res = await this.relay.send(holder.relayUrl, nodeId, req, signal);
      } catch (err) {
        this.directory.forget(nodeId); // moved or gone: ask Redis again on the next request
        throw err;
      }
      if (!res.missed) return res;
      this.directory.forget(nodeId);
      if (attempt >= 1 || !(req.body === null || Buffer.isBuffer(req.body))) return res;
      await res.discard();
    }
  }

  close(): Promise<void> {
    return this.relay.close();
  }
}
