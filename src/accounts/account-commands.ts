import { CommandContext } from '../platform/event-sourcing/decider';
import { handleCommand } from '../platform/event-sourcing/command-handler';
import { EventStore } from '../platform/event-store/event-store.port';
import { AccountCommand, accountDecider } from './account.decide';
import { accountStream } from './account.events';

/** Every account use case appends through here: the command, decided on the account's stream. */
export async function executeAccountCommand(store: EventStore, accountId: string, command: AccountCommand, context: CommandContext): Promise<void> {
  await handleCommand(store, accountStream(accountId), accountDecider, command, context);
}
