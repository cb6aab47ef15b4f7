import { Controller, Get, Param, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import { CurrentUser, SignedInGuard } from '../web/signed-in.guard';
import type { Note, Pad, User } from '../database/entities';
import { Metrics } from '../metrics/metrics';
import { PadsService } from '../pads/pads.service';
import { formatLastChange, lastChangeFormatter } from '../web/dates';
import { flash } from '../web/flash';
import { noteForm, type FieldErrors } from '../web/forms';
import { ParseIdPipe } from '../web/parse-id.pipe';
import { parseNoteOrder, type NoteOrder } from './note-order';
import { Pages } from '../web/pages';
import { NotesService, type NoteFields, type NoteListItem } from './notes.service';

interface NoteFormValues {
  name: string;
  text: string;
  pad: string;
}

/** Rows of a note table with their sort links; shared by the all-notes and pad pages. */
function noteTable(notes: NoteListItem[], order: NoteOrder, basePath: string, now = new Date()) {
  const sortLink = (value: string) => `${basePath}?order=${value}`;
  const lastChange = lastChangeFormatter(now);
  return {
    notes: notes.map((note) => ({
      id: note.id,
      name: note.name,
      pad: note.pad ? { id: note.pad.id, name: note.pad.name } : undefined,
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

/** Where a note's pages lead back to: its pad, or all notes. */
function homeOf(padId: number | null): string {
  return padId === null ? '/' : `/pads/${padId}/`;
}

@Controller()
@UseGuards(SignedInGuard)
export class NotesController {
  constructor(
    private readonly notes: NotesService,
    private readonly pads: PadsService,
    private readonly pages: Pages,
    private readonly metrics: Metrics,
  ) {}

  @Get('/')
  async all(
    @CurrentUser() user: User,
    @Query('order') orderParam: unknown,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    const order = parseNoteOrder(orderParam);
    const notes = await this.notes.list(user.id, order);
    await this.pages.render(req, res, 'notes/list', {
      title: `All notes (${notes.length})`,
      showPadColumn: true,
      newNoteUrl: '/notes/create/',
      ...noteTable(notes, order, '/'),
    });
  }

  @Get('/pads/:id/')
  async padNotes(
    @CurrentUser() user: User,
    @Param('id', ParseIdPipe) id: number,
    @Query('order') orderParam: unknown,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    const pad = await this.pads.findOwned(user.id, id);
    const order = parseNoteOrder(orderParam);
    const notes = await this.notes.list(user.id, order, pad.id);
    await this.pages.render(req, res, 'notes/list', {
      title: `${pad.name} (${notes.length})`,
      showPadColumn: false,
      newNoteUrl: `/notes/create/?pad=${pad.id}`,
      padSettingsUrl: `/pads/${pad.id}/edit/`,
      activePadId: pad.id,
      ...noteTable(notes, order, `/pads/${pad.id}/`),
    });
  }

  @Get('/notes/create/')
  async createForm(
    @CurrentUser() user: User,
    @Query('pad') padParam: unknown,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    const pad = typeof padParam === 'string' && /^\d+$/.test(padParam) ? padParam : '';
    await this.renderForm(req, res, user, 'New note', { name: '', text: '', pad }, {});
  }

  @Post('/notes/create/')
  async create(@CurrentUser() user: User, @Req() req: Request, @Res() res: Response) {
    const fields = await this.validate(user, req);
    if ('errors' in fields)
      return this.renderForm(req, res, user, 'New note', fields.values, fields.errors, 422);
    const note = await this.notes.create(user.id, fields);
    this.metrics.notesCreated.inc();
    flash(req, 'success', 'Note is successfully created');
    res.redirect(homeOf(note.padId));
  }

  @Get('/notes/:id/')
  async view(
    @CurrentUser() user: User,
    @Param('id', ParseIdPipe) id: number,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    const note = await this.notes.findOwned(user.id, id);
    await this.pages.render(req, res, 'notes/view', {
      title: note.name,
      note: {
        id: note.id,
        text: note.text,
        pad: note.pad ? { id: note.pad.id, name: note.pad.name } : undefined,
      },
      lastEdited: formatLastChange(note.updatedAt),
      activePadId: note.padId ?? undefined,
    });
  }

  @Get('/notes/:id/edit/')
  async editForm(
    @CurrentUser() user: User,
    @Param('id', ParseIdPipe) id: number,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    const note = await this.notes.findOwned(user.id, id);
    const values = {
      name: note.name,
      text: note.text,
      pad: note.padId === null ? '' : String(note.padId),
    };
    await this.renderForm(req, res, user, note.name, values, {}, 200, note);
  }

  @Post('/notes/:id/edit/')
  async edit(
    @CurrentUser() user: User,
    @Param('id', ParseIdPipe) id: number,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    const note = await this.notes.findOwned(user.id, id);
    const fields = await this.validate(user, req);
    if ('errors' in fields)
      return this.renderForm(req, res, user, note.name, fields.values, fields.errors, 422, note);
    await this.notes.update(note, fields);
    flash(req, 'success', 'Note is successfully updated');
    res.redirect(homeOf(fields.padId));
  }

  @Get('/notes/:id/delete/')
  async deleteForm(
    @CurrentUser() user: User,
    @Param('id', ParseIdPipe) id: number,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    const note = await this.notes.findOwned(user.id, id);
    await this.pages.render(req, res, 'confirm-delete', {
      title: note.name,
      name: note.name,
      action: `/notes/${note.id}/delete/`,
      cancelUrl: `/notes/${note.id}/`,
      activePadId: note.padId ?? undefined,
    });
  }

  @Post('/notes/:id/delete/')
  async delete(
    @CurrentUser() user: User,
    @Param('id', ParseIdPipe) id: number,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    const note = await this.notes.findOwned(user.id, id);
    await this.notes.delete(note);
    flash(req, 'success', 'Note is successfully deleted');
    res.redirect(homeOf(note.padId));
  }

  /** Valid fields, or the submitted values with their errors; `pad` must be the user's own. */
  private async validate(
    user: User,
    req: Request,
  ): Promise<NoteFields | { values: NoteFormValues; errors: FieldErrors }> {
    const form = noteForm(req.body as Record<string, unknown>);
    const padId = form.values.pad === '' ? null : Number(form.values.pad);
    if (!form.errors.pad && padId !== null && !(await this.pads.isOwned(user.id, padId))) {
      form.errors.pad = 'Choose one of your pads.';
    }
    if (Object.keys(form.errors).length > 0) return { values: form.values, errors: form.errors };
    return { name: form.values.name, text: form.values.text, padId };
  }

  private async renderForm(
    req: Request,
    res: Response,
    user: User,
    title: string,
    values: NoteFormValues,
    errors: FieldErrors,
    status = 200,
    note?: Note,
  ) {
    const pads: Pad[] = await this.pads.listForUser(user.id);
    await this.pages.render(
      req,
      res,
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
}
