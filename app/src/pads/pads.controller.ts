import {
  Body,
  Controller,
  Get,
  NotFoundException,
  Param,
  Post,
  Query,
  UseGuards,
} from '@nestjs/common';
import { noteTable } from '../notes/note-table';
import { parseNoteOrder } from '../notes/note-order';
import { NotesService } from '../notes/notes.service';
import { FormPipe } from '../web/form.pipe';
import type { FieldErrors } from '../web/forms';
import { page, redirect } from '../web/page';
import { ParseIdPipe } from '../web/parse-id.pipe';
import type { PadLink, SignedInUser } from '../web/request-context';
import { CurrentUser, SignedInGuard, UserPads } from '../web/signed-in.guard';
import { padForm, type PadForm } from './pad.form';
import { PadsService } from './pads.service';

function editPage(pad: PadLink, values: { name: string }, errors: FieldErrors, status = 200) {
  return page(
    'pads/form',
    {
      title: pad.name,
      action: `/pads/${pad.id}/edit/`,
      values,
      errors,
      deleteUrl: `/pads/${pad.id}/delete/`,
      activePadId: pad.id,
    },
    status,
  );
}

/** The user's pad among those the page reads anyway, or 404 (missing or someone else's). */
async function ownPad(userPads: () => Promise<PadLink[]>, id: number): Promise<PadLink> {
  const pad = (await userPads()).find((candidate) => candidate.id === id);
  if (!pad) throw new NotFoundException();
  return pad;
}

@Controller('pads')
@UseGuards(SignedInGuard)
export class PadsController {
  constructor(
    private readonly pads: PadsService,
    private readonly notes: NotesService,
  ) {}

  @Get('create/')
  createForm() {
    return page('pads/form', {
      title: 'New pad',
      action: '/pads/create/',
      values: { name: '' },
      errors: {},
    });
  }

  @Post('create/')
  async create(@CurrentUser() user: SignedInUser, @Body(new FormPipe(padForm)) form: PadForm) {
    if (!form.valid) {
      return page('pads/form', { title: 'New pad', action: '/pads/create/', ...form }, 422);
    }
    await this.pads.create(user.id, form.values.name);
    return redirect('/', 'Pad is successfully created');
  }

  /** The pad's notes. */
  @Get(':id/')
  async notesOf(
    @CurrentUser() user: SignedInUser,
    @Param('id', ParseIdPipe) id: number,
    @Query('order') orderParam: unknown,
    @UserPads() userPads: () => Promise<PadLink[]>,
  ) {
    const order = parseNoteOrder(orderParam);
    const [pad, notes] = await Promise.all([
      ownPad(userPads, id),
      this.notes.list(user.id, order, id),
    ]);
    return page('notes/list', {
      title: `${pad.name} (${notes.length})`,
      showPadColumn: false,
      newNoteUrl: `/notes/create/?pad=${pad.id}`,
      padSettingsUrl: `/pads/${pad.id}/edit/`,
      activePadId: pad.id,
      ...noteTable(notes, order, `/pads/${pad.id}/`),
    });
  }

  @Get(':id/edit/')
  async editForm(
    @Param('id', ParseIdPipe) id: number,
    @UserPads() userPads: () => Promise<PadLink[]>,
  ) {
    const pad = await ownPad(userPads, id);
    return editPage(pad, { name: pad.name }, {});
  }

  @Post(':id/edit/')
  async edit(
    @CurrentUser() user: SignedInUser,
    @Param('id', ParseIdPipe) id: number,
    @Body(new FormPipe(padForm)) form: PadForm,
    @UserPads() userPads: () => Promise<PadLink[]>,
  ) {
    const pad = await ownPad(userPads, id);
    if (!form.valid) return editPage(pad, form.values, form.errors, 422);
    await this.pads.rename(user.id, pad.id, form.values.name);
    return redirect(`/pads/${pad.id}/`, 'Pad is successfully updated');
  }

  @Get(':id/delete/')
  async deleteForm(
    @Param('id', ParseIdPipe) id: number,
    @UserPads() userPads: () => Promise<PadLink[]>,
  ) {
    const pad = await ownPad(userPads, id);
    return page('confirm-delete', {
      title: pad.name,
      name: pad.name,
      warning: 'All notes in this pad will be deleted too.',
      action: `/pads/${pad.id}/delete/`,
      cancelUrl: `/pads/${pad.id}/`,
      activePadId: pad.id,
    });
  }

  @Post(':id/delete/')
  async delete(
    @CurrentUser() user: SignedInUser,
    @Param('id', ParseIdPipe) id: number,
    @UserPads() userPads: () => Promise<PadLink[]>,
  ) {
    const pad = await ownPad(userPads, id);
    await this.pads.delete(user.id, pad.id);
    return redirect('/', 'Pad is successfully deleted');
  }
}
