import { Global, Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { CsrfGuard } from './csrf.guard';
import { CsrfTokens } from './csrf-tokens';
import { Flash } from './flash';
import { PageErrorFilter } from './page-error.filter';
import { PageRenderer } from './page-renderer';
import { Views } from './views';

/**
 * The shared web layer: page rendering, flash messages, CSRF tokens and the check every POST
 * passes, the error pages. It depends on no feature; the layout's pads come in through
 * PAD_LINKS (page.interceptor.ts), which the pads feature provides.
 */
@Global()
@Module({})
export class WebModule {
  static forRoot(views: Views): DynamicModule {
    return {
      module: WebModule,
      providers: [
        { provide: Views, useValue: views },
        CsrfTokens,
        Flash,
        PageRenderer,
        { provide: APP_GUARD, useClass: CsrfGuard },
        { provide: APP_FILTER, useClass: PageErrorFilter },
      ],
      exports: [Views, CsrfTokens, Flash, PageRenderer],
    };
  }
}
