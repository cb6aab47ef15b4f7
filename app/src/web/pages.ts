import { Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { csrfToken } from './csrf.guard';
import { PadsService } from '../pads/pads.service';
import { takeFlash } from './flash';
import { Views } from './views';

export interface PageModel {
  title: string;
  /** Account pages (sign in, settings, ...) use the full width without the pads column. */
  accountPage?: boolean;
  /** The pad whose page this is, highlighted in the pads column. */
  activePadId?: number;
  [key: string]: unknown;
}

/** Renders a page inside the layout with what every page needs (user, pads, flash, CSRF). */
@Injectable()
export class Pages {
  constructor(
    private readonly views: Views,
    private readonly pads: PadsService,
  ) {}

  async render(
    req: Request,
    res: Response,
    page: string,
    model: PageModel,
    status = 200,
  ): Promise<void> {
    const user = req.currentUser;
    const pads = user && !model.accountPage ? await this.pads.listForUser(user.id) : [];
    const html = this.views.render(page, {
      ...model,
      user: user ? { email: user.email } : undefined,
      showPads: Boolean(user) && !model.accountPage,
      pads: pads.map((pad) => ({
        id: pad.id,
        name: pad.name,
        active: pad.id === model.activePadId,
      })),
      flash: takeFlash(req),
      csrfToken: csrfToken(req),
    });
    // Private pages: nothing for the back button or a shared cache to show after sign-out.
    res.status(status).type('html').set('Cache-Control', 'no-store').send(html);
  }

  /** For errors rendered outside a signed-in context (no database access). */
  renderError(req: Request, res: Response, status: number, title: string, message: string): void {
    const html = this.views.render('errors/error', {
      title,
      message,
      accountPage: true,
      user: req.currentUser ? { email: req.currentUser.email } : undefined,
      flash: [],
    });
    res.status(status).type('html').send(html);
  }
}
