import { CanActivate, createParamDecorator, ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { AuthenticatedNode, NodesService } from '../nodes.service';

const NODE = Symbol('authenticatedNode');
type NodeRequest = Request & { [NODE]?: AuthenticatedNode };

/**
 * A node agent's Bearer node token → the node. A guard, so it runs before the body's schema: a
 * caller without a valid token learns 401, never what a body should look like.
 */
@Injectable()
export class NodeTokenGuard implements CanActivate {
  constructor(private readonly nodes: NodesService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<NodeRequest>();
    req[NODE] = await this.nodes.authenticate(req.headers.authorization);
    return true;
  }
}

/** The node NodeTokenGuard authenticated. */
export const CurrentNode = createParamDecorator((_data: unknown, ctx: ExecutionContext): AuthenticatedNode => {
  const node = ctx.switchToHttp().getRequest<NodeRequest>()[NODE];
  if (!node) throw new Error('CurrentNode used on a route without NodeTokenGuard'); // programmer error
  return node;
});
