import { lookup as dnsLookup, LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { buildConnector } from 'undici';
import { DomainError, invalid } from '../../platform/errors/domain-error';
import { Logger } from '../../platform/observability/logger';
import { AddressPolicy, AddressRefusal } from './address-policy';

/** `dns.lookup` with `all: true`; tests pass their own to play DNS rebinding. */
export type ResolveAll = (hostname: string) => Promise<LookupAddress[]>;

export interface EndpointGuardOptions {
  /** https only (production). */
  requireHttps: boolean;
  /** NODE_ALLOWED_CIDRS: internal ranges the operator allows (cloud metadata never). */
  allowedCidrs: readonly string[];
  resolve?: ResolveAll;
  /** Registration's look-up of a host name gives up after this (the connect-time check still holds). */
  registrationLookupTimeoutMs?: number;
}

/** A node connection refused because of where it would go. */
export class NodeAddressRefused extends Error {
  readonly code = 'ENODEADDRESS';
  constructor(
    readonly host: string,
    readonly address: string,
    readonly reason: AddressRefusal | 'https_required',
  ) {
    super(`node endpoint ${host} (${address}) refused: ${reason}`);
    this.name = 'NodeAddressRefused';
  }
}

const systemResolve: ResolveAll = (hostname) =>
  new Promise((resolve, reject) => dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses) => (err ? reject(err) : resolve(addresses))));

/** RFC 6761: these names are loopback by definition, whatever a resolver says. */
const LOOPBACK_NAME = /^(localhost|.*\.localhost)\.?$/i;

/**
 * Nodes cannot point inside (issue 15): checked when a node is registered (the URL as written,
 * and what its host name resolves to now) and again on every connection the gateway opens to a
 * node (the address actually dialled, after DNS), so a name that later resolves inside (DNS
 * rebinding) is refused too. One instance per process, shared by registration and the gateway.
 */
export class NodeEndpointGuard {
  private readonly policy: AddressPolicy;
  private readonly resolve: ResolveAll;

  constructor(
    private readonly options: EndpointGuardOptions,
    private readonly logger: Logger,
  ) {
    this.policy = new AddressPolicy(options.allowedCidrs);
    this.resolve = options.resolve ?? systemResolve;
  }

  /** Registration: throws 400 `endpoint_not_allowed` (or `endpoint_https_required`) for an endpoint that is, or resolves, inside. */
  async checkEndpoint(endpointUrl: string): Promise<void> {
    let url: URL;
    try {
      url = new URL(endpointUrl);
    } catch {
      throw invalid('invalid_endpoint', 'The endpoint must be an http(s) URL.');
    }
    if (this.options.requireHttps && url.protocol !== 'https:') throw invalid('endpoint_https_required', 'Node endpoints must use https.');
    // The WHATWG parser has already normalised odd forms (2130706433, 0x7f.1, [::ffff:127.0.0.1]).
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host)) return this.refuseIfInside(host, host);
    if (LOOPBACK_NAME.test(host)) throw refused(host, 'loopback');
    let addresses: LookupAddress[];
    try {
      addresses = await withTimeout(this.resolve(host), this.options.registrationLookupTimeoutMs ?? 3_000);
    } catch {
      return; // not resolvable yet: every connection is still checked when it is made
    }
    for (const { address } of addresses) this.refuseIfInside(host, address);
  }

  /**
   * An undici `connect` function: the address dialled is checked after DNS, for IP literals
   * (which never reach a lookup) and names alike.
   */
  connector(connectOptions: buildConnector.BuildOptions = {}): buildConnector.connector {
    const lookup = (hostname: string, options: { all?: boolean }, callback: (err: Error | null, address?: string | LookupAddress[], family?: number) => void) => {
      this.resolve(hostname).then(
        (addresses) => {
          const inside = addresses.map((a) => ({ a, reason: this.policy.refusal(a.address) })).find((x) => x.reason !== null);
          if (inside) return callback(this.refusedAtConnect(hostname, inside.a.address, inside.reason as AddressRefusal));
          if (addresses.length === 0) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }));
          return options.all ? callback(null, addresses) : callback(null, addresses[0].address, addresses[0].family);
        },
        (err: Error) => callback(err),
      );
    };
    const base = buildConnector({ ...connectOptions, lookup } as buildConnector.BuildOptions);
    return (opts, callback) => {
      if (this.options.requireHttps && opts.protocol !== 'https:') return callback(this.refusedAtConnect(opts.hostname, opts.hostname, 'https_required'), null);
      const host = opts.hostname.replace(/^\[|\]$/g, '');
      if (isIP(host)) {
        const reason = this.policy.refusal(host);
        if (reason) return callback(this.refusedAtConnect(host, host, reason), null);
      }
      return base(opts, callback);
    };
  }

  private refuseIfInside(host: string, address: string): void {
    const reason = this.policy.refusal(address);
    if (reason) throw refused(host === address ? address : `${host} (${address})`, reason);
  }

  private refusedAtConnect(host: string, address: string, reason: AddressRefusal | 'https_required'): NodeAddressRefused {
    this.logger.warn({ host, address, reason }, 'node connection refused: the endpoint is an internal address');
    return new NodeAddressRefused(host, address, reason);
  }
}

function refused(what: string, reason: AddressRefusal): DomainError {
  return invalid('endpoint_not_allowed', `The endpoint ${what} is not a public address (${reason.replace('_', ' ')}); nodes must be reachable on the internet.`);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('lookup timed out')), ms);
    timer.unref();
    promise.then(
      (v) => (clearTimeout(timer), resolve(v)),
      (e: unknown) => (clearTimeout(timer), reject(e)),
    );
  });
}
