import { Global, Module, type DynamicModule } from '@nestjs/common';
import { Metrics } from '../metrics/metrics';
import { HealthController } from './health.controller';
import { Lifecycle } from './lifecycle';

/** Probes and metrics; Metrics is global so features can count business events. */
@Global()
@Module({})
export class HealthModule {
  static forRoot(metrics: Metrics, lifecycle: Lifecycle): DynamicModule {
    return {
      module: HealthModule,
      controllers: [HealthController],
      providers: [
        { provide: Metrics, useValue: metrics },
        { provide: Lifecycle, useValue: lifecycle },
      ],
      exports: [Metrics, Lifecycle],
    };
  }
}
