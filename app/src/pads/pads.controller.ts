import { Controller, Get, Param, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import { CurrentUser, SignedInGuard } from '../web/signed-in.guard';
import type { User } from '../database/entities';
import { flash } from '../web/flash';
import { padForm } from '../web/forms';
import { ParseIdPipe } from '../web/parse-id.pipe';
import { Pages } from '../web/pages';
import { PadsService } from './pads.service';

@Controller('pads')
@UseGuards(SignedInGuard)
export class PadsController {
  constructor(
    private readonly pads: PadsService,
    private readonly pages: Pages,
  ) {}

  @Get('create/')
  async createForm(@Req() req: Request, @Res() res: Response) {
    await this.pages.render(req, res, 'pads/form', {
      title: 'New pad',
      action: '/pads/create/',
      values: { name: '' },
      errors: {},
    });
  }

  @Post('create/')
  async create(@CurrentUser() user: User, @Req() req: Request, @Res() res: Response) {
    const form = padForm(req.body as Record<string, unknown>);
    if (!form.valid) {
      return this.pages.render(
        req,
        res,
        'pads/form',
        { title: 'New pad', action: '/pads/create/', ...form },
        422,
      );
    }
    await this.pads.create(user.id, form.values.name);
    flash(req, 'success', 'Pad is successfully created');
    res.redirect('/');
  }

  @Get(':id/edit/')
  async editForm(
    @CurrentUser() user: User,
    @Param('id', ParseIdPipe) id: number,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    const pad = await this.pads.findOwned(user.id, id);
    await this.pages.render(
      req,
      res,
      'pads/form',
      this.editModel(pad.id, pad.name, { name: pad.name }, {}),
    );
  }

  @Post(':id/edit/')
  async edit(
    @CurrentUser() user: User,
    @Param('id', ParseIdPipe) id: number,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    const pad = await this.pads.findOwned(user.id, id);
    const form = padForm(req.body as Record<string, unknown>);
    if (!form.valid)
      return this.pages.render(
        req,
        res,
        'pads/form',
        this.editModel(pad.id, pad.name, form.values, form.errors),
        422,
      );
    await this.pads.rename(pad, form.values.name);
    flash(req, 'success', 'Pad is successfully updated');
    res.redirect(`/pads/${pad.id}/`);
  }

  @Get(':id/delete/')
  async deleteForm(
    @CurrentUser() user: User,
    @Param('id', ParseIdPipe) id: number,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    const pad = await this.pads.findOwned(user.id, id);
    await this.pages.render(req, res, 'confirm-delete', {
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
    @CurrentUser() user: User,
    @Param('id', ParseIdPipe) id: number,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    const pad = await this.pads.findOwned(user.id, id);
    await this.pads.delete(pad);
    flash(req, 'success', 'Pad is successfully deleted');
    res.redirect('/');
  }

  private editModel(
    id: number,
    name: string,
    values: { name: string },
    errors: Record<string, string>,
  ) {
    return {
      title: name,
      action: `/pads/${id}/edit/`,
      values,
      errors,
      deleteUrl: `/pads/${id}/delete/`,
      activePadId: id,
    };
  }
}
