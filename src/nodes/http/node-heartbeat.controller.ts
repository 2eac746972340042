import { Controller, HttpCode, Post, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { z } from 'zod';
import { OkResponse } from '../../platform/http/schema/responses';
import { ValidBody } from '../../platform/http/schema/valid';
import { AuthenticatedNode, NodesService } from '../nodes.service';
import { HeartbeatAnswer, HeartbeatBody } from './nodes.schemas';
import { CurrentNode, NodeTokenGuard } from './node-token.guard';

/**
 * The node agent's heartbeat (Bearer node token). Stored in Redis with a TTL, not as an event.
 * The answer carries the secret the gateway will present to the agent, so the agent learns it
 * over this authenticated channel only.
 */
@ApiTags('nodes')
@ApiBearerAuth()
@Controller('nodes')
export class NodeHeartbeatController {
  constructor(private readonly nodes: NodesService) {}

  @Post('heartbeat')
  @HttpCode(200)
  @UseGuards(NodeTokenGuard)
  @ApiOperation({ summary: 'Node agent heartbeat: { models: [ids ready], inFlight, queueDepth }.' })
  @OkResponse(HeartbeatAnswer, 'Recorded; what the agent needs (no-store).')
  @ApiResponse({ status: 400, description: 'invalid_body' })
  @ApiResponse({ status: 401, description: 'invalid_node_token: no node token (tg_node_…), or an unknown one.' })
  @ApiResponse({ status: 403, description: 'node_retired' })
  async heartbeat(
    @CurrentNode() node: AuthenticatedNode,
    @ValidBody(HeartbeatBody) body: z.infer<typeof HeartbeatBody>,
    @Res({ passthrough: true }) res: Response,
  ): Promise<z.infer<typeof HeartbeatAnswer>> {
    const answer = await this.nodes.heartbeat(node, { models: body.models, inFlight: body.inFlight ?? 0, queueDepth: body.queueDepth ?? 0 });
    res.setHeader('Cache-Control', 'no-store');
    return answer;
  }
}
