import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { InferenceGateway } from './inference-gateway';

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Puts the gateway in front of Nest on the same server: its routes never enter Express or Nest
 * (no middleware, guards, pipes or interceptors per request); every other request goes on to
 * the listener Nest installed.
 */
export function attachGateway(server: Server, gateway: InferenceGateway): void {
  const nest = server.listeners('request') as Listener[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (gateway.handles(req)) void gateway.handle(req, res);
    else for (const listener of nest) listener.call(server, req, res);
  });
}
