import { Module } from '@nestjs/common';
import { PriceBook } from './price-book';
import { PricesService } from './prices.service';

/** Model prices: setting them (events) and the hot path's in-memory price book. No timers, no routes. */
@Module({ providers: [PricesService, PriceBook], exports: [PricesService, PriceBook] })
export class PricingModule {}
