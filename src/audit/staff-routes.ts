import { INestApplicationContext, RequestMethod } from '@nestjs/common';
import { HTTP_CODE_METADATA, METHOD_METADATA, PATH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { MetadataScanner, ModulesContainer } from '@nestjs/core';
import { Role, STAFF_ROLES } from '../platform/access/roles';
import { ROLES_KEY } from '../platform/access/roles.decorator';

/** A route handler as the audit sees it. */
export interface StaffRoute {
  /** `POST /admin/accounts/:id/suspend`: the method and the route pattern. */
  action: string;
  method: string;
  path: string;
  roles: Role[];
  /** The status Nest answers on success (@HttpCode, else 201 for POST, 200 otherwise). */
  successStatus: number;
  /** The handler writes the response itself (@Res, e.g. CSV exports). */
  takesResponse: boolean;
}

/** Staff-only: the route needs a role, and every role it accepts is a staff role. */
export function isStaffOnly(roles: readonly Role[] | undefined): roles is Role[] {
  return !!roles && roles.length > 0 && roles.every((r) => STAFF_ROLES.includes(r));
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type Handler = Function;

/** The @Roles in force on a handler: the method's, else the controller's (as RolesGuard reads them). */
export function rolesOf(controller: Handler, handler: Handler): Role[] | undefined {
  return (Reflect.getMetadata(ROLES_KEY, handler) as Role[] | undefined) ?? (Reflect.getMetadata(ROLES_KEY, controller) as Role[] | undefined);
}

function join(...parts: (string | undefined)[]): string {
  const path = parts
    .filter((p): p is string => !!p)
    .map((p) => p.replace(/^\/+|\/+$/g, ''))
    .filter((p) => p.length > 0)
    .join('/');
  return `/${path}`;
}

function firstPath(value: unknown): string | undefined {
  return Array.isArray(value) ? (value[0] as string | undefined) : (value as string | undefined);
}

/** The route of a handler, or null when it is not a staff-only route. */
export function staffRouteOf(controller: Handler, handler: Handler): StaffRoute | null {
  const roles = rolesOf(controller, handler);
  if (!isStaffOnly(roles)) return null;
  const methodValue = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
  if (methodValue === undefined) return null;
  const method = RequestMethod[methodValue];
  const path = join(firstPath(Reflect.getMetadata(PATH_METADATA, controller)), firstPath(Reflect.getMetadata(PATH_METADATA, handler)));
  const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, handler.name) ?? {}) as Record<string, { data?: { passthrough?: boolean } }>;
  const takesResponse = Object.entries(args).some(([key, arg]) => key.startsWith(`${RouteParamtypes.RESPONSE}:`) && !arg.data?.passthrough);
  const code = Reflect.getMetadata(HTTP_CODE_METADATA, handler) as number | undefined;
  return { action: `${method} ${path}`, method, path, roles, successStatus: code ?? (method === 'POST' ? 201 : 200), takesResponse };
}

/**
 * Every staff-only route registered in a running app, from Nest's own module container (not a
 * hand-written list): the P11 test calls each one, so a route added later is covered by itself.
 */
export function listStaffRoutes(app: INestApplicationContext): StaffRoute[] {
  const scanner = new MetadataScanner();
  const routes = new Map<string, StaffRoute>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as Handler | null;
      if (!controller?.prototype) continue;
      for (const name of scanner.getAllMethodNames(controller.prototype)) {
        const route = staffRouteOf(controller, controller.prototype[name] as Handler);
        if (route) routes.set(route.action, route);
      }
    }
  }
  return [...routes.values()].sort((a, b) => a.action.localeCompare(b.action));
}
