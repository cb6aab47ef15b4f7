import { Controller, Get, Res } from '@nestjs/common';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { migrationStatus } from '../database/data-source';
import { Metrics } from '../metrics/metrics';
import { Lifecycle } from './lifecycle';

/** Probes and metrics: no session, no page layout. */
@Controller()
export class HealthController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly metrics: Metrics,
    private readonly lifecycle: Lifecycle,
  ) {}

  /** Liveness: the process answers. */
  @Get('healthz')
  healthz(@Res() res: Response) {
    res.json({ status: 'ok' });
  }

  /** Readiness: not shutting down, the database answers and the schema is current. */
  @Get('readyz')
  async readyz(@Res() res: Response) {
    if (this.lifecycle.shuttingDown)
      return res.status(503).json({ status: 'unavailable', reason: 'shutting down' });
    try {
      await this.dataSource.query('SELECT 1');
      const { pending } = await migrationStatus(this.dataSource);
      if (pending.length > 0) {
        return res
          .status(503)
          .json({ status: 'unavailable', reason: `pending migrations: ${pending.join(', ')}` });
      }
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return res
        .status(503)
        .json({ status: 'unavailable', reason: `database unreachable: ${reason}` });
    }
    res.json({ status: 'ok' });
  }

  @Get('metrics')
  async metricsText(@Res() res: Response) {
    res.type(this.metrics.registry.contentType).send(await this.metrics.registry.metrics());
  }
}
