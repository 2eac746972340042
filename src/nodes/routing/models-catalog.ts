import { Injectable } from '@nestjs/common';
import { NodeLiveness } from './node-liveness';
import { NodeRegistry } from './node-registry';

export interface LiveModel {
  id: string;
  ownedBy: string;
  /** The smallest context any live node serving it states (a request may land on any of them); null = none stated. */
  contextLength: number | null;
}

/** How long one answer is reused: `GET /v1/models` is polled by clients, liveness changes in seconds. */
const CACHE_MS = 1_000;
export const OWNED_BY = 'tollgate';

/** Models that at least one approved node with a live heartbeat reports ready. */
@Injectable()
export class ModelsCatalog {
  private cached: { atMs: number; models: Promise<LiveModel[]> } | null = null;

  constructor(
    private readonly registry: NodeRegistry,
    private readonly liveness: NodeLiveness,
  ) {}

  liveModels(): Promise<LiveModel[]> {
    if (this.cached && Date.now() - this.cached.atMs < CACHE_MS) return this.cached.models;
    const models = this.load();
    this.cached = { atMs: Date.now(), models };
    models.catch(() => (this.cached = null));
    return models;
  }

  private async load(): Promise<LiveModel[]> {
    const snapshot = await this.registry.snapshot();
    const approved = new Set<string>();
    for (const nodes of snapshot.approvedByModel.values()) for (const n of nodes) approved.add(n.nodeId);
    const heartbeats = await this.liveness.heartbeats([...approved]);
    const out: LiveModel[] = [];
    for (const [model, nodes] of snapshot.approvedByModel) {
      const live = nodes.filter((n) => heartbeats.get(n.nodeId)?.models.includes(model));
      if (live.length === 0) continue;
      const lengths = live.map((n) => n.contextLengths.get(model)).filter((l): l is number => typeof l === 'number');
      out.push({ id: model, ownedBy: OWNED_BY, contextLength: lengths.length > 0 ? Math.min(...lengths) : null });
    }
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }
}
