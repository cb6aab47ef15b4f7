import {
  createParamDecorator,
  Injectable,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import type { Request } from 'express';
import type { User } from '../database/entities';

/** Thrown for anonymous visitors of private pages; the error filter redirects to sign-in. */
export class SignInRequired extends Error {
  constructor(readonly next: string) {
    super('sign-in required');
  }
}

@Injectable()
export class SignedInGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    if (req.currentUser) return true;
    throw new SignInRequired(req.method === 'GET' ? req.originalUrl : '/');
  }
}

/** The signed-in user (use with SignedInGuard). */
export const CurrentUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext): User => {
    const user = context.switchToHttp().getRequest<Request>().currentUser;
    if (!user) throw new SignInRequired('/');
    return user;
  },
);
