import { Body, Controller, Get, HttpCode, Module, Param, Post, Query, Req } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { commandContext } from '../../../auth/command-context';
import { CurrentPrincipal, SessionPrincipal } from '../../../auth/principal';
import { RoleRoutes } from '../../../auth/role-routes.decorator';
import { Roles } from '../../../auth/roles.decorator';
import { SessionsModule } from '../../../auth/sessions.module';
import { objectBody, requiredString } from '../../../platform/http/request-body';
import { queryString } from '../../../ledger/http/query-params';
import { PAYOUT_REASON_MAX } from '../../../payouts/payout.decide';
import { NodeTrustModule } from '../node-trust.module';
import { NodeReviewsService, ReviewDecisionKind, ReviewDecisionResult } from '../reputation/node-reviews.service';
import { NodeReputationQueries, NodeReputationView, ReviewView } from '../reputation/reputation.queries';

/** A provider's view of their own node's record: day counts, never individual probe times (probes stay unrecognisable). */
@ApiTags('provider')
@RoleRoutes(['provider'], 'Not a provider (providers join by invite).')
@Controller('provider/nodes')
export class ProviderNodeReputationController {
  constructor(private readonly reputation: NodeReputationQueries) {}

  @Get(':id/reputation')
  @ApiOperation({ summary: 'My node’s record for the last 30 days: probes, discrepancies by kind, reported vs counted tokens, error rate, latency, held earnings.' })
  @ApiNotFoundResponse({ description: 'No such node of mine.' })
  get(@CurrentPrincipal() principal: SessionPrincipal, @Param('id') nodeId: string): Promise<NodeReputationView> {
    return this.reputation.view(principal.accountId, nodeId);
  }
}

/** Staff: node records, and the review of earnings held after an automatic suspension (every call audited, P11). */
@ApiTags('admin')
@RoleRoutes(['admin'], 'Lacks the role.')
@Controller('admin')
export class AdminNodeTrustController {
  constructor(
    private readonly reputation: NodeReputationQueries,
    private readonly reviews: NodeReviewsService,
  ) {}

  @Get('nodes/:id/reputation')
  @Roles('admin', 'finance', 'support')
  @ApiOperation({ summary: 'A node’s record, with each failed probe and discrepancy of the last 31 days (metadata only).' })
  get(@Param('id') nodeId: string): Promise<NodeReputationView> {
    return this.reputation.view(null, nodeId);
  }

  @Get('node-reviews')
  @Roles('admin', 'finance')
  @ApiOperation({ summary: 'Earnings held for review, newest first (at most 200); open ones with the amount they hold now.' })
  @ApiQuery({ name: 'status', required: false, enum: ['open', 'released', 'clawed_back'] })
  list(@Query() q: Record<string, unknown>): Promise<ReviewView[]> {
    return this.reviews.list(queryString(q.status, 'status', 20));
  }

  @Post('node-reviews/:reviewId/release')
  @HttpCode(200)
  @ApiOperation({ summary: 'The review found the earnings fair: { reason }. They become available for payout again.' })
  release(@CurrentPrincipal() principal: SessionPrincipal, @Param('reviewId') reviewId: string, @Body() raw: unknown, @Req() req: Request): Promise<ReviewDecisionResult> {
    return this.decide('release', principal, reviewId, raw, req);
  }

  @Post('node-reviews/:reviewId/claw-back')
  @HttpCode(200)
  @ApiOperation({ summary: 'The review found the earnings unearned: { reason }. A correcting entry takes them back (Dr provider, Cr platform:clawbacks).' })
  clawBack(@CurrentPrincipal() principal: SessionPrincipal, @Param('reviewId') reviewId: string, @Body() raw: unknown, @Req() req: Request): Promise<ReviewDecisionResult> {
    return this.decide('claw_back', principal, reviewId, raw, req);
  }

  private decide(decision: ReviewDecisionKind, principal: SessionPrincipal, reviewId: string, raw: unknown, req: Request): Promise<ReviewDecisionResult> {
    const reason = requiredString(objectBody(raw, ['reason']), 'reason', 1, PAYOUT_REASON_MAX);
    return this.reviews.decide(reviewId, decision, reason, commandContext(principal.accountId, req));
  }
}

/** API processes: the reputation and review routes. */
@Module({ imports: [NodeTrustModule, SessionsModule], controllers: [ProviderNodeReputationController, AdminNodeTrustController] })
export class NodeTrustHttpModule {}
