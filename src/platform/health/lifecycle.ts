/** Set when shutdown begins, so readiness fails and load balancers stop sending traffic while we drain. */
export class Lifecycle {
  draining = false;
}

export const LIFECYCLE = Symbol('Lifecycle');
