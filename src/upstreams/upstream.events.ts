import { DomainEvent } from '../platform/event-sourcing/decider';

/** A model an upstream serves: our model id (what clients ask for) → the vendor's name for it. */
export type UpstreamModel = {
  id: string;
  /** The vendor's model id; null = the same as ours. */
  vendorModel: string | null;
};

export type UpstreamStatus = 'active' | 'retired';

/**
 * Stream `upstream-{upstreamId}`: an OpenAI-compatible API vendor the router may send requests to,
 * beside community nodes. The vendor's API key is never in an event: it is sealed in
 * `upstream_credentials` and events carry only its version number (which rotation bumps).
 * Vendor costs are versioned like prices: a version applies from its effectiveAt, never retroactively.
 */
export type UpstreamEvent =
  | DomainEvent<'UpstreamRegistered', { upstreamId: string; name: string; baseUrl: string; models: UpstreamModel[]; keyVersion: number; registeredAt: string }>
  | DomainEvent<'UpstreamKeyRotated', { upstreamId: string; keyVersion: number; rotatedAt: string }>
  | DomainEvent<'UpstreamModelsUpdated', { upstreamId: string; models: UpstreamModel[]; updatedAt: string }>
  | DomainEvent<
      'UpstreamCostSet',
      {
        upstreamId: string;
        model: string;
        version: number;
        inputMicroUsdPerMTok: string;
        outputMicroUsdPerMTok: string;
        perImageMicroUsd: string | null;
        effectiveAt: string;
        setAt: string;
      }
    >
  | DomainEvent<'UpstreamRetired', { upstreamId: string; retiredAt: string }>;

export const UPSTREAM_STREAM_PREFIX = 'upstream-';
export const upstreamStream = (upstreamId: string) => `${UPSTREAM_STREAM_PREFIX}${upstreamId}`;

/** `up_` + 12 base62: never a community node id (12 base62), so usage rows and ledger accounts tell them apart. */
export const UPSTREAM_ID_PATTERN = /^up_[0-9A-Za-z]{12}$/;
export const isUpstreamId = (nodeId: string | null | undefined): boolean => typeof nodeId === 'string' && nodeId.startsWith('up_');
