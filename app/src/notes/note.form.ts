import { characterCount } from '../common/text';
import { checkName, field, result, type Body, type FieldErrors } from '../web/forms';

/** Far above any real note; bounded so one request cannot fill the database. */
export const MAX_NOTE_TEXT_LENGTH = 100_000;

/** `pad` is checked further against the user's own pads by the controller. */
export function noteForm(body: Body) {
  const values = {
    name: field(body, 'name').trim(),
    text: field(body, 'text').replace(/\r\n?/g, '\n'),
    pad: field(body, 'pad').trim(),
  };
  const errors: FieldErrors = {};
  checkName(values.name, errors);
  if (values.text.trim() === '') errors.text = 'This field is required.';
  else if (characterCount(values.text) > MAX_NOTE_TEXT_LENGTH)
    errors.text = `Use at most ${MAX_NOTE_TEXT_LENGTH} characters.`;
  if (values.pad !== '' && !/^[1-9]\d{0,9}$/.test(values.pad))
    errors.pad = 'Choose one of your pads.';
  return result(values, errors);
}
export type NoteForm = ReturnType<typeof noteForm>;
export type NoteFormValues = NoteForm['values'];
