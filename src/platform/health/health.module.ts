import { Global, Module } from '@nestjs/common';
import { HealthController } from './health.controller';
import { LIFECYCLE, Lifecycle } from './lifecycle';

@Global()
@Module({
  controllers: [HealthController],
  providers: [{ provide: LIFECYCLE, useValue: new Lifecycle() }],
  exports: [LIFECYCLE],
})
export class HealthModule {}
