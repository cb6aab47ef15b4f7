import { Controller, Get, Inject, Logger, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { Metrics } from '../metrics/metrics';
import { EmailTakenError, UsersService } from '../users/users.service';
import { flash } from '../web/flash';
import { emailForm, resetForm, signInForm, signUpForm } from '../web/forms';
import { safeNextPath } from '../web/local-path';
import { Pages } from '../web/pages';
import { Mailer } from './mailer.service';
import { PasswordResetsService } from './password-resets.service';
import { MIN_PASSWORD_LENGTH } from '../common/passwords';
import { RateLimiter, tooManyAttemptsMessage } from './rate-limiter';
import { regenerateSession } from '../sessions/regenerate-session';

/** Injection token of the limiter shared by sign-in, sign-up and reset requests. */
export const AUTH_RATE_LIMITER = Symbol('AUTH_RATE_LIMITER');

@Controller()
export class AuthController {
  private readonly logger = new Logger('Auth');

  constructor(
    private readonly users: UsersService,
    private readonly resets: PasswordResetsService,
    private readonly mailer: Mailer,
    private readonly pages: Pages,
    private readonly metrics: Metrics,
    @Inject(AUTH_RATE_LIMITER) private readonly limiter: RateLimiter,
  ) {}

  @Get('signup/')
  async signUpForm(@Req() req: Request, @Res() res: Response) {
    await this.renderSignUp(req, res, { email: '' }, {});
  }

  @Post('signup/')
  async signUp(@Req() req: Request, @Res() res: Response) {
    const form = signUpForm(req.body as Record<string, unknown>);
    const wait = this.limiter.hit(`signup:ip:${req.ip}`);
    if (wait > 0)
      return this.renderSignUp(req, res, form.values, { email: tooManyAttemptsMessage(wait) }, 429);
    if (!form.valid) return this.renderSignUp(req, res, form.values, form.errors, 422);
    try {
      await this.users.create(form.values.email, form.values.password);
    } catch (error) {
      if (!(error instanceof EmailTakenError)) throw error;
      return this.renderSignUp(
        req,
        res,
        form.values,
        { email: 'This e-mail is already registered.' },
        422,
      );
    }
    this.metrics.signUps.inc();
    flash(req, 'success', 'Account is created. Now you can sign in.');
    res.redirect('/signin/');
  }

  @Get('signin/')
  async signInForm(@Query('next') next: unknown, @Req() req: Request, @Res() res: Response) {
    await this.renderSignIn(req, res, { email: '' }, {}, safeNextPath(next));
  }

  @Post('signin/')
  async signIn(@Query('next') next: unknown, @Req() req: Request, @Res() res: Response) {
    const nextPath = safeNextPath(next);
    const form = signInForm(req.body as Record<string, unknown>);
    if (!form.valid) return this.renderSignIn(req, res, form.values, form.errors, nextPath, 422);
    const account = form.values.email.toLowerCase();
    const wait = this.limiter.hitAll([`signin:ip:${req.ip}`, `signin:account:${account}`]);
    if (wait > 0)
      return this.renderSignIn(
        req,
        res,
        form.values,
        { form: tooManyAttemptsMessage(wait) },
        nextPath,
        429,
      );
    const user = await this.users.authenticate(form.values.email, form.values.password);
    if (!user)
      return this.renderSignIn(
        req,
        res,
        form.values,
        { form: 'Wrong email or password' },
        nextPath,
        422,
      );
    // A fresh session id on sign-in, so an id planted before sign-in is worthless.
    await regenerateSession(req);
    req.session.userId = user.id;
    flash(req, 'success', 'You are signed in!');
    res.redirect(nextPath);
  }

  @Get('signout/')
  async signOut(@Req() req: Request, @Res() res: Response) {
    await new Promise<void>((resolve, reject) =>
      req.session.destroy((error) => (error ? reject(error) : resolve())),
    );
    res.redirect('/signin/');
  }

  @Get('forgot-password/')
  async forgotForm(@Req() req: Request, @Res() res: Response) {
    await this.pages.render(req, res, 'auth/forgot-password', {
      title: 'Forgot Password?',
      accountPage: true,
      values: {},
      errors: {},
    });
  }

  @Post('forgot-password/')
  async forgot(@Req() req: Request, @Res() res: Response) {
    const form = emailForm(req.body as Record<string, unknown>);
    const render = (errors: Record<string, string>, status: number) =>
      this.pages.render(
        req,
        res,
        'auth/forgot-password',
        { title: 'Forgot Password?', accountPage: true, ...form, errors },
        status,
      );
    if (!form.valid) return render(form.errors, 422);
    const wait = this.limiter.hitAll([
      `reset:ip:${req.ip}`,
      `reset:account:${form.values.email.toLowerCase()}`,
    ]);
    if (wait > 0) return render({ email: tooManyAttemptsMessage(wait) }, 429);
    const user = await this.users.findByEmail(form.values.email);
    if (user) {
      const link = await this.resets.createLink(user);
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
    flash(
      req,
      'success',
      'If an account with this e-mail exists, we have sent it a link to choose a new password.',
    );
    res.redirect('/signin/');
  }

  @Get('reset-password/:token/')
  async resetForm(@Param('token') token: string, @Req() req: Request, @Res() res: Response) {
    const reset = await this.resets.findUsable(token);
    await this.renderReset(req, res, token, reset !== null, {});
  }

  @Post('reset-password/:token/')
  async reset(@Param('token') token: string, @Req() req: Request, @Res() res: Response) {
    const reset = await this.resets.findUsable(token);
    if (!reset) return this.renderReset(req, res, token, false, {}, 404);
    const form = resetForm(req.body as Record<string, unknown>);
    if (!form.valid) return this.renderReset(req, res, token, true, form.errors, 422);
    if (!(await this.resets.complete(reset, form.values.new_password))) {
      return this.renderReset(req, res, token, false, {}, 404);
    }
    flash(req, 'success', 'Your password is successfully changed. Now you can sign in.');
    res.redirect('/signin/');
  }

  private renderSignUp(
    req: Request,
    res: Response,
    values: object,
    errors: Record<string, string>,
    status = 200,
  ) {
    return this.pages.render(
      req,
      res,
      'auth/signup',
      {
        title: 'Sign Up',
        accountPage: true,
        values,
        errors,
        minPasswordLength: MIN_PASSWORD_LENGTH,
      },
      status,
    );
  }

  private renderSignIn(
    req: Request,
    res: Response,
    values: object,
    errors: Record<string, string>,
    next: string,
    status = 200,
  ) {
    const action = next === '/' ? '/signin/' : `/signin/?next=${encodeURIComponent(next)}`;
    return this.pages.render(
      req,
      res,
      'auth/signin',
      { title: 'Sign In', accountPage: true, values, errors, action },
      status,
    );
  }

  private renderReset(
    req: Request,
    res: Response,
    token: string,
    usable: boolean,
    errors: Record<string, string>,
    status = 200,
  ) {
    return this.pages.render(
      req,
      res,
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
}
