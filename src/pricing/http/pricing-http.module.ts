import { Module } from '@nestjs/common';
import { SessionsModule } from '../../auth/sessions.module';
import { PricingModule } from '../pricing.module';
import { AdminPricesController, PricingController } from './pricing.controller';

@Module({ imports: [PricingModule, SessionsModule], controllers: [PricingController, AdminPricesController] })
export class PricingHttpModule {}
