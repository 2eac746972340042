import { Body, Controller, Get, HttpCode, Param, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { commandContext } from '../../auth/command-context';
import { CurrentPrincipal, SessionPrincipal } from '../../auth/principal';
import { SESSION_COOKIE } from '../../auth/session.cookies';
import { SessionGuard } from '../../auth/session.guard';
import { objectBody, optionalString, requiredString } from '../../platform/http/request-body';
import { CheckoutOrder, checkRazorpayId, OrderView, PaymentOrdersService } from '../orders/payment-orders.service';

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
  create(@CurrentPrincipal() principal: SessionPrincipal, @Body() raw: unknown, @Req() req: Request): Promise<CheckoutOrder> {
    const body = objectBody(raw, ['amountUsd']);
    return this.orders.createOrder(principal.accountId, requiredString(body, 'amountUsd', 1, 20), commandContext(principal.accountId, req));
  }

  @Post('orders/:orderId/checkout')
  @HttpCode(202)
  @ApiOperation({ summary: "Checkout's handler response { razorpay_payment_id, razorpay_order_id, razorpay_signature }: verified, then credited by the worker." })
  @ApiResponse({ status: 400, description: 'invalid_signature' })
  checkout(@CurrentPrincipal() principal: SessionPrincipal, @Param('orderId') orderId: string, @Body() raw: unknown, @Req() req: Request) {
    const body = objectBody(raw, ['razorpay_payment_id', 'razorpay_order_id', 'razorpay_signature']);
    const paymentId = checkRazorpayId(requiredString(body, 'razorpay_payment_id', 1, 64), 'razorpay_payment_id');
    const claimedOrder = optionalString(body, 'razorpay_order_id', 1, 64) ?? null;
    const signature = requiredString(body, 'razorpay_signature', 1, 128);
    return this.orders.verifyCheckout(principal.accountId, orderId, { paymentId, orderId: claimedOrder, signature }, commandContext(principal.accountId, req));
  }

  @Get('orders/:orderId')
  @ApiOperation({ summary: 'An order and its payments: Razorpay status and whether it was credited.' })
  order(@CurrentPrincipal() principal: SessionPrincipal, @Param('orderId') orderId: string): Promise<OrderView> {
    return this.orders.order(principal.accountId, orderId);
  }

  @Get('orders')
  @ApiOperation({ summary: 'The newest 50 top-up orders.' })
  list(@CurrentPrincipal() principal: SessionPrincipal) {
    return this.orders.orders(principal.accountId);
  }
}
