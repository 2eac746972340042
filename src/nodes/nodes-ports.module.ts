import { Global, Module } from '@nestjs/common';
import { DISCREPANCY_EVENTS, DiscrepancyEvents } from '../metering/usage-discrepancies';
import { OFFLINE_NODES, OfflineNodes } from '../notifications/notices/node-offline-watch';
import { nodesOfflineSince } from './liveness/offline-nodes';
import { discrepancyItems } from './trust/usage-discrepancy-events';

// Typed here so that a change on either side fails to compile rather than at injection.
const discrepancyEvents: DiscrepancyEvents = discrepancyItems;
const offlineNodes: OfflineNodes = nodesOfflineSince;

/**
 * What capabilities below nodes/ need from it, under the tokens they declare: charge recovery
 * (metering) writes a charge's discrepancies as the node's trust events, and the outage mails
 * (notifications) read the nodes read model. Their modules cannot import a nodes module without
 * a ring of folders (issue 21), so this one is global, like NotificationsModule's outbox.
 */
@Global()
@Module({
  providers: [
    { provide: DISCREPANCY_EVENTS, useValue: discrepancyEvents },
    { provide: OFFLINE_NODES, useValue: offlineNodes },
  ],
  exports: [DISCREPANCY_EVENTS, OFFLINE_NODES],
})
export class NodesPortsModule {}
