import { Controller, Get, HttpCode, Param, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { z } from 'zod';
import { commandContext } from '../../platform/access/command-context';
import { CurrentPrincipal, SessionPrincipal } from '../../platform/access/principal';
import { SESSION_COOKIE } from '../../platform/access/session-cookie';
import { SessionGuard } from '../../platform/access/session.guard';
import { AcceptedResponse, CreatedResponse, OkResponse } from '../../platform/http/schema/responses';
import { ValidBody } from '../../platform/http/schema/valid';
import { checkRazorpayId, PaymentOrdersService } from '../orders/payment-orders.service';
import { CheckoutAccepted, CheckoutBody, CheckoutOrderView, CreateOrderBody, OrderListItem, OrderView } from './me-payments.schemas';

/** Top-ups for the signed-in developer: an order for Checkout, then Checkout's callback. */
@ApiTags('payments')
@ApiCookieAuth(SESSION_COOKIE)
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'Not signed in.' })
@ApiResponse({ status: 404, description: 'payments_disabled when no Razorpay key is configured.' })
@UseGuards(SessionGuard)
@Controller('me/payments')
export class MePaymentsController {
  constructor(private readonly orders: PaymentOrdersService) {}

  @Post('orders')
  @HttpCode(201)
  @ApiOperation({ summary: 'Start a top-up: { amountUsd: "25.00" } → what Razorpay Checkout needs (key id, order id, amount in cents, currency).' })
  @CreatedResponse(CheckoutOrderView)
  @ApiResponse({ status: 400, description: 'invalid_body, invalid_amount (not whole cents), amount_out_of_range (TOPUP_MIN_USD..TOPUP_MAX_USD).' })
  @ApiResponse({ status: 403, description: 'kyc_required when KYC is required for top-ups and not verified.' })
  @ApiResponse({ status: 503, description: 'razorpay_unavailable: Razorpay failed; try again.' })
  create(
    @CurrentPrincipal() principal: SessionPrincipal,
    @ValidBody(CreateOrderBody) body: z.infer<typeof CreateOrderBody>,
    @Req() req: Request,
  ): Promise<z.infer<typeof CheckoutOrderView>> {
    return this.orders.createOrder(principal.accountId, body.amountUsd, commandContext(principal.accountId, req));
  }

  @Post('orders/:orderId/checkout')
  @HttpCode(202)
  @ApiOperation({ summary: "Checkout's handler response { razorpay_payment_id, razorpay_order_id, razorpay_signature }: verified, then credited by the worker." })
  @AcceptedResponse(CheckoutAccepted)
  @ApiResponse({ status: 400, description: 'invalid_body, invalid_id, order_mismatch, invalid_signature.' })
  checkout(
    @CurrentPrincipal() principal: SessionPrincipal,
    @Param('orderId') orderId: string,
    @ValidBody(CheckoutBody) body: z.infer<typeof CheckoutBody>,
    @Req() req: Request,
  ): Promise<z.infer<typeof CheckoutAccepted>> {
    const paymentId = checkRazorpayId(body.razorpay_payment_id, 'razorpay_payment_id');
    const input = { paymentId, orderId: body.razorpay_order_id ?? null, signature: body.razorpay_signature };
    return this.orders.verifyCheckout(principal.accountId, orderId, input, commandContext(principal.accountId, req));
  }

  @Get('orders/:orderId')
  @ApiOperation({ summary: 'An order and its payments: Razorpay status and whether it was credited.' })
  @OkResponse(OrderView)
  @ApiResponse({ status: 400, description: 'invalid_id: not a Razorpay order id.' })
  order(@CurrentPrincipal() principal: SessionPrincipal, @Param('orderId') orderId: string): Promise<z.infer<typeof OrderView>> {
    return this.orders.order(principal.accountId, orderId);
  }

  @Get('orders')
  @ApiOperation({ summary: 'The newest 50 top-up orders.' })
  @OkResponse(z.array(OrderListItem))
  list(@CurrentPrincipal() principal: SessionPrincipal): Promise<z.infer<typeof OrderListItem>[]> {
    return this.orders.orders(principal.accountId);
  }
}
