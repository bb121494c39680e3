import { containsCardNumber } from '@shop/shared/card-numbers';
import { ShippingAddress } from '@shop/shared/shipping-address';
import { Value } from 'typebox/value';

/**
 * The personal-data field types the tokenizer holds, how a value of each is checked,
 * normalised for a blind index, and masked for callers whose policy says "masked".
 */
export const FIELD_TYPES = ['email', 'name', 'phone', 'shipping_address'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

export function isFieldType(field: string): field is FieldType {
  return (FIELD_TYPES as readonly string[]).includes(field);
}

/** Longest value accepted for any field (characters). */
export const MAX_VALUE_LENGTH = 2048;

const EMAIL =
  /^[^\s@<>()[\]\\,;:"]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+$/;
const PHONE = /^\+?[0-9 ().-]{4,32}$/;
/** Control characters have no place in personal data and are a classic log/terminal injection vector. */
export function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

function parseAddress(value: string): ShippingAddress | undefined {
  try {
    const parsed: unknown = JSON.parse(value);
    return Value.Check(ShippingAddress, parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

export type ValueProblem = 'invalid' | 'card_number';

/** Checks a value for its field type; returns the problem or undefined when it is acceptable. */
export function checkValue(field: FieldType, value: string): ValueProblem | undefined {
  const v = value.normalize('NFC');
  switch (field) {
    case 'email':
      if (v.length > 254 || !EMAIL.test(v.trim())) return 'invalid';
      break;
    case 'name':
      if (v.trim().length === 0 || v.length > 200 || hasControlCharacter(v)) return 'invalid';
      break;
    case 'phone':
      // Phone numbers can be Luhn-valid by chance, so they are not checked for card numbers.
      return PHONE.test(v) && /\d{4}/.test(v.replace(/\D/g, '')) ? undefined : 'invalid';
    case 'shipping_address': {
      const address = parseAddress(v);
      if (!address || Object.values(address).some((s) => hasControlCharacter(s))) return 'invalid';
      break;
    }
  }
  // PCI DSS v4.0.1 3.2: a card number must not end up stored here disguised as personal data.
  return containsCardNumber(v) ? 'card_number' : undefined;
}

/** Canonical form for the blind index, so equal values give equal indexes (email: trim, lower-case; all NFC). */
export function normaliseForIndex(field: FieldType, value: string): string {
  const v = value.normalize('NFC').trim();
  switch (field) {
    case 'email':
      return v.toLowerCase();
    case 'name':
      return v.replace(/\s+/g, ' ').toLowerCase();
    case 'phone':
      return v.replace(/[^\d+]/g, '');
    case 'shipping_address':
      return v;
  }
}

function maskWord(word: string): string {
  const first = [...word][0] ?? '';
  return `${first}***`;
}

/** Masked form shown to callers whose policy says "masked": enough to recognise, not to use. */
export function maskValue(field: FieldType, value: string): string {
  switch (field) {
    case 'email': {
      const at = value.lastIndexOf('@');
      const domain = value.slice(at + 1);
      const dot = domain.lastIndexOf('.');
      return `${maskWord(value.slice(0, at))}@${maskWord(domain.slice(0, dot))}${domain.slice(dot)}`;
    }
    case 'name':
      return value.trim().split(/\s+/).map(maskWord).join(' ');
    case 'phone': {
      const digits = value.replace(/\D/g, '');
      return `${'*'.repeat(Math.max(0, digits.length - 2))}${digits.slice(-2)}`;
    }
    case 'shipping_address': {
      const a = parseAddress(value);
      if (!a) return '***';
      return JSON.stringify({
        name: maskValue('name', a.name),
        line1: '***',
        city: maskWord(a.city),
        postalCode: '***',
        country: a.country,
      });
    }
  }
}
