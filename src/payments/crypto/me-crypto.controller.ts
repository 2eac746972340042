import { Body, Controller, Get, HttpCode, Param, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { commandContext } from '../../auth/command-context';
import { CurrentPrincipal, SessionPrincipal } from '../../auth/principal';
import { SESSION_COOKIE } from '../../auth/session.cookies';
import { SessionGuard } from '../../auth/session.guard';
import { objectBody, requiredString } from '../../platform/http/request-body';
import { CryptoChargeCreated, CryptoChargesService, CryptoChargeView } from './crypto-charges.service';

/** Crypto top-ups for the signed-in developer: a Coinbase Commerce charge, paid on its hosted page. */
@ApiTags('payments')
@ApiCookieAuth(SESSION_COOKIE)
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'Not signed in.' })
@ApiResponse({ status: 404, description: 'crypto_payments_disabled when no Coinbase Commerce key is configured.' })
@UseGuards(SessionGuard)
@Controller('me/payments/crypto')
export class MeCryptoController {
  constructor(private readonly charges: CryptoChargesService) {}

  @Post('charges')
  @HttpCode(201)
  @ApiOperation({ summary: 'Start a crypto top-up: { amountUsd: "25.00" } → { chargeCode, hostedUrl, amountUsd, expiresAt }; pay on hostedUrl, credited once Coinbase confirms.' })
  @ApiResponse({ status: 400, description: 'invalid_amount, amount_out_of_range (TOPUP_MIN_USD..TOPUP_MAX_USD).' })
  @ApiResponse({ status: 503, description: 'crypto_processor_unavailable: Coinbase Commerce failed; try again.' })
  create(@CurrentPrincipal() principal: SessionPrincipal, @Body() raw: unknown, @Req() req: Request): Promise<CryptoChargeCreated> {
    const body = objectBody(raw, ['amountUsd']);
    return this.charges.createCharge(principal.accountId, requiredString(body, 'amountUsd', 1, 20), commandContext(principal.accountId, req));
  }

  @Get('charges/:code')
  @ApiOperation({
    summary: "A charge: Coinbase's last status and context, its payments (network, transaction id, USD and crypto value), whether it was credited and with how much.",
  })
  charge(@CurrentPrincipal() principal: SessionPrincipal, @Param('code') code: string): Promise<CryptoChargeView> {
    return this.charges.charge(principal.accountId, code);
  }
}
