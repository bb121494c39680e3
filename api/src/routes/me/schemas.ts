import Type, { type Static } from 'typebox';

/** The password typed again before an export or a deletion (ASVS 3.7.1), bounded as at login. */
export const PasswordConfirmationBody = Type.Object(
  { password: Type.String({ minLength: 1, maxLength: 128 }) },
  { additionalProperties: false },
);
export type PasswordConfirmationBody = Static<typeof PasswordConfirmationBody>;
