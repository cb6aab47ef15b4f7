import Handlebars from 'handlebars';
import { lastChangeFormatter } from '../web/dates';
import { EscapedHtml } from '../web/page';
import type { PadLink } from '../web/request-context';
import type { NoteListItem } from './notes.service';

const escape = Handlebars.Utils.escapeExpression;

/** Rows per piece: each piece stays a small string (no large-object allocation). */
const ROWS_PER_PIECE = 200;

/**
 * The rows of a note table as HTML, every name escaped here (the list template inserts them
 * with `{{{rows}}}`, see PageRenderer). Written out rather than templated: a list can have
 * thousands of rows, and running Handlebars' helpers per row was a fifth of the all-notes
 * page's CPU time; in pieces of ROWS_PER_PIECE rows, so the page never becomes one large
 * string for the garbage collector.
 */
export function noteRowsHtml(
  notes: NoteListItem[],
  pads?: PadLink[],
  now = new Date(),
): EscapedHtml {
  const lastChange = lastChangeFormatter(now);
  const padCells = new Map<number | null, string>([
    [null, '<td class="note-pad"><span class="muted">No pad</span></td>'],
  ]);
  for (const pad of pads ?? []) {
    padCells.set(
      pad.id,
      `<td class="note-pad"><a href="/pads/${pad.id}/">${escape(pad.name)}</a></td>`,
    );
  }
  const pieces: string[] = [];
  let html = '';
  for (let i = 0; i < notes.length; i++) {
    const note = notes[i];
    html += `<tr><td class="note-name"><a href="/notes/${note.id}/">${escape(note.name)}</a></td>`;
    if (pads) html += padCells.get(note.padId) ?? padCells.get(null);
    html += `<td class="date">${lastChange(note.updatedAt)}</td></tr>`;
    if ((i + 1) % ROWS_PER_PIECE === 0) {
      pieces.push(html);
      html = '';
    }
  }
  pieces.push(html);
  return new EscapedHtml(pieces);
}
