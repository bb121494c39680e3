// The length bounds of every form field, in one place for the pages. The api's route schemas
// are the contract; a test compares these with them field by field, so a browser that accepts
// a value the api refuses (a 150-character name passing the form and failing with a 400) is a
// red test, not a shopper's lost signup. Keys are checked against the api's own types.
import type {
  LoginBody,
  PasswordResetBody,
  PasswordResetConfirmBody,
  SignupBody,
  VerifyEmailBody,
} from '../../../api/src/routes/auth/schemas.js';
import type { PasswordConfirmationBody } from '../../../api/src/routes/me/schemas.js';
import type { ShippingAddress } from './shop.js';

export interface FieldLimits {
  minLength?: number;
  maxLength?: number;
}

export const FORM_LIMITS = {
  signup: {
    email: { minLength: 3, maxLength: 254 },
    password: { minLength: 12, maxLength: 128 },
    name: { minLength: 1, maxLength: 100 },
  },
  login: {
    email: { minLength: 3, maxLength: 254 },
    password: { minLength: 1, maxLength: 128 },
  },
  /** The token comes from the mailed link, not from a field: bounded all the same. */
  verifyEmail: {
    token: { minLength: 1, maxLength: 128 },
  },
  passwordReset: {
    email: { minLength: 3, maxLength: 254 },
  },
  passwordResetConfirm: {
    token: { minLength: 1, maxLength: 128 },
    password: { minLength: 12, maxLength: 128 },
  },
  /** Typed again before "download my data" and "delete my account". */
  passwordConfirmation: {
    password: { minLength: 1, maxLength: 128 },
  },
  shippingAddress: {
    name: { minLength: 1, maxLength: 200 },
    line1: { minLength: 1, maxLength: 200 },
    line2: { maxLength: 200 },
    city: { minLength: 1, maxLength: 100 },
    postalCode: { minLength: 1, maxLength: 20 },
    /** A select of ISO 3166 codes: no length to bound. */
    country: {},
  },
} as const satisfies {
  signup: Record<keyof SignupBody, FieldLimits>;
  login: Record<keyof LoginBody, FieldLimits>;
  verifyEmail: Record<keyof VerifyEmailBody, FieldLimits>;
  passwordReset: Record<keyof PasswordResetBody, FieldLimits>;
  passwordResetConfirm: Record<keyof PasswordResetConfirmBody, FieldLimits>;
  passwordConfirmation: Record<keyof PasswordConfirmationBody, FieldLimits>;
  shippingAddress: Record<keyof ShippingAddress, FieldLimits>;
};
