import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  LoginBody,
  PasswordResetBody,
  PasswordResetConfirmBody,
  SignupBody,
  VerifyEmailBody,
} from '../../../../api/src/routes/auth/schemas.js';
import { ShippingAddress } from '../../../../api/src/routes/checkout/schemas.js';
import { PasswordConfirmationBody } from '../../../../api/src/routes/me/schemas.js';
import { FORM_LIMITS } from '../../../src/api/form-limits.js';
import { schemaLimits } from '../../support/schema-limits.js';

describe('storefront form limits', () => {
  it('[issue 9.7] the signup, login and address form limits equal the api schema field by field (a 150-character name is refused in the browser, not by a 400)', () => {
    assert.deepEqual(FORM_LIMITS.signup, schemaLimits(SignupBody));
    assert.deepEqual(FORM_LIMITS.login, schemaLimits(LoginBody));
    assert.deepEqual(FORM_LIMITS.shippingAddress, schemaLimits(ShippingAddress));
    assert.equal(FORM_LIMITS.signup.name.maxLength < 150, true);
  });

  it('[issue 11] the verification, password-reset and password re-entry limits equal the api schema field by field', () => {
    assert.deepEqual(FORM_LIMITS.verifyEmail, schemaLimits(VerifyEmailBody));
    assert.deepEqual(FORM_LIMITS.passwordReset, schemaLimits(PasswordResetBody));
    assert.deepEqual(FORM_LIMITS.passwordResetConfirm, schemaLimits(PasswordResetConfirmBody));
    assert.deepEqual(FORM_LIMITS.passwordConfirmation, schemaLimits(PasswordConfirmationBody));
  });
});
