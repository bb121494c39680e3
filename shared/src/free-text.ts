import { maskCardNumbers } from './card-numbers.js';

/**
 * Free text that may carry what a shopper or an attacker typed (log messages, URLs, CSP
 * report fields) is cut to a bound and masked for card-like numbers and email addresses
 * before it is logged or stored (PCI DSS v4.0.1 3.3, 3.4; ARCHITECTURE non-negotiables 1-2).
 */

// Anything around an `@` (or its percent-encoding, as in a URL path): a local part and a
// domain of characters that are not separators. Deliberately wide: a false positive costs a
// masked word in a log line, a miss costs a personal datum.
const EMAIL = /[^\s"'<>()[\]{},;:/\\?#&=@]+(?:@|%40)[^\s"'<>()[\]{},;:/\\?#&=@]+/gi;

export const EMAIL_MASK = '[EMAIL REDACTED]';

/** Replaces every email-like word. */
export function maskEmails(text: string): string {
  if (!text.includes('@') && !text.includes('%40')) return text;
  return text.replace(EMAIL, EMAIL_MASK);
}

/**
 * Card-like numbers and emails masked, then bounded to `max` characters. The text is cut a
 * little beyond the bound before masking, so a number that spans the bound is still seen
 * whole (a cut PAN could fail the Luhn check and show most of its digits).
 */
export function maskFreeText(text: string, max = 300): string {
  const long = text.length > max;
  const masked = maskEmails(maskCardNumbers(long ? text.slice(0, max + 64) : text));
  return long || masked.length > max ? `${masked.slice(0, max)}…` : masked;
}
