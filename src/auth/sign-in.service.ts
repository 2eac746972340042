import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { now } from '../accounts/accounts.service';
import { EVENT_STORE, EventStore } from '../event-store/event-store.port';
import { PERSONAL_DATA_VAULT, PersonalDataVault } from '../personal-data/personal-data.vault';
import { ClientInfo } from './client-info';
import { SignInResult } from './principal';
import { SignInEvent, signInStream } from './sign-in.events';
import { IssuedSession, SessionsService } from './sessions.service';

/** The common end of every sign-in method: record the sign-in, then start a session. */
@Injectable()
export class SignInService {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PERSONAL_DATA_VAULT) private readonly vault: PersonalDataVault,
    private readonly sessions: SessionsService,
  ) {}

  async complete(result: SignInResult, client: ClientInfo): Promise<IssuedSession> {
    const at = now();
    const event: SignInEvent = {
      type: 'SignedIn',
      data: {
        method: result.method,
        ip: await this.vault.sealOptional(result.accountId, client.ip),
        userAgent: await this.vault.sealOptional(result.accountId, client.userAgent),
        signedInAt: at,
      },
    };
    // 'any': an append-only log with no invariant to protect, so concurrent sign-ins never conflict.
    await this.store.append(signInStream(result.accountId), [{ id: randomUUID(), type: event.type, data: event.data, metadata: { actorId: result.accountId, occurredAt: at } }], 'any');
    return this.sessions.start(result.accountId, result.method);
  }
}
