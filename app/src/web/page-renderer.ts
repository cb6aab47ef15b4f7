import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CsrfTokens } from './csrf-tokens';
import { Flash } from './flash';
import type { Page } from './page';
import { Views } from './views';

/** Renders pages inside the layout with what every page needs (user, pads, flash, CSRF token). */
@Injectable()
export class PageRenderer {
  /** Part of every splice marker: random, so no name a user typed can pose as one. */
  private readonly markerNonce = randomBytes(12).toString('hex');

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
  ): Promise<Buffer> {
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
    // Encoded once here; from a string, Fastify would measure its UTF-8 length and Node
    // encode it again to write it.
    const html = this.encode(template, layoutModel);
    if (setCookies.length > 0) reply.header('set-cookie', setCookies);
    // Private pages: nothing for the back button or a shared cache to show after sign-out.
    reply.status(status).type('text/html; charset=utf-8').header('cache-control', 'no-store');
    return html;
  }

  /**
   * The page as UTF-8. A model value that is a Buffer is HTML its feature escaped and encoded
   * itself (e.g. thousands of note rows): the template renders a marker in its place, and the
   * buffer is spliced in there, so the page is never one large string.
   */
  private encode(template: string, model: Record<string, unknown>): Buffer {
    const spliced = new Map<string, Buffer>();
    for (const [key, value] of Object.entries(model)) {
      if (!Buffer.isBuffer(value)) continue;
      const marker = `\u0000${this.markerNonce}:${key}\u0000`;
      spliced.set(marker, value);
      model[key] = marker;
    }
    const html = this.views.render(template, model);
    if (spliced.size === 0) return Buffer.from(html);
    const places = [...spliced]
      .map(([marker, buffer]) => ({ at: html.indexOf(marker), marker, buffer }))
      .filter((place) => place.at >= 0)
      .sort((a, b) => a.at - b.at);
    const parts: Buffer[] = [];
    let from = 0;
    for (const { at, marker, buffer } of places) {
      parts.push(Buffer.from(html.slice(from, at)), buffer);
      from = at + marker.length;
    }
    parts.push(Buffer.from(html.slice(from)));
    return Buffer.concat(parts);
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
