import { Body, Controller, Get, Logger, Param, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { MIN_PASSWORD_LENGTH } from '../common/passwords';
import { AttemptLimits } from '../rate-limits/attempt-limits';
import { UsersService } from '../users/users.service';
import { FormPipe } from '../web/form.pipe';
import type { FieldErrors } from '../web/forms';
import { page, redirect } from '../web/page';
import { emailForm, resetForm, type EmailForm, type ResetForm } from './auth.forms';
import { MailerService } from './mailer.service';
import { PasswordResetsService } from './password-resets.service';

function forgotPage(values: object, errors: FieldErrors, status = 200) {
  return page(
    'auth/forgot-password',
    { title: 'Forgot Password?', accountPage: true, values, errors },
    status,
  );
}

function resetPage(token: string, usable: boolean, errors: FieldErrors, status = 200) {
  return page(
    'auth/reset-password',
    {
      title: 'Choose a New Password',
      accountPage: true,
      usable,
      action: `/reset-password/${token}/`,
      errors,
      minPasswordLength: MIN_PASSWORD_LENGTH,
    },
    status,
  );
}

/** "Forgot password?": a single-use link by e-mail, then a new password. */
@Controller()
export class PasswordResetController {
  private readonly logger = new Logger('PasswordReset');

  constructor(
    private readonly users: UsersService,
    private readonly resets: PasswordResetsService,
    private readonly mailer: MailerService,
    private readonly limits: AttemptLimits,
  ) {}

  @Get('forgot-password/')
  forgotForm() {
    return forgotPage({}, {});
  }

  /** Answers the same whether the account exists, and whether an e-mail was sent at all. */
  @Post('forgot-password/')
  async forgot(@Body(new FormPipe(emailForm)) form: EmailForm, @Req() req: FastifyRequest) {
    if (!form.valid) return forgotPage(form.values, form.errors, 422);
    if (await this.limits.resetEmail(form.account, req.ip)) {
      const user = await this.users.findByEmail(form.account);
      if (user) {
        const link = await this.resets.createLink(user.id);
        // Sent in the background: waiting for SMTP would make known addresses answer slower.
        this.mailer
          .send({
            to: user.email,
            subject: 'Reset your Notejam password',
            text: `Someone asked to reset the password of your Notejam account.\n\nTo choose a new password, open this link within an hour:\n${link}\n\nIf it was not you, ignore this message; your password stays as it is.\n`,
          })
          .catch((error: unknown) =>
            this.logger.error(`sending a password reset e-mail failed: ${String(error)}`),
          );
      }
    }
    return redirect(
      '/signin/',
      'If an account with this e-mail exists, we have sent it a link to choose a new password.',
    );
  }

  @Get('reset-password/:token/')
  async resetForm(@Param('token') token: string) {
    return resetPage(token, (await this.resets.findUsable(token)) !== undefined, {});
  }

  @Post('reset-password/:token/')
  async reset(@Param('token') token: string, @Body(new FormPipe(resetForm)) form: ResetForm) {
    const reset = await this.resets.findUsable(token);
    if (!reset) return resetPage(token, false, {}, 404);
    if (!form.valid) return resetPage(token, true, form.errors, 422);
    // Every session of the user ends, and every other link of the user dies.
    const changed = await this.users.changePassword(reset.userId, form.values.new_password, {
      resetTokenHash: reset.tokenHash,
    });
    if (!changed) return resetPage(token, false, {}, 404);
    return redirect('/signin/', 'Your password is successfully changed. Now you can sign in.');
  }
}
