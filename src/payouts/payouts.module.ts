import { Module } from '@nestjs/common';
import { PayoutQueries } from './payout.queries';
import { PayoutsService } from './payouts.service';

/** Provider payouts: write side and read side, for every process role (the CLI lists them too). */
@Module({
  providers: [PayoutsService, PayoutQueries],
  exports: [PayoutsService, PayoutQueries],
})
export class PayoutsModule {}
