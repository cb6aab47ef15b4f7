import type { Server } from 'node:http';
import pino, { type Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { loadConfig, type AppConfig } from '../../src/config/config';
import { connect } from '../../src/database/data-source';
import { createHttpApp, type HttpApp } from '../../src/http-app';
import { createTestDatabase, type DatabaseKind, type TestDatabase } from './databases';

export const TEST_SECRET = 'test-session-secret-that-is-long-enough-0123456789';

export interface TestApp {
  /** The pages. */
  server: Server;
  /** Probes and metrics. */
  management: Server;
  http: HttpApp;
  dataSource: DataSource;
  database: TestDatabase;
  config: AppConfig;
  /** Every response with a 5xx status, as "METHOD url -> status". */
  serverErrors: string[];
  close(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string>;
  logger?: Logger;
  /** Another app on this database (a second replica) instead of a new database. */
  database?: TestDatabase;
}

/** A migrated database of the given kind and the app on it (not listening; use supertest). */
export async function startTestApp(
  kind: DatabaseKind,
  options: TestAppOptions = {},
): Promise<TestApp> {
  const ownsDatabase = options.database === undefined;
  const database = options.database ?? (await createTestDatabase(kind));
  const config = loadConfig({
    NODE_ENV: 'test',
    SESSION_SECRET: TEST_SECRET,
    ...database.env,
    ...options.env,
  });
  const dataSource = await connect(config.database);
  await dataSource.runMigrations();
  const http = await createHttpApp(config, dataSource, options.logger ?? pino({ level: 'silent' }));
  const { server, management } = http;
  const serverErrors: string[] = [];
  for (const target of [server, management]) {
    target.on('request', (req, res) => {
      res.on('finish', () => {
        if (res.statusCode >= 500)
          serverErrors.push(`${req.method} ${req.url} -> ${res.statusCode}`);
      });
    });
  }
  return {
    server,
    management,
    http,
    dataSource,
    database,
    config,
    serverErrors,
    close: async () => {
      await http.app.close();
      await dataSource.destroy();
      if (ownsDatabase) await database.drop();
    },
  };
}
