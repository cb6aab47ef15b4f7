// Rules shared by the forms of several features; each feature defines its own forms.
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../common/passwords';
import { characterCount } from '../common/text';

/** Field name -> message shown under that field. */
export type FieldErrors = Record<string, string>;

export interface FormResult<T> {
  values: T;
  errors: FieldErrors;
  valid: boolean;
}

export type Body = Record<string, unknown> | undefined;

/** Pad and note names, in characters. */
export const MAX_NAME_LENGTH = 100;
/** RFC 5321's limit of a forward path, in characters. */
export const MAX_EMAIL_LENGTH = 254;
// Deliberately plain: something@something.tld, no spaces.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/u;

/** A submitted field as a string; repeated or missing fields count as empty. */
export function field(body: Body, name: string): string {
  const value = body?.[name];
  return typeof value === 'string' ? value : '';
}

export function result<T>(values: T, errors: FieldErrors): FormResult<T> {
  return { values, errors, valid: Object.keys(errors).length === 0 };
}

export function required(name: string, value: string, errors: FieldErrors): void {
  if (value === '' && !errors[name]) errors[name] = 'This field is required.';
}

/** Checked before the address is used for anything (a lookup, a rate-limit key). */
export function checkEmail(email: string, errors: FieldErrors): void {
  if (email === '') errors.email = 'This field is required.';
  else if (characterCount(email) > MAX_EMAIL_LENGTH || !EMAIL.test(email))
    errors.email = 'Enter a valid e-mail address.';
}

/**
 * A password to check (sign-in, old password): required, and `wrong` when longer than any
 * password can be, before anything is looked up or counted.
 */
export function checkGivenPassword(
  name: string,
  password: string,
  errors: FieldErrors,
  wrong: { key: string; message: string },
): void {
  required(name, password, errors);
  if (characterCount(password) > MAX_PASSWORD_LENGTH) errors[wrong.key] = wrong.message;
}

/** A new password and its repetition: the password within the length limits, both equal. */
export function checkNewPasswordPair(
  name: string,
  repeatName: string,
  values: Record<string, string>,
  errors: FieldErrors,
): void {
  const password = values[name];
  const length = characterCount(password);
  if (password === '') errors[name] = 'This field is required.';
  else if (length < MIN_PASSWORD_LENGTH) {
    errors[name] = `Use at least ${MIN_PASSWORD_LENGTH} characters.`;
  } else if (length > MAX_PASSWORD_LENGTH) {
    errors[name] = `Use at most ${MAX_PASSWORD_LENGTH} characters.`;
  }
  required(repeatName, values[repeatName], errors);
  if (!errors[name] && !errors[repeatName] && password !== values[repeatName]) {
    errors[repeatName] = 'Passwords do not match.';
  }
}

/** A pad or note name: required, at most MAX_NAME_LENGTH characters. */
export function checkName(name: string, errors: FieldErrors): void {
  if (name === '') errors.name = 'This field is required.';
  else if (characterCount(name) > MAX_NAME_LENGTH)
    errors.name = `Use at most ${MAX_NAME_LENGTH} characters.`;
}
