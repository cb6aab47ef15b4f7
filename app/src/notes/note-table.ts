import type { PadLink } from '../web/request-context';
import type { NoteOrder } from './note-order';
import { noteRowsHtml } from './note-rows';
import type { NoteListItem } from './notes.service';

/**
 * The model of a note table with its sort links: the all-notes page (with the pad column,
 * its names from `pads`) and a pad's page.
 */
export function noteTable(
  notes: NoteListItem[],
  order: NoteOrder,
  basePath: string,
  pads?: PadLink[],
) {
  const sortLink = (value: string) => `${basePath}?order=${value}`;
  return {
    count: notes.length,
    rows: noteRowsHtml(notes, pads),
    order,
    sort: {
      nameAsc: sortLink('name'),
      nameDesc: sortLink('-name'),
      updatedAsc: sortLink('updated_at'),
      updatedDesc: sortLink('-updated_at'),
    },
  };
}
