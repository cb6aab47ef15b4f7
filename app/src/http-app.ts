import 'reflect-metadata';
import './web/request-context';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { AppModule } from './app.module';
import type { AppConfig } from './config/config';
import { keepIdleConnections } from './listen';
import { PinoNestLogger, redactUrl } from './logging';
import { Lifecycle } from './management/lifecycle';
import { createManagementServer, DatabaseReadiness } from './management/management-server';
import { Metrics } from './metrics/metrics';
import { SessionsService } from './sessions/sessions.service';
import { MAX_NOTE_TEXT_LENGTH } from './notes/note.form';
import { parseCookies } from './web/cookies';
import { securityHeaders } from './web/security-headers';
import { StaticFiles } from './web/static-files';
import { redirectToTrailingSlash } from './web/trailing-slash';
import { Views } from './web/views';

/**
 * The largest form: a note of MAX_NOTE_TEXT_LENGTH characters of 4 UTF-8 bytes each,
 * percent-encoded (3 bytes per byte), and room for the other fields.
 */
const BODY_LIMIT = MAX_NOTE_TEXT_LENGTH * 4 * 3 + 64 * 1024;

export interface HttpApp {
  app: NestFastifyApplication;
  /** The pages' HTTP server (not listening yet). */
  server: Server;
  /** Probes and metrics (not listening yet; see management/management-server.ts). */
  management: Server;
  lifecycle: Lifecycle;
  metrics: Metrics;
}

/** A request id: the caller's X-Request-Id when it is a sane token, else a new UUID. */
function requestId(req: IncomingMessage): string {
  const incoming = req.headers['x-request-id'];
  return typeof incoming === 'string' && /^[\w.:-]{1,128}$/.test(incoming)
    ? incoming
    : randomUUID();
}

/** Stands in for a schema compiler: a route with a schema is a programming error here. */
function noSchemaCompiler(): never {
  throw new Error('Notejam routes declare no JSON schemas (forms are parsed by pipes)');
}

/** The Nest application with the whole HTTP pipeline, on an open data source (not listening yet). */
export async function createHttpApp(
  config: AppConfig,
  dataSource: DataSource,
  logger: Logger,
): Promise<HttpApp> {
  const metrics = new Metrics(config.database.type);
  const lifecycle = new Lifecycle();
  const adapter = new FastifyAdapter({
    trustProxy: config.trustProxy,
    bodyLimit: BODY_LIMIT,
    genReqId: requestId,
    requestIdHeader: false,
    // Nest registers '/signup/' as '/signup'; the trailing-slash hook has already redirected
    // unslashed page URLs, so the router may match either spelling.
    routerOptions: { ignoreTrailingSlash: true },
    logger: false,
    // No route declares a JSON schema (pipes parse the forms), so Fastify's default compilers
    // (Ajv, fast-json-stringify) would be loaded for nothing: 3.5 MiB of heap in every pod.
    schemaController: {
      compilersFactory: { buildValidator: noSchemaCompiler, buildSerializer: noSchemaCompiler },
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot({ config, dataSource, metrics, views: new Views() }),
    adapter,
    { logger: new PinoNestLogger(logger) },
  );
  const server = app.getHttpServer() as Server;
  keepIdleConnections(server, config.keepAliveTimeoutSeconds);
  addPipeline(
    app.getHttpAdapter().getInstance(),
    app.get(SessionsService),
    config,
    metrics,
    logger,
  );
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  const management = createManagementServer({
    metrics,
    readiness: new DatabaseReadiness(dataSource, lifecycle, logger),
    logger,
  });
  // Prometheus scrapes every 30 s on a kept-alive connection: with Node's default of 5 s the
  // app would close it between scrapes, and a scrape sent as it closes fails.
  keepIdleConnections(management, config.keepAliveTimeoutSeconds);
  return { app, server, management, lifecycle, metrics };
}

/** What every request passes before and after its controller, in this order. */
function addPipeline(
  fastify: FastifyInstance,
  sessions: SessionsService,
  config: AppConfig,
  metrics: Metrics,
  logger: Logger,
): void {
  const headers = securityHeaders(config.nodeEnv === 'production');
  const staticFiles = new StaticFiles();
  // Declared up front so every request has the same shape; set by the hook below.
  fastify.decorateRequest('cookies', null as unknown as Record<string, string | undefined>);
  fastify.decorateRequest('session', null);
  fastify.decorateRequest('userPads', null);
  fastify.addHook('onRequest', async (req, reply) => {
    void reply.headers(headers).header('x-request-id', req.id);
    if (redirectToTrailingSlash(req, reply)) return reply;
    if (req.url.startsWith('/static/') && (req.method === 'GET' || req.method === 'HEAD')) {
      if (staticFiles.serve(req, reply)) return reply;
    }
    req.cookies = parseCookies(req.headers.cookie);
    req.session = await sessions.load(req);
  });
  fastify.addHook('onResponse', async (req, reply) => {
    const route =
      req.routeOptions.url ?? (req.url.startsWith('/static/') ? '/static/*' : 'unmatched');
    metrics.observeRequest(route, req.method, reply.statusCode, reply.elapsedTime / 1000);
    logger.info(
      {
        req: { id: req.id, method: req.method, url: redactUrl(req.url) },
        res: { statusCode: reply.statusCode },
        responseTime: Math.round(reply.elapsedTime),
      },
      'request completed',
    );
  });
}
