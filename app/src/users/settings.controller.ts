import { Controller, Get, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import { MIN_PASSWORD_LENGTH } from '../common/passwords';
import { DatabaseSessionStore } from '../sessions/session-store';
import { CurrentUser, SignedInGuard } from '../web/signed-in.guard';
import type { User } from '../database/entities';
import { flash } from '../web/flash';
import { settingsForm, type FieldErrors } from '../web/forms';
import { Pages } from '../web/pages';
import { UsersService } from './users.service';

@Controller('settings')
@UseGuards(SignedInGuard)
export class SettingsController {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: DatabaseSessionStore,
    private readonly pages: Pages,
  ) {}

  @Get('/')
  async form(@Req() req: Request, @Res() res: Response) {
    await this.render(req, res, {}, 200);
  }

  @Post('/')
  async changePassword(@CurrentUser() user: User, @Req() req: Request, @Res() res: Response) {
    const form = settingsForm(req.body as Record<string, unknown>);
    if (
      !form.errors.old_password &&
      form.values.old_password !== '' &&
      !(await this.users.checkPassword(user, form.values.old_password))
    ) {
      form.errors.old_password = 'The old password is not right.';
    }
    if (Object.keys(form.errors).length > 0) return this.render(req, res, form.errors, 422);
    await this.users.setPassword(user.id, form.values.new_password);
    // This browser stays signed in; every other session of the user ends.
    await this.sessions.destroyOthers(user.id, req.sessionID);
    flash(req, 'success', 'Your password is successfully changed.');
    res.redirect('/');
  }

  private render(req: Request, res: Response, errors: FieldErrors, status: number) {
    return this.pages.render(
      req,
      res,
      'users/settings',
      {
        title: 'Account Settings',
        accountPage: true,
        errors,
        minPasswordLength: MIN_PASSWORD_LENGTH,
      },
      status,
    );
  }
}
