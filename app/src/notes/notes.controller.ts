import { Body, Controller, Get, Param, Post, Query, UseGuards } from '@nestjs/common';
import { Metrics } from '../metrics/metrics';
import { formatLastChange } from '../web/dates';
import { FormPipe } from '../web/form.pipe';
import type { FieldErrors } from '../web/forms';
import { page, redirect } from '../web/page';
import { ParseIdPipe } from '../web/parse-id.pipe';
import type { PadLink, SignedInUser } from '../web/request-context';
import { CurrentUser, SignedInGuard, UserPads } from '../web/signed-in.guard';
import { noteForm, type NoteForm, type NoteFormValues } from './note.form';
import { parseNoteOrder } from './note-order';
import { noteTable } from './note-table';
import { NotesService, type Note, type NoteFields } from './notes.service';

/** Where a note's pages lead back to: its pad, or all notes. */
function homeOf(padId: number | null): string {
  return padId === null ? '/' : `/pads/${padId}/`;
}

function notePage(
  title: string,
  values: NoteFormValues,
  errors: FieldErrors,
  pads: PadLink[],
  note?: Note,
  status = 200,
) {
  return page(
    'notes/form',
    {
      title,
      action: note ? `/notes/${note.id}/edit/` : '/notes/create/',
      values,
      errors,
      padOptions: pads.map((pad) => ({
        id: pad.id,
        name: pad.name,
        selected: String(pad.id) === values.pad,
      })),
      deleteUrl: note ? `/notes/${note.id}/delete/` : undefined,
      activePadId: note?.padId ?? undefined,
    },
    status,
  );
}

/** A valid form's fields, or its errors; `pad` must be one of the user's own pads. */
function checkNote(
  form: NoteForm,
  pads: PadLink[],
): { fields: NoteFields } | { errors: FieldErrors } {
  const padId = form.values.pad === '' ? null : Number(form.values.pad);
  const errors = { ...form.errors };
  if (!errors.pad && padId !== null && !pads.some((pad) => pad.id === padId)) {
    errors.pad = 'Choose one of your pads.';
  }
  if (Object.keys(errors).length > 0) return { errors };
  return { fields: { name: form.values.name, text: form.values.text, padId } };
}

@Controller()
@UseGuards(SignedInGuard)
export class NotesController {
  constructor(
    private readonly notes: NotesService,
    private readonly metrics: Metrics,
  ) {}

  @Get('/')
  async all(
    @CurrentUser() user: SignedInUser,
    @Query('order') orderParam: unknown,
    @UserPads() userPads: () => Promise<PadLink[]>,
  ) {
    const order = parseNoteOrder(orderParam);
    const [notes, pads] = await Promise.all([this.notes.list(user.id, order), userPads()]);
    return page('notes/list', {
      title: `All notes (${notes.length})`,
      showPadColumn: true,
      newNoteUrl: '/notes/create/',
      ...noteTable(notes, order, '/', pads),
    });
  }

  @Get('notes/create/')
  async createForm(
    @Query('pad') padParam: unknown,
    @UserPads() userPads: () => Promise<PadLink[]>,
  ) {
    const pad = typeof padParam === 'string' && /^\d+$/.test(padParam) ? padParam : '';
    return notePage('New note', { name: '', text: '', pad }, {}, await userPads());
  }

  @Post('notes/create/')
  async create(
    @CurrentUser() user: SignedInUser,
    @Body(new FormPipe(noteForm)) form: NoteForm,
    @UserPads() userPads: () => Promise<PadLink[]>,
  ) {
    const pads = await userPads();
    const checked = checkNote(form, pads);
    if ('errors' in checked)
      return notePage('New note', form.values, checked.errors, pads, undefined, 422);
    await this.notes.create(user.id, checked.fields);
    this.metrics.notesCreated.inc();
    return redirect(homeOf(checked.fields.padId), 'Note is successfully created');
  }

  @Get('notes/:id/')
  async view(
    @CurrentUser() user: SignedInUser,
    @Param('id', ParseIdPipe) id: number,
    @UserPads() userPads: () => Promise<PadLink[]>,
  ) {
    const [note, pads] = await Promise.all([this.notes.findOwned(user.id, id), userPads()]);
    return page('notes/view', {
      title: note.name,
      note: { id: note.id, text: note.text, pad: pads.find((pad) => pad.id === note.padId) },
      lastEdited: formatLastChange(note.updatedAt),
      activePadId: note.padId ?? undefined,
    });
  }

  @Get('notes/:id/edit/')
  async editForm(
    @CurrentUser() user: SignedInUser,
    @Param('id', ParseIdPipe) id: number,
    @UserPads() userPads: () => Promise<PadLink[]>,
  ) {
    const [note, pads] = await Promise.all([this.notes.findOwned(user.id, id), userPads()]);
    const values = {
      name: note.name,
      text: note.text,
      pad: note.padId === null ? '' : String(note.padId),
    };
    return notePage(note.name, values, {}, pads, note);
  }

  @Post('notes/:id/edit/')
  async edit(
    @CurrentUser() user: SignedInUser,
    @Param('id', ParseIdPipe) id: number,
    @Body(new FormPipe(noteForm)) form: NoteForm,
    @UserPads() userPads: () => Promise<PadLink[]>,
  ) {
    const [note, pads] = await Promise.all([this.notes.findOwned(user.id, id), userPads()]);
    const checked = checkNote(form, pads);
    if ('errors' in checked)
      return notePage(note.name, form.values, checked.errors, pads, note, 422);
    await this.notes.update(user.id, note.id, checked.fields);
    return redirect(homeOf(checked.fields.padId), 'Note is successfully updated');
  }

  @Get('notes/:id/delete/')
  async deleteForm(@CurrentUser() user: SignedInUser, @Param('id', ParseIdPipe) id: number) {
    const note = await this.notes.findOwned(user.id, id);
    return page('confirm-delete', {
      title: note.name,
      name: note.name,
      action: `/notes/${note.id}/delete/`,
      cancelUrl: `/notes/${note.id}/`,
      activePadId: note.padId ?? undefined,
    });
  }

  @Post('notes/:id/delete/')
  async delete(@CurrentUser() user: SignedInUser, @Param('id', ParseIdPipe) id: number) {
    const note = await this.notes.findOwned(user.id, id);
    await this.notes.delete(user.id, note.id);
    return redirect(homeOf(note.padId), 'Note is successfully deleted');
  }
}
