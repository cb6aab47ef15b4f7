import { setTimeout as sleep } from 'node:timers/promises';
import { Body, Controller, Get, Post, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { MIN_PASSWORD_LENGTH } from '../common/passwords';
import { Metrics } from '../metrics/metrics';
import { AttemptLimits, tooManyAttemptsMessage } from '../rate-limits/attempt-limits';
import { SessionsService } from '../sessions/sessions.service';
import { EmailTakenError, UsersService } from '../users/users.service';
import { FormPipe } from '../web/form.pipe';
import type { FieldErrors } from '../web/forms';
import { safeNextPath } from '../web/local-path';
import { page, redirect } from '../web/page';
import {
  signInForm,
  signUpForm,
  WRONG_CREDENTIALS,
  type SignInForm,
  type SignUpForm,
} from './auth.forms';

function signUpPage(values: object, errors: FieldErrors, status = 200) {
  return page(
    'auth/signup',
    { title: 'Sign Up', accountPage: true, values, errors, minPasswordLength: MIN_PASSWORD_LENGTH },
    status,
  );
}

function signInPage(values: object, errors: FieldErrors, next: string, status = 200) {
  const action = next === '/' ? '/signin/' : `/signin/?next=${encodeURIComponent(next)}`;
  return page(
    'auth/signin',
    { title: 'Sign In', accountPage: true, values, errors, action },
    status,
  );
}

/** Sign-up, sign-in and sign-out. */
@Controller()
export class AuthController {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly limits: AttemptLimits,
    private readonly metrics: Metrics,
  ) {}

  @Get('signup/')
  signUpForm() {
    return signUpPage({ email: '' }, {});
  }

  @Post('signup/')
  async signUp(@Body(new FormPipe(signUpForm)) form: SignUpForm, @Req() req: FastifyRequest) {
    if (!form.valid) return signUpPage(form.values, form.errors, 422);
    const refusedFor = await this.limits.signUp(req.ip);
    if (refusedFor > 0)
      return signUpPage(form.values, { email: tooManyAttemptsMessage(refusedFor) }, 429);
    try {
      await this.users.create(form.values.email, form.values.password);
    } catch (error) {
      if (!(error instanceof EmailTakenError)) throw error;
      return signUpPage(form.values, { email: 'This e-mail is already registered.' }, 422);
    }
    this.metrics.signUps.inc();
    return redirect('/signin/', 'Account is created. Now you can sign in.');
  }

  @Get('signin/')
  signInForm(@Query('next') next: unknown) {
    return signInPage({ email: '' }, {}, safeNextPath(next));
  }

  @Post('signin/')
  async signIn(
    @Query('next') next: unknown,
    @Body(new FormPipe(signInForm)) form: SignInForm,
    @Req() req: FastifyRequest,
  ) {
    const nextPath = safeNextPath(next);
    if (!form.valid) return signInPage(form.values, form.errors, nextPath, 422);
    const attempt = await this.limits.signIn(form.account, req.ip);
    if (attempt.refusedForSeconds > 0) {
      const message = tooManyAttemptsMessage(attempt.refusedForSeconds);
      return signInPage(form.values, { form: message }, nextPath, 429);
    }
    if (attempt.delayMs > 0) await sleep(attempt.delayMs);
    const account = await this.users.authenticate(form.values.email, form.values.password);
    if (!account) return signInPage(form.values, { form: WRONG_CREDENTIALS }, nextPath, 422);
    await attempt.succeeded();
    // A new session (and id) on every sign-in, so an id planted before sign-in is worthless.
    const cookie = await this.sessions.start(req, account);
    return redirect(nextPath, 'You are signed in!', [cookie]);
  }

  @Get('signout/')
  async signOut(@Req() req: FastifyRequest) {
    return redirect('/signin/', undefined, [await this.sessions.end(req)]);
  }
}
