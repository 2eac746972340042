import { Global, Module } from '@nestjs/common';
import { USAGE_MONEY_EVENTS, UsageMoneyEvents } from '../ledger/spending/usage-money-events';
import { USAGE_DAY_SUMMARIZED } from './usage-summary';
import { USAGE_STREAM_PREFIX } from './usage.events';

const usageMoneyEvents: UsageMoneyEvents = { streamPrefix: USAGE_STREAM_PREFIX, daySummaryType: USAGE_DAY_SUMMARIZED };

/**
 * What ledger/ needs of metering's events (the balance feeder follows the usage streams), under the
 * token ledger/ declares. Global because ledger/ cannot import a metering module without a ring of
 * folders (issue 21); app.module imports it for every role.
 */
@Global()
@Module({ providers: [{ provide: USAGE_MONEY_EVENTS, useValue: usageMoneyEvents }], exports: [USAGE_MONEY_EVENTS] })
export class MeteringPortsModule {}
