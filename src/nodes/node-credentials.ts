import { Secrets } from '../platform/security/secrets';

/**
 * The secret the gateway presents to a node agent (`Authorization: Bearer …`), derived — never
 * stored — from the node id and its token's hash under a key of APP_SECRET. Only the gateway can
 * compute it; the agent learns it in the answer to its own authenticated heartbeat. Deriving it
 * from the token hash means that a new node token would also change it.
 */
export function proxySecret(secrets: Secrets, nodeId: string, tokenHash: string): string {
  return secrets.hash('node-proxy', `${nodeId}.${tokenHash}`);
}

export function hashNodeToken(secrets: Secrets, token: string): string {
  return secrets.hash('node-token', token);
}
