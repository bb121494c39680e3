import { createHmac, randomBytes } from 'node:crypto';
import { uniqueName } from '@shop/shared/test-harness';
import type { PiiClient, PiiField } from '../../src/pii/pii-client.js';

/**
 * A PiiClient for tests that do not need the real tokenizer. It cannot reverse anything:
 * tokens are random and keep no link to the value, and the blind index is an HMAC under a
 * key made per instance (as the tokenizer's is), so neither names the value it came from.
 * `failWith` makes every call throw (an unreachable tokenizer).
 */
export class FakePii implements PiiClient {
  readonly calls: { subjectId: string; fields: string[] }[] = [];
  /** Subjects erased, in order (account deletion). */
  readonly erased: string[] = [];
  failWith: Error | undefined;
  private readonly key = randomBytes(32);

  async tokenize(subjectId: string, items: { field: PiiField; value: string }[]): Promise<string[]> {
    if (this.failWith) throw this.failWith;
    this.calls.push({ subjectId, fields: items.map((i) => i.field) });
    return items.map((i) => `tok_${i.field}_${uniqueName('v')}`);
  }

  async blindIndex(field: PiiField, value: string): Promise<string> {
    if (this.failWith) throw this.failWith;
    const normalised = value.normalize('NFC').trim().toLowerCase();
    return `bi_${createHmac('sha256', this.key).update(`${field}\0${normalised}`).digest('base64url')}`;
  }

  async eraseSubject(subjectId: string): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.erased.push(subjectId);
  }
}
