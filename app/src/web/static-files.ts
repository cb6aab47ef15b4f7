import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PUBLIC_DIR } from './views';

interface StaticFile {
  body: Buffer;
  type: string;
  etag: string;
}

const TYPES: Record<string, string> = { '.css': 'text/css; charset=utf-8' };

/**
 * The stylesheet(s) under /static/, read once at start and served from memory with an ETag
 * (revalidated after an hour). Unknown names are 404 without touching the file system.
 */
export class StaticFiles {
  private readonly files = new Map<string, StaticFile>();

  constructor(dir: string = PUBLIC_DIR) {
    for (const name of fs.readdirSync(dir)) {
      const type = TYPES[path.extname(name)];
      if (type === undefined) continue;
      const body = fs.readFileSync(path.join(dir, name));
      const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
      this.files.set(`/static/${name}`, { body, type, etag });
    }
  }

  /** Answers a GET /static/... request; false when there is no such file. */
  serve(req: FastifyRequest, reply: FastifyReply): boolean {
    const file = this.files.get(req.url.split('?')[0]);
    if (!file) return false;
    void reply.header('cache-control', 'public, max-age=3600').header('etag', file.etag);
    if (req.headers['if-none-match'] === file.etag) void reply.code(304).send();
    else void reply.type(file.type).send(file.body);
    return true;
  }
}
