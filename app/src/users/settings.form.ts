import {
  checkGivenPassword,
  checkNewPasswordPair,
  field,
  result,
  type Body,
  type FieldErrors,
} from '../web/forms';

export const WRONG_OLD_PASSWORD = 'The old password is not right.';

export function settingsForm(body: Body) {
  const values = {
    old_password: field(body, 'old_password'),
    new_password: field(body, 'new_password'),
    repeat_new_password: field(body, 'repeat_new_password'),
  };
  const errors: FieldErrors = {};
  checkGivenPassword('old_password', values.old_password, errors, {
    key: 'old_password',
    message: WRONG_OLD_PASSWORD,
  });
  checkNewPasswordPair('new_password', 'repeat_new_password', values, errors);
  return result(values, errors);
}

export type SettingsForm = ReturnType<typeof settingsForm>;
