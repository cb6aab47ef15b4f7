import {
  Catch,
  HttpException,
  Logger,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { SignInRequired } from '../web/signed-in.guard';
import { Pages } from './pages';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Page Not Found',
  413: 'Too Large',
  429: 'Too Many Requests',
};

/** Every error becomes a page: sign-in redirects, 403/404 pages, and a logged 500. */
@Catch()
export class PageErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  constructor(private readonly pages: Pages) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) return;
    if (error instanceof SignInRequired) {
      res.redirect(`/signin/?next=${encodeURIComponent(error.next)}`);
      return;
    }
    const status = clientErrorStatus(error);
    if (status !== undefined) {
      const message =
        status === 404
          ? 'There is nothing here. It may have been deleted, or the address is wrong.'
          : clientMessage(error);
      this.pages.renderError(req, res, status, TITLES[status] ?? 'Error', message);
      return;
    }
    this.logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    this.pages.renderError(
      req,
      res,
      500,
      'Something Went Wrong',
      'The page could not be shown. Please try again later.',
    );
  }
}

/** 4xx of Nest exceptions and of express middleware errors (http-errors, e.g. a too large body). */
function clientErrorStatus(error: unknown): number | undefined {
  const status =
    error instanceof HttpException
      ? error.getStatus()
      : (error as { status?: unknown; expose?: unknown } | null)?.status;
  const exposed =
    error instanceof HttpException || (error as { expose?: unknown } | null)?.expose === true;
  return exposed && typeof status === 'number' && status >= 400 && status < 500
    ? status
    : undefined;
}

function clientMessage(error: unknown): string {
  return error instanceof Error ? error.message : 'The request could not be handled.';
}
