import { CommandContext } from '../event-sourcing/decider';
import { handleCommand } from '../event-sourcing/command-handler';
import { EventStore } from '../event-store/event-store.port';
import { AccountCommand, accountDecider } from './account.decide';
import { accountStream } from './account.events';

/** Every account use case appends through here: the command, decided on the account's stream. */
export async function executeAccountCommand(store: EventStore, accountId: string, command: AccountCommand, context: CommandContext): Promise<void> {
  await handleCommand(store, accountStream(accountId), accountDecider, command, context);
}
