import { normalizeEmail } from '../common/text';
import {
  checkEmail,
  checkGivenPassword,
  checkNewPasswordPair,
  field,
  result,
  type Body,
  type FieldErrors,
} from '../web/forms';

export const WRONG_CREDENTIALS = 'Wrong email or password';

export function signUpForm(body: Body) {
  const values = {
    email: field(body, 'email').trim(),
    password: field(body, 'password'),
    repeat_password: field(body, 'repeat_password'),
  };
  const errors: FieldErrors = {};
  checkEmail(values.email, errors);
  checkNewPasswordPair('password', 'repeat_password', values, errors);
  return result(values, errors);
}
export type SignUpForm = ReturnType<typeof signUpForm>;

/** The e-mail and password as typed, and the account they name (its normalised e-mail). */
export function signInForm(body: Body) {
  const values = { email: field(body, 'email').trim(), password: field(body, 'password') };
  const errors: FieldErrors = {};
  checkEmail(values.email, errors);
  checkGivenPassword('password', values.password, errors, {
    key: 'form',
    message: WRONG_CREDENTIALS,
  });
  return { ...result(values, errors), account: normalizeEmail(values.email) };
}
export type SignInForm = ReturnType<typeof signInForm>;

export function emailForm(body: Body) {
  const values = { email: field(body, 'email').trim() };
  const errors: FieldErrors = {};
  checkEmail(values.email, errors);
  return { ...result(values, errors), account: normalizeEmail(values.email) };
}
export type EmailForm = ReturnType<typeof emailForm>;

export function resetForm(body: Body) {
  const values = {
    new_password: field(body, 'new_password'),
    repeat_new_password: field(body, 'repeat_new_password'),
  };
  const errors: FieldErrors = {};
  checkNewPasswordPair('new_password', 'repeat_new_password', values, errors);
  return result(values, errors);
}
export type ResetForm = ReturnType<typeof resetForm>;
