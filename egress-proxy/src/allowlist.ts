/**
 * The egress allowlist (PCI DSS v4.0.1 1.3.2, 1.4.x: outbound traffic from the CDE limited to
 * what is needed): exact `host:port` pairs, the host compared case-insensitively. No wildcard,
 * no suffix match, no port range, no IP literal unless it is listed as written; IPv6 literals
 * cannot be listed at all. Anything a CONNECT names that is not a listed pair is refused.
 */

// A DNS name or an IPv4 literal: letters, digits, dots and hyphens, neither first nor last a
// dot or hyphen, at most 253 characters.
const HOST = '[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?';
// 1-65535 without leading zeros, so `443` and `0443` cannot name the same port two ways.
const PORT = '(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})';
const TARGET = `${HOST}:${PORT}`;

/** EGRESS_ALLOW: one `host:port` or several separated by commas, nothing else. */
export const ALLOWLIST_PATTERN = `^${TARGET}(?:,${TARGET})*$`;

const CONNECT_TARGET = new RegExp(`^(${HOST}):(${PORT})$`);
// A bracketed IPv6 literal is a well-formed target that no allowlist entry can match.
const CONNECT_IPV6 = new RegExp(`^\\[[0-9A-Fa-f:.]{2,45}\\]:(${PORT})$`);

export interface Target {
  /** Lower-cased, as it is compared and as it is dialled. */
  host: string;
  port: number;
}

export type TargetDecision =
  | { verdict: 'allowed'; target: Target; name: string }
  | { verdict: 'denied'; name: string }
  | { verdict: 'malformed' };

export class Allowlist {
  readonly entries: readonly string[];
  private readonly set: ReadonlySet<string>;

  /** `value` must match ALLOWLIST_PATTERN (the config schema checks it at boot). */
  constructor(value: string) {
    if (!new RegExp(ALLOWLIST_PATTERN).test(value)) throw new Error('not an allowlist of host:port pairs');
    this.entries = [...new Set(value.toLowerCase().split(','))];
    this.set = new Set(this.entries);
  }

  /** Decides on the request target of a CONNECT (`host:port`, authority form). */
  decide(requestTarget: string): TargetDecision {
    const m = CONNECT_TARGET.exec(requestTarget);
    if (!m)
      return CONNECT_IPV6.test(requestTarget) ? { verdict: 'denied', name: requestTarget } : { verdict: 'malformed' };
    const host = (m[1] as string).toLowerCase();
    const port = Number(m[2]);
    const name = `${host}:${port}`;
    return this.set.has(name) ? { verdict: 'allowed', target: { host, port }, name } : { verdict: 'denied', name };
  }
}
