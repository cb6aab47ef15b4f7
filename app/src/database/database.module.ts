import { Global, Module, type DynamicModule } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DatabaseSessionStore } from '../sessions/session-store';

/** The data source (opened before Nest starts, see cli.ts) and the session store on it. */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(dataSource: DataSource, sessionStore: DatabaseSessionStore): DynamicModule {
    return {
      module: DatabaseModule,
      providers: [
        { provide: DataSource, useValue: dataSource },
        { provide: DatabaseSessionStore, useValue: sessionStore },
      ],
      exports: [DataSource, DatabaseSessionStore],
    };
  }
}
