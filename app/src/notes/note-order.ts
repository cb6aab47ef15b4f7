/** The four orders of a note list, by their `?order=` value (names by their sort key). */
export const NOTE_ORDERS = {
  name: { column: 'name_sort_key', direction: 'ASC' },
  '-name': { column: 'name_sort_key', direction: 'DESC' },
  updated_at: { column: 'updated_at', direction: 'ASC' },
  '-updated_at': { column: 'updated_at', direction: 'DESC' },
} as const;

export type NoteOrder = keyof typeof NOTE_ORDERS;
export const DEFAULT_NOTE_ORDER: NoteOrder = '-updated_at';

/** Unknown or repeated values fall back to the default. */
export function parseNoteOrder(value: unknown): NoteOrder {
  return typeof value === 'string' && Object.hasOwn(NOTE_ORDERS, value)
    ? (value as NoteOrder)
    : DEFAULT_NOTE_ORDER;
}
