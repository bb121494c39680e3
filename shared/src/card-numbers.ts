/**
 * Detection of primary account numbers (PAN): 13-19 digits, optionally split by
 * spaces or dashes, that pass the Luhn check. Used to refuse card data in requests
 * and to scrub anything card-like from log lines (PCI DSS v4.0.1 3.3, 3.4).
 */
const CANDIDATE = /(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)/g;

export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

function isPan(candidate: string): boolean {
  const digits = candidate.replace(/[ -]/g, '');
  return digits.length >= 13 && digits.length <= 19 && luhnValid(digits);
}

/** True when the text holds a Luhn-valid 13-19 digit number. */
export function containsCardNumber(text: string): boolean {
  for (const match of text.matchAll(CANDIDATE)) {
    if (isPan(match[0])) return true;
  }
  return false;
}

/** Replaces every Luhn-valid 13-19 digit number in the text. */
export function maskCardNumbers(text: string): string {
  return text.replace(CANDIDATE, (m) => (isPan(m) ? '[PAN REDACTED]' : m));
}

/** Walks any JSON-like value and reports whether a string or number in it looks like a PAN. */
export function valueContainsCardNumber(value: unknown, depth = 0): boolean {
  if (depth > 32) return false;
  if (typeof value === 'string') return containsCardNumber(value);
  if (typeof value === 'number') return Number.isInteger(value) && containsCardNumber(String(value));
  if (Array.isArray(value)) return value.some((v) => valueContainsCardNumber(v, depth + 1));
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (containsCardNumber(k) || valueContainsCardNumber(v, depth + 1)) return true;
    }
  }
  return false;
}
