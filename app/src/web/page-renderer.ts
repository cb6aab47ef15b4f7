import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CsrfTokens } from './csrf-tokens';
import { Flash } from './flash';
import type { Page } from './page';
import { Views } from './views';

/** Renders pages inside the layout with what every page needs (user, pads, flash, CSRF token). */
@Injectable()
export class PageRenderer {
  constructor(
    private readonly views: Views,
    private readonly csrf: CsrfTokens,
    private readonly flash: Flash,
  ) {}

  /** Sends `page`, adding `cookies` to those the page itself sets. */
  async send(
    req: FastifyRequest,
    reply: FastifyReply,
    { template, model, status }: Page,
    cookies: string[] = [],
  ): Promise<string> {
    const user = req.session?.user;
    const showPads = user !== undefined && !model.accountPage;
    const pads = showPads && req.userPads ? await req.userPads() : [];
    const setCookies = [...cookies];
    const flashCleared = this.flash.clear(req);
    if (flashCleared) setCookies.push(flashCleared);
    const layoutModel = {
      ...model,
      user: user ? { email: user.email } : undefined,
      showPads,
      pads: pads.map((pad) => ({
        id: pad.id,
        name: pad.name,
        active: pad.id === model.activePadId,
      })),
      flash: this.flash.waiting(req),
    };
    // Worked out only for pages with a form (the csrf partial reads it); not enumerable, so
    // copying the model for the layout does not work it out either.
    let csrfToken: string | undefined;
    Object.defineProperty(layoutModel, 'csrfToken', {
      enumerable: false,
      get: () => {
        if (csrfToken === undefined) {
          const issued = this.csrf.issue(req);
          csrfToken = issued.token;
          if (issued.setCookie) setCookies.push(issued.setCookie);
        }
        return csrfToken;
      },
    });
    const html = this.views.render(template, layoutModel);
    if (setCookies.length > 0) reply.header('set-cookie', setCookies);
    // Private pages: nothing for the back button or a shared cache to show after sign-out.
    reply.status(status).type('text/html; charset=utf-8').header('cache-control', 'no-store');
    return html;
  }

  /** An error page: no pads, no flash, no form; safe to render whatever went wrong. */
  renderError(
    req: FastifyRequest,
    reply: FastifyReply,
    status: number,
    title: string,
    message: string,
  ): string {
    const user = req.session?.user;
    reply.status(status).type('text/html; charset=utf-8').header('cache-control', 'no-store');
    return this.views.render('errors/error', {
      title,
      message,
      accountPage: true,
      user: user ? { email: user.email } : undefined,
      flash: [],
    });
  }
}
