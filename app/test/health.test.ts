// Readiness (on the management port) says why the app cannot serve: pending migrations, no
// database, shutting down — and never the database driver's own words.
import pino from 'pino';
import request from 'supertest';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { loadConfig } from '../src/config/config';
import { connect, createDataSource } from '../src/database/data-source';
import { MIGRATIONS } from '../src/database/migrations';
import { createHttpApp, type HttpApp } from '../src/http-app';
import { TEST_SECRET } from './support/app';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from './support/databases';

describe.each(DATABASE_KINDS)('readiness on %s', (kind) => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let http: HttpApp;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    // The database of an older release: only the first migration applied.
    const older = new DataSource({
      ...createDataSource(database.config).options,
      migrations: MIGRATIONS.slice(0, 1),
    } as DataSourceOptions);
    await older.initialize();
    await older.runMigrations();
    await older.destroy();
    const config = loadConfig({ NODE_ENV: 'test', SESSION_SECRET: TEST_SECRET, ...database.env });
    dataSource = await connect(config.database);
    http = await createHttpApp(config, dataSource, pino({ level: 'silent' }));
  });

  afterAll(async () => {
    await http.app.close();
    if (dataSource.isInitialized) await dataSource.destroy();
    await database.drop();
  });

  const server = () => http.management;

  it('is 503 with the pending migration named until the schema is current, while liveness stays 200', async () => {
    const pending = await request(server()).get('/readyz');
    expect(pending.status).toBe(503);
    expect(pending.body).toEqual({
      status: 'unavailable',
      reason: `pending migrations: ${MIGRATIONS.slice(1)
        .map((migration) => migration.name)
        .join(', ')}`,
    });
    expect((await request(server()).get('/healthz')).status).toBe(200);
    await dataSource.runMigrations();
    expect((await request(server()).get('/readyz')).status).toBe(200);
  });

  it('is 503 while shutting down', async () => {
    http.lifecycle.shuttingDown = true;
    const res = await request(server()).get('/readyz');
    http.lifecycle.shuttingDown = false;
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ status: 'unavailable', reason: 'shutting down' });
  });

  it('is 503 when the database is gone, without the driver’s details', async () => {
    await dataSource.destroy();
    const res = await request(server()).get('/readyz');
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ status: 'unavailable', reason: 'database unreachable' });
    expect((await request(server()).get('/healthz')).status).toBe(200);
  });
});
