import { Inject, Injectable } from '@nestjs/common';
import { invalid } from '../../platform/errors/domain-error';
import { CommandContext } from '../../platform/event-sourcing/decider';
import { EVENT_STORE, EventStore } from '../../platform/event-store/event-store.port';
import { PERSONAL_DATA_VAULT, PersonalDataVault } from '../../platform/personal-data/personal-data.vault';
import { executeAccountCommand } from '../account-commands';
import { hashPassword, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../password';

export const DISPLAY_NAME_MAX = 100;
export const PICTURE_URL_MAX = 2_000;

export function checkProfile(displayName: string | null | undefined, picture: string | null | undefined): void {
  if ((displayName?.length ?? 0) > DISPLAY_NAME_MAX) throw invalid('invalid_display_name', `A display name is at most ${DISPLAY_NAME_MAX} characters.`);
  if ((picture?.length ?? 0) > PICTURE_URL_MAX) throw invalid('invalid_picture', 'The picture URL is too long.');
}

export function checkPassword(password: string): void {
  if (typeof password !== 'string' || password.length < PASSWORD_MIN_LENGTH || password.length > PASSWORD_MAX_LENGTH) {
    throw invalid('invalid_password', `A password is ${PASSWORD_MIN_LENGTH}..${PASSWORD_MAX_LENGTH} characters.`);
  }
}

/** A signed-in person's own profile (display name, picture) and password. */
@Injectable()
export class ProfileService {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PERSONAL_DATA_VAULT) private readonly vault: PersonalDataVault,
  ) {}

  async changePassword(accountId: string, password: string, context: CommandContext): Promise<void> {
    checkPassword(password);
    await executeAccountCommand(this.store, accountId, { type: 'ChangePassword', passwordHash: await hashPassword(password), at: context.occurredAt }, context);
  }

  async updateProfile(accountId: string, profile: { displayName?: string | null; picture?: string | null }, context: CommandContext): Promise<void> {
    if ((profile.displayName?.length ?? 0) > DISPLAY_NAME_MAX) throw invalid('invalid_display_name', `A display name is at most ${DISPLAY_NAME_MAX} characters.`);
    if ((profile.picture?.length ?? 0) > PICTURE_URL_MAX) throw invalid('invalid_picture', 'The picture URL is too long.');
    await executeAccountCommand(
      this.store,
      accountId,
      {
        type: 'UpdateProfile',
        displayName: profile.displayName === undefined ? undefined : await this.vault.sealOptional(accountId, profile.displayName?.trim() || null),
        picture: profile.picture === undefined ? undefined : await this.vault.sealOptional(accountId, profile.picture),
        at: context.occurredAt,
      },
      context,
    );
  }
}
