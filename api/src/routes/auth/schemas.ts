import Type, { type Static } from 'typebox';

// Bounds: the address length limit of RFC 5321; ASVS 2.1.1/2.1.2 (12-128 characters).
const Email = Type.String({ format: 'email', minLength: 3, maxLength: 254 });
const NewPassword = Type.String({ minLength: 12, maxLength: 128 });

export const SignupBody = Type.Object(
  {
    email: Email,
    password: NewPassword,
    name: Type.String({ minLength: 1, maxLength: 100 }),
  },
  { additionalProperties: false },
);
export type SignupBody = Static<typeof SignupBody>;

// A mailed one-time token is 43 base64url characters. The schema bounds the size and the
// alphabet only: a truncated or forged one reaches the lookup and is refused there with
// `account_token_invalid`, the same answer as any token that was never issued.
const OneTimeToken = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$' });

export const VerifyEmailBody = Type.Object({ token: OneTimeToken }, { additionalProperties: false });
export type VerifyEmailBody = Static<typeof VerifyEmailBody>;

export const PasswordResetBody = Type.Object({ email: Email }, { additionalProperties: false });
export type PasswordResetBody = Static<typeof PasswordResetBody>;

export const PasswordResetConfirmBody = Type.Object(
  { token: OneTimeToken, password: NewPassword },
  { additionalProperties: false },
);
export type PasswordResetConfirmBody = Static<typeof PasswordResetConfirmBody>;

export const LoginBody = Type.Object(
  { email: Email, password: Type.String({ minLength: 1, maxLength: 128 }) },
  { additionalProperties: false },
);
export type LoginBody = Static<typeof LoginBody>;

/**
 * The signed-in shopper. Email and name come from the server-side session (the api cannot
 * read them back from the tokenizer): the name is null when this session did not sign up.
 */
export const Account = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    email: Type.String(),
    name: Type.Union([Type.String(), Type.Null()]),
    // Whether the mailed verification link was followed (checkout requires it).
    emailVerified: Type.Boolean(),
  },
  { additionalProperties: false },
);
export type Account = Static<typeof Account>;

export const CsrfToken = Type.Object({ token: Type.String() }, { additionalProperties: false });

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}
