import { Module } from '@nestjs/common';
import { SessionsModule } from '../../auth/sessions.module';
import { PrivacyModule } from '../privacy.module';
import { AdminDeletionController } from './admin-deletion.controller';
import { MeDataRightsController } from './me-data-rights.controller';

@Module({ imports: [PrivacyModule, SessionsModule], controllers: [MeDataRightsController, AdminDeletionController] })
export class PrivacyHttpModule {}
