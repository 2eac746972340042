import { Controller, Get, HttpCode, Param, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { z } from 'zod';
import { commandContext } from '../../platform/access/command-context';
import { CurrentPrincipal, SessionPrincipal } from '../../platform/access/principal';
import { SESSION_COOKIE } from '../../platform/access/session-cookie';
import { SessionGuard } from '../../platform/access/session.guard';
import { CreatedResponse, OkResponse } from '../../platform/http/schema/responses';
import { ValidBody } from '../../platform/http/schema/valid';
import { CryptoChargesService } from './crypto-charges.service';
import { ChargeCreated, ChargeView, CreateChargeBody } from './me-crypto.schemas';

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
  @CreatedResponse(ChargeCreated)
  @ApiResponse({ status: 400, description: 'invalid_body, invalid_amount, amount_out_of_range (TOPUP_MIN_USD..TOPUP_MAX_USD).' })
  @ApiResponse({ status: 403, description: 'kyc_required when KYC is required for top-ups and not verified.' })
  @ApiResponse({ status: 503, description: 'crypto_processor_unavailable: Coinbase Commerce failed; try again.' })
  create(
    @CurrentPrincipal() principal: SessionPrincipal,
    @ValidBody(CreateChargeBody) body: z.infer<typeof CreateChargeBody>,
    @Req() req: Request,
  ): Promise<z.infer<typeof ChargeCreated>> {
    return this.charges.createCharge(principal.accountId, body.amountUsd, commandContext(principal.accountId, req));
  }

  @Get('charges/:code')
  @ApiOperation({
    summary: "A charge: Coinbase's last status and context, its payments (network, transaction id, USD and crypto value), whether it was credited and with how much.",
  })
  @OkResponse(ChargeView)
  @ApiResponse({ status: 400, description: 'invalid_id: a charge code is 4..32 upper-case letters and digits.' })
  charge(@CurrentPrincipal() principal: SessionPrincipal, @Param('code') code: string): Promise<z.infer<typeof ChargeView>> {
    return this.charges.charge(principal.accountId, code);
  }
}
