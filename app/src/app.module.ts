import { Module, type DynamicModule } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import type { DataSource } from 'typeorm';
import { AuthModule } from './auth/auth.module';
import type { AppConfig } from './config/config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import type { Metrics } from './metrics/metrics';
import { MetricsModule } from './metrics/metrics.module';
import { NotesModule } from './notes/notes.module';
import { PadsModule } from './pads/pads.module';
import { SessionsModule } from './sessions/sessions.module';
import { UsersModule } from './users/users.module';
import { PageInterceptor } from './web/page.interceptor';
import type { Views } from './web/views';
import { WebModule } from './web/web.module';

/** What is created before Nest starts (so failures are clear and early) and shared with it. */
export interface AppContext {
  config: AppConfig;
  dataSource: DataSource;
  metrics: Metrics;
  views: Views;
}

/**
 * The composition root. Dependencies point one way: features (auth → users → pads → notes)
 * use the shared layers below them (sessions, rate-limits, web, database, config), never
 * the reverse; the layout's pads column reaches the pads feature through PAD_LINKS, wired
 * here.
 */
@Module({})
export class AppModule {
  static forRoot(context: AppContext): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(context.config),
        DatabaseModule.forRoot(context.dataSource),
        MetricsModule.forRoot(context.metrics),
        WebModule.forRoot(context.views),
        SessionsModule,
        AuthModule,
        UsersModule,
        PadsModule,
        NotesModule,
      ],
      providers: [{ provide: APP_INTERCEPTOR, useClass: PageInterceptor }],
    };
  }
}
