import { Global, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { Metrics } from '../metrics/metrics';
import { HealthController } from './health.controller';
import { Lifecycle } from './lifecycle';

/** Probes and metrics; Metrics is global so features can count business events. */
@Global()
@Module({})
export class ManagementModule implements OnApplicationShutdown {
  constructor(private readonly metrics: Metrics) {}

  onApplicationShutdown(): void {
    this.metrics.stop();
  }

  static forRoot(metrics: Metrics, lifecycle: Lifecycle): DynamicModule {
    return {
      module: ManagementModule,
      controllers: [HealthController],
      providers: [
        { provide: Metrics, useValue: metrics },
        { provide: Lifecycle, useValue: lifecycle },
      ],
      exports: [Metrics, Lifecycle],
    };
  }
}
