import { ownMessage } from '@shop/shared/error-serializer';
import { TokenizerUnavailableError } from '../errors.js';

/**
 * The api's only way to handle personal data (email, name, phone, shipping address):
 * it hands values to the vault-tokenizer over mTLS and keeps the tokens. Per the
 * tokenizer policy the api may tokenize and blind-index, never detokenize, and may erase a
 * whole subject (account deletion) within an hourly bound.
 */
export type PiiField = 'email' | 'name' | 'phone' | 'shipping_address';

export interface PiiClient {
  /** Tokenizes values of one customer (the subject), returning one token per item, in order. */
  tokenize(subjectId: string, items: { field: PiiField; value: string }[]): Promise<string[]>;
  /** Keyed HMAC of the normalised value, for lookups such as login by email. */
  blindIndex(field: PiiField, value: string): Promise<string>;
  /**
   * Erases a subject (account deletion): the tokenizer destroys its data key, so every copy of
   * its ciphertext, backups included, becomes unreadable. Bounded per hour by the tokenizer's
   * policy (`eraseSubject`); erasing an erased subject again succeeds.
   */
  eraseSubject(subjectId: string): Promise<void>;
}

/**
 * Thrown when the tokenizer cannot be reached or refuses: routes answer 503 `tokenizer_unavailable`.
 * Its messages are ours (a status or a network code, never the tokenizer's body), so they are logged.
 */
export const PiiUnavailableError = ownMessage(
  class PiiUnavailableError extends TokenizerUnavailableError {
    override name = 'PiiUnavailableError';
    constructor(reason: string) {
      super();
      this.message = reason;
    }
  },
);
export type PiiUnavailableError = InstanceType<typeof PiiUnavailableError>;
