/** A vendor's cost of a model from one instant (a version of `UpstreamCostSet`), in micro-USD. */
export interface VendorCost {
  model: string;
  version: number;
  inputMicroUsdPerMTok: bigint;
  outputMicroUsdPerMTok: bigint;
  perImageMicroUsd: bigint | null;
  effectiveAt: string;
}

/**
 * What the gateway needs to send a request to an upstream API vendor instead of a node agent, and
 * to book what the vendor charges us. Present on a routed node only when it is an upstream, so
 * requests served by community nodes carry nothing more.
 */
export interface UpstreamRoute {
  upstreamId: string;
  /** Our model id → the vendor's, only where they differ. */
  vendorModels: ReadonlyMap<string, string>;
  /** Per model, versions ascending by effective time, then version. */
  costs: ReadonlyMap<string, readonly VendorCost[]>;
}

/** The vendor's cost in force at an instant (same rule as prices); null = none set (booked as zero). */
export function vendorCostAt(route: UpstreamRoute, model: string, atMs: number): VendorCost | null {
  const versions = route.costs.get(model);
  if (!versions) return null;
  for (let i = versions.length - 1; i >= 0; i--) if (Date.parse(versions[i].effectiveAt) <= atMs) return versions[i];
  return null;
}
