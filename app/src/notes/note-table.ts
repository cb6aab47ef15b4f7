import { lastChangeFormatter } from '../web/dates';
import type { PadLink } from '../web/request-context';
import type { NoteOrder } from './note-order';
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
  now = new Date(),
) {
  const sortLink = (value: string) => `${basePath}?order=${value}`;
  const lastChange = lastChangeFormatter(now);
  const padsById = new Map(pads?.map((pad) => [pad.id, pad]));
  return {
    notes: notes.map((note) => ({
      id: note.id,
      name: note.name,
      pad: note.padId === null ? undefined : padsById.get(note.padId),
      updated: lastChange(note.updatedAt),
    })),
    order,
    sort: {
      nameAsc: sortLink('name'),
      nameDesc: sortLink('-name'),
      updatedAsc: sortLink('updated_at'),
      updatedDesc: sortLink('-updated_at'),
    },
  };
}
