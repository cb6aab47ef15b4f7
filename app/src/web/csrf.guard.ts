import {
  ForbiddenException,
  Injectable,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { CsrfTokens } from './csrf-tokens';

/** Every state-changing request must carry the page's token in the `_csrf` field. */
@Injectable()
export class CsrfGuard implements CanActivate {
  constructor(private readonly tokens: CsrfTokens) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return true;
    const given: unknown = (req.body as Record<string, unknown> | undefined)?._csrf;
    if (this.tokens.isValid(req, given)) return true;
    throw new ForbiddenException(
      'The form has expired or did not come from this site. Reload the page and try again.',
    );
  }
}
