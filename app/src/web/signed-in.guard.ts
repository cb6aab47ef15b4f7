import {
  createParamDecorator,
  Injectable,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { ActiveSession, PadLink, SignedInUser } from './request-context';

/** Thrown for anonymous visitors of private pages; the error filter redirects to sign-in. */
export class SignInRequired extends Error {
  constructor(readonly next: string) {
    super('sign-in required');
  }
}

@Injectable()
export class SignedInGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    if (req.session) return true;
    throw new SignInRequired(req.method === 'GET' ? req.url : '/');
  }
}

/** The signed-in session (use with SignedInGuard). */
export const CurrentSession = createParamDecorator(
  (_data: unknown, context: ExecutionContext): ActiveSession => {
    const session = context.switchToHttp().getRequest<FastifyRequest>().session;
    if (!session) throw new SignInRequired('/');
    return session;
  },
);

/** The signed-in user (use with SignedInGuard). */
export const CurrentUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext): SignedInUser => {
    const session = context.switchToHttp().getRequest<FastifyRequest>().session;
    if (!session) throw new SignInRequired('/');
    return session.user;
  },
);

/** Reads the signed-in user's pads, once per request however often called (use with SignedInGuard). */
export const UserPads = createParamDecorator(
  (_data: unknown, context: ExecutionContext): (() => Promise<PadLink[]>) => {
    const { userPads } = context.switchToHttp().getRequest<FastifyRequest>();
    if (!userPads) throw new SignInRequired('/');
    return userPads;
  },
);
