import { Module } from '@nestjs/common';
import { SessionsModule } from '../../auth/sessions.module';
import { PolicyVersionsModule } from '../legal.module';
import { AdminLegalController, LegalController } from './legal.controller';

/** /legal/* (public) and the admin's publishing route. */
@Module({ imports: [PolicyVersionsModule, SessionsModule], controllers: [LegalController, AdminLegalController] })
export class LegalHttpModule {}
