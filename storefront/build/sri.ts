import { createHash } from 'node:crypto';

/** The Subresource Integrity value of a file's exact bytes (sha384, as the W3C SRI spec recommends). */
export function sriHash(content: string | Uint8Array): string {
  return `sha384-${createHash('sha384').update(content).digest('base64')}`;
}
