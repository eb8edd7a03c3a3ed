/** IPv4 helpers for egress ranges. IPv6 addresses never match an IPv4 range. */

function ipv4ToNumber(ip: string): number | null {
  const parts = ip.trim().split(".");
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return null;
    const octet = Number(part);
    if (octet > 255) return null;
    value = value * 256 + octet;
  }
  return value;
}

/** Whether `ip` lies in `cidr` (a.b.c.d/n). Malformed input is simply not inside. */
export function ipInCidr(ip: string, cidr: string): boolean {
  const [base, bitsText] = cidr.split("/");
  const address = ipv4ToNumber(ip);
  const network = base === undefined ? null : ipv4ToNumber(base);
  const bits = bitsText === undefined ? 32 : Number(bitsText);
  if (address === null || network === null || !Number.isInteger(bits) || bits < 0 || bits > 32) return false;
  const size = 2 ** (32 - bits);
  return Math.floor(address / size) === Math.floor(network / size);
}

export function ipInAny(ip: string, cidrs: readonly string[]): boolean {
  return cidrs.some((cidr) => ipInCidr(ip, cidr));
}

/** RFC 1918, loopback and link-local: addresses that say nothing about where a person is. */
export function isPrivateIp(ip: string): boolean {
  return ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "169.254.0.0/16"].some((c) =>
    ipInCidr(ip, c),
  );
}
