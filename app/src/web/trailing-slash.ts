import type { FastifyReply, FastifyRequest } from 'fastify';

/** Paths that are not pages and keep their exact spelling. */
const EXACT_PATHS = new Set(['/favicon.ico']);

/**
 * Page URLs end with "/": redirects the unslashed spelling, keeping the method (308) for a
 * POST. Returns true when it answered.
 */
export function redirectToTrailingSlash(req: FastifyRequest, reply: FastifyReply): boolean {
  const url = req.url;
  const queryStart = url.indexOf('?');
  const pathname = queryStart === -1 ? url : url.slice(0, queryStart);
  if (pathname.endsWith('/') || EXACT_PATHS.has(pathname) || pathname.startsWith('/static/'))
    return false;
  // "//evil.example" would be read by the browser as another host.
  const target = `/${pathname.replace(/^\/+/, '')}/${queryStart === -1 ? '' : url.slice(queryStart)}`;
  void reply.redirect(target, req.method === 'GET' || req.method === 'HEAD' ? 301 : 308);
  return true;
}
