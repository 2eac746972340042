import { Module } from '@nestjs/common';
import { UsageQueries } from '../../dashboards/usage.queries';
import { PayoutsModule } from '../../payouts/payouts.module';
import { NodesModule } from '../nodes.module';
import { NodeReviewsService } from './reputation/node-reviews.service';
import { NodeReputationQueries } from './reputation/reputation.queries';

/** Node reputation and the review of held earnings: services for every role (the CLI decides reviews too). */
@Module({
  imports: [NodesModule, PayoutsModule],
  providers: [NodeReputationQueries, NodeReviewsService, UsageQueries],
  exports: [NodeReputationQueries, NodeReviewsService],
})
export class NodeTrustModule {}
