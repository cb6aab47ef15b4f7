import {
  Inject,
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { mergeMap, type Observable } from 'rxjs';
import { Flash } from './flash';
import { Page, Redirect } from './page';
import { PageRenderer } from './page-renderer';
import type { PadLink } from './request-context';

/** Where the layout gets the signed-in user's pads from (the pads feature provides it). */
export interface PadLinks {
  listFor(userId: number): Promise<PadLink[]>;
}
export const PAD_LINKS = Symbol('PAD_LINKS');

/**
 * Turns what page controllers return (a Page or a Redirect) into the response, and gives
 * the request its once-only reader of the user's pads before the controller runs.
 */
@Injectable()
export class PageInterceptor implements NestInterceptor {
  constructor(
    private readonly renderer: PageRenderer,
    private readonly flash: Flash,
    @Inject(PAD_LINKS) private readonly padLinks: PadLinks,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const req = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const userId = req.session?.user.id;
    if (userId !== undefined) {
      let pads: Promise<PadLink[]> | undefined;
      req.userPads = () => (pads ??= this.padLinks.listFor(userId));
    }
    return next.handle().pipe(mergeMap((result: unknown) => this.respond(req, reply, result)));
  }

  private async respond(
    req: FastifyRequest,
    reply: FastifyReply,
    result: unknown,
  ): Promise<unknown> {
    if (result instanceof Page) return this.renderer.send(req, reply, result);
    if (result instanceof Redirect) {
      const cookies = [...result.cookies];
      if (result.flash) cookies.push(this.flash.keep(req, [result.flash]));
      if (cookies.length > 0) reply.header('set-cookie', cookies);
      reply.status(302).header('location', result.url);
      return '';
    }
    return result;
  }
}
