// What a page controller returns; PageInterceptor turns it into the response.
import type { FlashMessage } from './flash';

export interface PageModel {
  title: string;
  /** Account pages (sign in, settings, ...) use the full width without the pads column. */
  accountPage?: boolean;
  /** The pad whose page this is, highlighted in the pads column. */
  activePadId?: number;
  [key: string]: unknown;
}

/**
 * HTML a feature wrote and escaped itself, in pieces (e.g. thousands of note rows): a model
 * value the page inserts with `{{{ }}}`, spliced in by PageRenderer as it encodes the page,
 * so the page never becomes one large string (see PageRenderer.encode).
 */
export class EscapedHtml {
  constructor(readonly pieces: readonly string[]) {}
}

/** A template rendered inside the layout. */
export class Page {
  constructor(
    readonly template: string,
    readonly model: PageModel,
    readonly status = 200,
  ) {}
}

/** A redirect (302, or 303 after a POST as browsers treat it alike), with a message for the next page. */
export class Redirect {
  constructor(
    readonly url: string,
    readonly flash?: FlashMessage,
    /** Set-Cookie values to send with it (a session started or ended). */
    readonly cookies: string[] = [],
  ) {}
}

export function page(template: string, model: PageModel, status = 200): Page {
  return new Page(template, model, status);
}

export function redirect(url: string, success?: string, cookies?: string[]): Redirect {
  return new Redirect(
    url,
    success === undefined ? undefined : { kind: 'success', text: success },
    cookies,
  );
}
