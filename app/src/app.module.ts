import { Module, type DynamicModule } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { AuthModule } from './auth/auth.module';
import type { DatabaseSessionStore } from './sessions/session-store';
import type { AppConfig } from './config/config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { ManagementModule } from './management/management.module';
import type { Lifecycle } from './management/lifecycle';
import type { Metrics } from './metrics/metrics';
import { NotesModule } from './notes/notes.module';
import { PadsModule } from './pads/pads.module';
import { UsersModule } from './users/users.module';
import type { Views } from './web/views';
import { WebModule } from './web/web.module';

/** What is created before Nest starts (so failures are clear and early) and shared with it. */
export interface AppContext {
  config: AppConfig;
  dataSource: DataSource;
  sessionStore: DatabaseSessionStore;
  metrics: Metrics;
  lifecycle: Lifecycle;
  views: Views;
}

@Module({})
export class AppModule {
  static forRoot(context: AppContext): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(context.config),
        DatabaseModule.forRoot(context.dataSource, context.sessionStore),
        ManagementModule.forRoot(context.metrics, context.lifecycle),
        WebModule.forRoot(context.views),
        AuthModule,
        UsersModule,
        PadsModule,
        NotesModule,
      ],
    };
  }
}
