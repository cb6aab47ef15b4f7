import { checkName, field, result, type Body, type FieldErrors } from '../web/forms';

export function padForm(body: Body) {
  const values = { name: field(body, 'name').trim() };
  const errors: FieldErrors = {};
  checkName(values.name, errors);
  return result(values, errors);
}
export type PadForm = ReturnType<typeof padForm>;
