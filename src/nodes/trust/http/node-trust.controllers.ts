import { applyDecorators, Controller, Get, HttpCode, Module, Param, Post, Req } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { z } from 'zod';
import { commandContext } from '../../../platform/access/command-context';
import { CurrentPrincipal, SessionPrincipal } from '../../../platform/access/principal';
import { RoleRoutes } from '../../../platform/access/role-routes.decorator';
import { Roles } from '../../../platform/access/roles.decorator';
import { SessionsModule } from '../../../auth/sessions.module';
import { OkResponse } from '../../../platform/http/schema/responses';
import { ValidBody, ValidQuery } from '../../../platform/http/schema/valid';
import { NodeTrustModule } from '../node-trust.module';
import { NodeReviewsService, ReviewDecisionKind } from '../reputation/node-reviews.service';
import { NodeReputationQueries } from '../reputation/reputation.queries';
import { NodeReputationView, ReviewDecisionBody, ReviewDecisionView, ReviewList, ReviewsQuery } from './node-trust.schemas';

/** What both decisions answer: the decision, or why not. */
const DecisionResponses = () =>
  applyDecorators(
    OkResponse(ReviewDecisionView),
    ApiResponse({ status: 400, description: 'invalid_body: a reason is required.' }),
    ApiNotFoundResponse({ description: 'review_not_found.' }),
    ApiResponse({ status: 409, description: 'review_closed: the review was already decided the other way.' }),
  );

type Reputation = Promise<z.infer<typeof NodeReputationView>>;
type Decision = Promise<z.infer<typeof ReviewDecisionView>>;

/** A provider's view of their own node's record: day counts, never individual probe times (probes stay unrecognisable). */
@ApiTags('nodes')
@RoleRoutes(['provider'], 'Not a provider (providers join by invite).')
@Controller('provider/nodes')
export class ProviderNodeReputationController {
  constructor(private readonly reputation: NodeReputationQueries) {}

  @Get(':id/reputation')
  @ApiOperation({ summary: 'My node’s record for the last 30 days: probes, discrepancies by kind, reported vs counted tokens, error rate, latency, held earnings.' })
  @OkResponse(NodeReputationView)
  @ApiNotFoundResponse({ description: 'No such node of mine.' })
  get(@CurrentPrincipal() principal: SessionPrincipal, @Param('id') nodeId: string): Reputation {
    return this.reputation.view(principal.accountId, nodeId);
  }
}

/** Staff: node records, and the review of earnings held after an automatic suspension (every call audited, P11). */
@ApiTags('nodes')
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
  @OkResponse(NodeReputationView)
  @ApiNotFoundResponse({ description: 'No such node.' })
  get(@Param('id') nodeId: string): Reputation {
    return this.reputation.view(null, nodeId);
  }

  @Get('node-reviews')
  @Roles('admin', 'finance')
  @ApiOperation({ summary: 'Earnings held for review, newest first (at most 200); open ones with the amount they hold now.' })
  @OkResponse(ReviewList)
  @ApiResponse({ status: 400, description: 'invalid_query: an unknown status.' })
  list(@ValidQuery(ReviewsQuery) q: z.infer<typeof ReviewsQuery>): Promise<z.infer<typeof ReviewList>> {
    return this.reviews.list(q.status);
  }

  @Post('node-reviews/:reviewId/release')
  @HttpCode(200)
  @ApiOperation({ summary: 'The review found the earnings fair: { reason }. They become available for payout again.' })
  @DecisionResponses()
  release(
    @CurrentPrincipal() principal: SessionPrincipal,
    @Param('reviewId') reviewId: string,
    @ValidBody(ReviewDecisionBody) body: z.infer<typeof ReviewDecisionBody>,
    @Req() req: Request,
  ): Decision {
    return this.decide('release', principal, reviewId, body.reason, req);
  }

  @Post('node-reviews/:reviewId/claw-back')
  @HttpCode(200)
  @ApiOperation({ summary: 'The review found the earnings unearned: { reason }. A correcting entry takes them back (Dr provider, Cr platform:clawbacks).' })
  @DecisionResponses()
  clawBack(
    @CurrentPrincipal() principal: SessionPrincipal,
    @Param('reviewId') reviewId: string,
    @ValidBody(ReviewDecisionBody) body: z.infer<typeof ReviewDecisionBody>,
    @Req() req: Request,
  ): Decision {
    return this.decide('claw_back', principal, reviewId, body.reason, req);
  }

  private decide(decision: ReviewDecisionKind, principal: SessionPrincipal, reviewId: string, reason: string, req: Request): Decision {
    return this.reviews.decide(reviewId, decision, reason, commandContext(principal.accountId, req));
  }
}

/** API processes: the reputation and review routes. */
@Module({ imports: [NodeTrustModule, SessionsModule], controllers: [ProviderNodeReputationController, AdminNodeTrustController] })
export class NodeTrustHttpModule {}
