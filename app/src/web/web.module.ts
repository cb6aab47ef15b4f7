import { Global, Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { CsrfGuard } from './csrf.guard';
import { PadsModule } from '../pads/pads.module';
import { PageErrorFilter } from './page-error.filter';
import { Pages } from './pages';
import { Views } from './views';

/** Page rendering, the error pages and the CSRF check every POST passes. */
@Global()
@Module({})
export class WebModule {
  static forRoot(views: Views): DynamicModule {
    return {
      module: WebModule,
      // The pads column on every signed-in page.
      imports: [PadsModule],
      providers: [
        { provide: Views, useValue: views },
        Pages,
        { provide: APP_GUARD, useClass: CsrfGuard },
        { provide: APP_FILTER, useClass: PageErrorFilter },
      ],
      exports: [Pages],
    };
  }
}
