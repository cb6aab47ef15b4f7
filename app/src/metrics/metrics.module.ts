import { Global, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { Metrics } from './metrics';

/** The process's Metrics, injectable everywhere so features can count business events. */
@Global()
@Module({})
export class MetricsModule implements OnApplicationShutdown {
  constructor(private readonly metrics: Metrics) {}

  onApplicationShutdown(): void {
    this.metrics.stop();
  }

  static forRoot(metrics: Metrics): DynamicModule {
    return {
      module: MetricsModule,
      providers: [{ provide: Metrics, useValue: metrics }],
      exports: [Metrics],
    };
  }
}
