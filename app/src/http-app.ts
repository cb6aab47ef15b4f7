import 'reflect-metadata';
import './sessions/session-data';
import './web/request-context';
import { randomUUID } from 'node:crypto';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import helmet from 'helmet';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import type { DataSource } from 'typeorm';
import { AppModule } from './app.module';
import { DatabaseSessionStore } from './sessions/session-store';
import type { AppConfig } from './config/config';
import { User } from './database/entities';
import { Lifecycle } from './management/lifecycle';
import { PinoNestLogger, redactUrl } from './logging';
import { Metrics } from './metrics/metrics';
import { redirectToTrailingSlash } from './web/trailing-slash';
import { PUBLIC_DIR, Views } from './web/views';

export const SESSION_COOKIE = 'notejam.sid';
const PROBE_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

export interface HttpApp {
  app: NestExpressApplication;
  lifecycle: Lifecycle;
  sessionStore: DatabaseSessionStore;
}

/** The Nest application with the whole HTTP pipeline, on an open data source (not listening yet). */
export async function createHttpApp(
  config: AppConfig,
  dataSource: DataSource,
  logger: Logger,
): Promise<HttpApp> {
  const sessionStore = new DatabaseSessionStore(dataSource, config.sessionIdleSeconds * 1000);
  const metrics = new Metrics(config.database.type);
  const lifecycle = new Lifecycle();
  const views = new Views();
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot({ config, dataSource, sessionStore, metrics, lifecycle, views }),
    { logger: new PinoNestLogger(logger), bodyParser: false },
  );
  app.set('trust proxy', config.trustProxy);
  app.disable('x-powered-by');
  // Pages are private and `no-store`, so nobody revalidates them: hashing every page body
  // for an ETag is wasted work (the stylesheet keeps the ETag express.static gives it).
  app.set('etag', false);
  app.use(
    pinoHttp({
      logger,
      genReqId: (req, res) => {
        const incoming = req.headers['x-request-id'];
        const id =
          typeof incoming === 'string' && /^[\w.:-]{1,128}$/.test(incoming)
            ? incoming
            : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      autoLogging: { ignore: (req) => PROBE_PATHS.has(req.url ?? '') },
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({
          id: req.id,
          method: req.method,
          url: redactUrl(req.url),
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    }),
  );
  app.use(metrics.middleware);
  app.use(
    helmet({
      // Strict: no script at all, styles and images only from this site.
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'none'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
          baseUri: ["'none'"],
          objectSrc: ["'none'"],
        },
      },
      // Plain HTTP in development: browsers must not be told to upgrade localhost.
      strictTransportSecurity: config.nodeEnv === 'production',
    }),
  );
  app.use(redirectToTrailingSlash);
  app.use(
    '/static',
    express.static(PUBLIC_DIR, { maxAge: '1h', index: false, fallthrough: false }),
  );
  app.use(express.urlencoded({ extended: false, limit: '1mb', parameterLimit: 100 }));
  const sessions = session({
    name: SESSION_COOKIE,
    secret: config.sessionSecret,
    store: sessionStore,
    resave: false,
    saveUninitialized: false,
    rolling: true,
    unset: 'destroy',
    cookie: {
      httpOnly: true,
      sameSite: 'lax',
      // Behind a TLS-terminating proxy (TRUST_PROXY) the cookie is marked Secure.
      secure: 'auto',
      maxAge: config.sessionIdleSeconds * 1000,
    },
  });
  app.use((req: Request, res: Response, next: NextFunction) =>
    PROBE_PATHS.has(req.path) ? next() : sessions(req, res, next),
  );
  app.use((req: Request, _res: Response, next: NextFunction) => {
    void loadCurrentUser(req, dataSource).then(() => next(), next);
  });
  sessionStore.startPruning();
  return { app, lifecycle, sessionStore };
}

async function loadCurrentUser(req: Request, dataSource: DataSource): Promise<void> {
  const userId = req.session?.userId;
  if (userId === undefined) return;
  const user = await dataSource.getRepository(User).findOneBy({ id: userId });
  if (user) req.currentUser = user;
  else delete req.session.userId;
}
