import { base62 } from '../api-keys/api-key.format';

/**
 * `tg_node_<nodeId>_<secret>`: the node id (12 base62 chars) names the node everywhere; the
 * secret (32 base62 chars, ≈ 190 bits) is shown once and only its keyed hash is stored.
 */
export const NODE_ID_PATTERN = /^[0-9A-Za-z]{12}$/;
const NODE_TOKEN_PATTERN = /^tg_node_([0-9A-Za-z]{12})_([0-9A-Za-z]{32})$/;

export function generateNodeToken(): { nodeId: string; token: string } {
  const nodeId = base62(12);
  return { nodeId, token: `tg_node_${nodeId}_${base62(32)}` };
}

/** The node id of a well-formed token, or null (refused before any lookup). */
export function parseNodeToken(value: string): { nodeId: string } | null {
  const match = NODE_TOKEN_PATTERN.exec(value);
  return match ? { nodeId: match[1] } : null;
}

/**
 * The endpoint of a node that only ever connects through its tunnel (`--tunnel`, behind NAT): it has
 * no address, so nothing dials it; requests reach it only while its tunnel is open.
 */
export const TUNNEL_ONLY_ENDPOINT = 'tunnel:';
