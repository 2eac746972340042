import { Controller, Get, Post, Req } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { z } from 'zod';
import { commandContext } from '../../auth/command-context';
import { CurrentPrincipal, SessionPrincipal } from '../../auth/principal';
import { RoleRoutes } from '../../auth/role-routes.decorator';
import { ValidBody } from '../../platform/http/schema/valid';
import { ModelPrice, PriceBook } from '../price-book';
import { PricesService, PriceVersionView } from '../prices.service';
import { PriceVersionBody, priceVersionOf } from '../price.schemas';
import { formatMicroUsd } from '../usd';

function view(p: ModelPrice) {
  return {
    model: p.model,
    version: p.version,
    effectiveAt: p.effectiveAt,
    inputMicroUsdPerMTok: p.inputMicroUsdPerMTok.toString(),
    outputMicroUsdPerMTok: p.outputMicroUsdPerMTok.toString(),
    perImageMicroUsd: p.perImageMicroUsd?.toString() ?? null,
    // For people; the micro-USD strings are the exact values.
    inputUsdPerMTok: formatMicroUsd(p.inputMicroUsdPerMTok),
    outputUsdPerMTok: formatMicroUsd(p.outputMicroUsdPerMTok),
    perImageUsd: p.perImageMicroUsd === null ? null : formatMicroUsd(p.perImageMicroUsd),
  };
}

/** Public: what each model costs now, and the changes already scheduled. */
@ApiTags('pricing')
@Controller('pricing')
export class PricingController {
  constructor(private readonly book: PriceBook) {}

  @Get()
  @ApiOperation({ summary: 'Current prices per model (micro-USD per million input/output tokens, per image) and scheduled changes.' })
  async list() {
    const table = await this.book.table(new Date());
    return { data: table.map((row) => ({ ...view(row.current), scheduled: row.scheduled.map(view) })) };
  }
}

@ApiTags('admin')
@RoleRoutes(['admin'])
@Controller('admin/prices')
export class AdminPricesController {
  constructor(private readonly prices: PricesService) {}

  @Post()
  @ApiOperation({ summary: 'Set a model price { model, inputMicroUsdPerMTok, outputMicroUsdPerMTok, perImageMicroUsd?, effectiveAt? } as a new version.' })
  set(@CurrentPrincipal() principal: SessionPrincipal, @ValidBody(PriceVersionBody) body: z.infer<typeof PriceVersionBody>, @Req() req: Request): Promise<PriceVersionView> {
    return this.prices.set(priceVersionOf(body), commandContext(principal.accountId, req));
  }
}
