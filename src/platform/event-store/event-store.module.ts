import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG } from '../config/config';
import { PG_POOL } from '../database/database.module';
import { createEventStore } from './create-event-store';
import { EVENT_STORE, EventStore } from './event-store.port';

@Global()
@Module({
  providers: [{ provide: EVENT_STORE, inject: [APP_CONFIG, PG_POOL], useFactory: createEventStore }],
  exports: [EVENT_STORE],
})
export class EventStoreModule implements OnApplicationShutdown {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}
