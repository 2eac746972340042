import { Module } from '@nestjs/common';
import { SessionsModule } from '../../auth/sessions.module';
import { AdminKycController } from './admin-kyc.controller';
import { KycModule } from './kyc.module';
import { MeKycController } from './me-kyc.controller';

/** API processes: PUT/GET /me/kyc and the staff routes. */
@Module({ imports: [KycModule, SessionsModule], controllers: [MeKycController, AdminKycController] })
export class KycHttpModule {}
