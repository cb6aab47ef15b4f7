import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../common/passwords';

/** Field name -> message shown under that field. */
export type FieldErrors = Record<string, string>;

export interface FormResult<T> {
  values: T;
  errors: FieldErrors;
  valid: boolean;
}

export const MAX_NAME_LENGTH = 100;
/** Far above any real note; bounded so one request cannot fill the database. */
export const MAX_NOTE_TEXT_LENGTH = 100_000;
const MAX_EMAIL_LENGTH = 254;
// Deliberately plain: something@something.tld, no spaces.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

type Body = Record<string, unknown> | undefined;

/** A submitted field as a string; repeated or missing fields count as empty. */
function field(body: Body, name: string): string {
  const value = body?.[name];
  return typeof value === 'string' ? value : '';
}

function result<T>(values: T, errors: FieldErrors): FormResult<T> {
  return { values, errors, valid: Object.keys(errors).length === 0 };
}

function checkEmail(email: string, errors: FieldErrors): void {
  if (email === '') errors.email = 'This field is required.';
  else if (email.length > MAX_EMAIL_LENGTH || !EMAIL.test(email))
    errors.email = 'Enter a valid e-mail address.';
}

/** A new password and its repetition: the password within the length limits, both equal. */
function checkNewPasswordPair(
  name: string,
  repeatName: string,
  values: Record<string, string>,
  errors: FieldErrors,
): void {
  const password = values[name];
  if (password === '') errors[name] = 'This field is required.';
  else if (password.length < MIN_PASSWORD_LENGTH) {
    errors[name] = `Use at least ${MIN_PASSWORD_LENGTH} characters.`;
  } else if (password.length > MAX_PASSWORD_LENGTH) {
    errors[name] = `Use at most ${MAX_PASSWORD_LENGTH} characters.`;
  }
  required(repeatName, values[repeatName], errors);
  if (!errors[name] && !errors[repeatName] && password !== values[repeatName]) {
    errors[repeatName] = 'Passwords do not match.';
  }
}

function required(name: string, value: string, errors: FieldErrors): void {
  if (value === '' && !errors[name]) errors[name] = 'This field is required.';
}

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

export function signInForm(body: Body) {
  const values = { email: field(body, 'email').trim(), password: field(body, 'password') };
  const errors: FieldErrors = {};
  required('email', values.email, errors);
  required('password', values.password, errors);
  return result(values, errors);
}

export function emailForm(body: Body) {
  const values = { email: field(body, 'email').trim() };
  const errors: FieldErrors = {};
  checkEmail(values.email, errors);
  return result(values, errors);
}

export function settingsForm(body: Body) {
  const values = {
    old_password: field(body, 'old_password'),
    new_password: field(body, 'new_password'),
    repeat_new_password: field(body, 'repeat_new_password'),
  };
  const errors: FieldErrors = {};
  required('old_password', values.old_password, errors);
  checkNewPasswordPair('new_password', 'repeat_new_password', values, errors);
  return result(values, errors);
}

export function resetForm(body: Body) {
  const values = {
    new_password: field(body, 'new_password'),
    repeat_new_password: field(body, 'repeat_new_password'),
  };
  const errors: FieldErrors = {};
  checkNewPasswordPair('new_password', 'repeat_new_password', values, errors);
  return result(values, errors);
}

function checkName(name: string, errors: FieldErrors): void {
  if (name === '') errors.name = 'This field is required.';
  else if (name.length > MAX_NAME_LENGTH)
    errors.name = `Use at most ${MAX_NAME_LENGTH} characters.`;
}

export function padForm(body: Body) {
  const values = { name: field(body, 'name').trim() };
  const errors: FieldErrors = {};
  checkName(values.name, errors);
  return result(values, errors);
}

/** `pad` is validated further against the user's own pads by the caller. */
export function noteForm(body: Body) {
  const values = {
    name: field(body, 'name').trim(),
    text: field(body, 'text').replace(/\r\n?/g, '\n'),
    pad: field(body, 'pad').trim(),
  };
  const errors: FieldErrors = {};
  checkName(values.name, errors);
  if (values.text.trim() === '') errors.text = 'This field is required.';
  else if (values.text.length > MAX_NOTE_TEXT_LENGTH)
    errors.text = `Use at most ${MAX_NOTE_TEXT_LENGTH} characters.`;
  if (values.pad !== '' && !/^[1-9]\d{0,9}$/.test(values.pad))
    errors.pad = 'Choose one of your pads.';
  return result(values, errors);
}
