import {
  Catch,
  HttpException,
  Logger,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PageRenderer } from './page-renderer';
import { SignInRequired } from './signed-in.guard';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Page Not Found',
  413: 'Too Large',
  415: 'Unsupported Form',
  429: 'Too Many Requests',
};

/**
 * Every error becomes a page: sign-in redirects, 4xx pages (of Nest exceptions and of
 * Fastify's own, e.g. a body over the limit) and a logged 500 that shows no details.
 */
@Catch()
export class PageErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  constructor(private readonly renderer: PageRenderer) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<FastifyRequest>();
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (reply.sent) return;
    if (error instanceof SignInRequired) {
      void reply.redirect(`/signin/?next=${encodeURIComponent(error.next)}`, 302);
      return;
    }
    const status = clientErrorStatus(error);
    if (status !== undefined) {
      const message =
        status === 404
          ? 'There is nothing here. It may have been deleted, or the address is wrong.'
          : clientMessage(error);
      void reply.send(
        this.renderer.renderError(req, reply, status, TITLES[status] ?? 'Error', message),
      );
      return;
    }
    this.logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    void reply.send(
      this.renderer.renderError(
        req,
        reply,
        500,
        'Something Went Wrong',
        'The page could not be shown. Please try again later.',
      ),
    );
  }
}

/** 4xx of Nest exceptions and of Fastify's request handling (FST_* errors carry statusCode). */
function clientErrorStatus(error: unknown): number | undefined {
  if (error instanceof HttpException) {
    const status = error.getStatus();
    return status >= 400 && status < 500 ? status : undefined;
  }
  const { statusCode, code } = (error ?? {}) as { statusCode?: unknown; code?: unknown };
  return typeof code === 'string' &&
    code.startsWith('FST_') &&
    typeof statusCode === 'number' &&
    statusCode >= 400 &&
    statusCode < 500
    ? statusCode
    : undefined;
}

function clientMessage(error: unknown): string {
  if (error instanceof HttpException) return error.message;
  const { statusCode } = error as { statusCode: number };
  if (statusCode === 413) return 'The form is too large to be saved.';
  return 'The request could not be handled.';
}
