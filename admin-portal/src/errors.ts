import { defineError } from '@shop/shared/errors';

/**
 * Every error the admin portal answers with. Codes are stable (pages show them, tests and
 * runbooks rely on them); messages never carry personal data or an internal detail.
 */
export const CertificateRequired = defineError(
  'ADMIN_CERTIFICATE_REQUIRED',
  'A current staff client certificate is required',
  401,
);
export const NotFound = defineError('ADMIN_NOT_FOUND', 'Not found', 404);
