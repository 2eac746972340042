import { htmlMail, RenderedMail, textMail } from './layout';

/** An operational alert (category node-status): optional, so it names how to turn it off. */
export function nodeOfflineMail(input: { nodeName: string; nodeId: string; since: string; minutes: number; settingsUrl: string }): RenderedMail {
  const title = `Your node ${input.nodeName} is offline`;
  const paragraphs = [
    `Node ${input.nodeName} (${input.nodeId}) has been offline since ${input.since} (more than ${input.minutes} minutes: no heartbeat reached the gateway) and receives no requests until it is back.`,
    'Check that the node agent is running and can reach the gateway. It rejoins on its own at its next heartbeat; you will not be mailed again about this outage.',
  ];
  const why = 'You received this because you provide GPU nodes on Tollgate and node status alerts are on. Turn them off in your notification settings.';
  const action = { label: 'Notification settings', url: input.settingsUrl };
  return { subject: title, text: textMail(paragraphs, action, why), html: htmlMail(title, paragraphs, action, why) };
}
