import type { NextFunction, Request, Response } from 'express';

/** Paths that are not pages and keep their exact spelling. */
const EXACT_PATHS = new Set(['/healthz', '/readyz', '/metrics', '/favicon.ico']);

/** Page URLs end with "/": redirect the unslashed spelling, keeping the method (308) for POST. */
export function redirectToTrailingSlash(req: Request, res: Response, next: NextFunction): void {
  const url = req.originalUrl;
  const queryStart = url.indexOf('?');
  const pathname = queryStart === -1 ? url : url.slice(0, queryStart);
  if (pathname.endsWith('/') || EXACT_PATHS.has(pathname) || pathname.startsWith('/static/'))
    return next();
  // "//evil.example" would be read by the browser as another host.
  const target = `/${pathname.replace(/^\/+/, '')}/${queryStart === -1 ? '' : url.slice(queryStart)}`;
  res.redirect(req.method === 'GET' || req.method === 'HEAD' ? 301 : 308, target);
}
