import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { AccessTokens } from './access-tokens';
import { RolesGuard } from '../platform/access/roles.guard';
import { SessionGuard } from '../platform/access/session.guard';
import { SessionStore } from './session-store';
import { SessionStrategy } from './session.strategy';
import { SessionsService } from './sessions.service';

/** Sessions and the guards of dashboard routes; imported by every module with signed-in routes. */
@Module({
  imports: [AccountsModule],
  providers: [AccessTokens, SessionStore, SessionsService, SessionStrategy, SessionGuard, RolesGuard],
  exports: [SessionsService, SessionGuard, RolesGuard],
})
export class SessionsModule {}
