import { Body, Controller, Headers, HttpCode, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { NodesService } from '../nodes.service';
import { readHeartbeatBody } from './node-requests';

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
  @ApiOperation({ summary: 'Node agent heartbeat: { models: [ids ready], inFlight, queueDepth }.' })
  async heartbeat(@Headers('authorization') authorization: string | undefined, @Body() raw: unknown, @Res({ passthrough: true }) res: Response) {
    const node = await this.nodes.authenticate(authorization);
    const answer = await this.nodes.heartbeat(node, readHeartbeatBody(raw));
    res.setHeader('Cache-Control', 'no-store');
    return answer;
  }
}
