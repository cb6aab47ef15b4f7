import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CsrfTokens } from './csrf-tokens';
import { Flash } from './flash';
import { EscapedHtml, type Page } from './page';
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
   * The page as UTF-8. A model value that is EscapedHtml (e.g. thousands of note rows): the
   * template renders a marker in its place, and its pieces are written there as the page is
   * encoded, so the page is never one large string. The page's bytes are one buffer of
   * exactly its size, written part by part: the only memory a page takes outside V8's heap,
   * which is freed only once the garbage collector has found the buffer dead (buffers made per
   * piece and then concatenated were three times as much, and kept the process's malloc heap
   * large under load; docs/benchmarks.md, "App").
   */
  private encode(template: string, model: Record<string, unknown>): Buffer {
    const spliced = new Map<string, readonly string[]>();
    for (const [key, value] of Object.entries(model)) {
      if (!(value instanceof EscapedHtml)) continue;
      const marker = `\u0000${this.markerNonce}:${key}\u0000`;
      spliced.set(marker, value.pieces);
      model[key] = marker;
    }
    const html = this.views.render(template, model);
    if (spliced.size === 0) return Buffer.from(html);
    const places = [...spliced]
      .map(([marker, pieces]) => ({ at: html.indexOf(marker), marker, pieces }))
      .filter((place) => place.at >= 0)
      .sort((a, b) => a.at - b.at);
    const parts: string[] = [];
    let from = 0;
    for (const { at, marker, pieces } of places) {
      parts.push(html.slice(from, at), ...pieces);
      from = at + marker.length;
    }
    parts.push(html.slice(from));
    let size = 0;
    for (const part of parts) size += Buffer.byteLength(part);
    const bytes = Buffer.allocUnsafe(size);
    let written = 0;
    for (const part of parts) written += bytes.write(part, written);
    return bytes;
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
