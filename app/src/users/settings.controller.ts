import { Body, Controller, Get, Post, UseGuards } from '@nestjs/common';
import { MIN_PASSWORD_LENGTH } from '../common/passwords';
import { AttemptLimits, tooManyAttemptsMessage } from '../rate-limits/attempt-limits';
import { FormPipe } from '../web/form.pipe';
import type { FieldErrors } from '../web/forms';
import { page, redirect } from '../web/page';
import type { ActiveSession } from '../web/request-context';
import { CurrentSession, SignedInGuard } from '../web/signed-in.guard';
import { settingsForm, WRONG_OLD_PASSWORD, type SettingsForm } from './settings.form';
import { UsersService } from './users.service';

function settingsPage(errors: FieldErrors, status = 200) {
  return page(
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

@Controller('settings')
@UseGuards(SignedInGuard)
export class SettingsController {
  constructor(
    private readonly users: UsersService,
    private readonly limits: AttemptLimits,
  ) {}

  @Get('/')
  form() {
    return settingsPage({});
  }

  @Post('/')
  async changePassword(
    @CurrentSession() session: ActiveSession,
    @Body(new FormPipe(settingsForm)) form: SettingsForm,
  ) {
    const { user } = session;
    if (!form.valid) return settingsPage(form.errors, 422);
    const attempt = await this.limits.oldPassword(user.id);
    if (attempt.refusedForSeconds > 0) {
      return settingsPage({ old_password: tooManyAttemptsMessage(attempt.refusedForSeconds) }, 429);
    }
    if (!(await this.users.checkPassword(user.id, form.values.old_password))) {
      return settingsPage({ old_password: WRONG_OLD_PASSWORD }, 422);
    }
    await attempt.succeeded();
    // This browser stays signed in; every other session of the user ends.
    await this.users.changePassword(user.id, form.values.new_password, {
      keepSessionId: session.id,
    });
    return redirect('/', 'Your password is successfully changed.');
  }
}
