import { Global, Module, type DynamicModule } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { HousekeepingService } from './housekeeping.service';
import { fillMissingNameSortKeys } from './name-sort-keys';
import { SQL, sqlOf, type Sql } from './sql';

/**
 * The data source (opened before Nest starts, see serve.ts), the app's Sql on it, and the
 * housekeeping that keeps its tables tidy.
 */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(dataSource: DataSource): DynamicModule {
    return {
      module: DatabaseModule,
      providers: [
        { provide: DataSource, useValue: dataSource },
        { provide: SQL, useValue: sqlOf(dataSource) },
        {
          provide: HousekeepingService,
          inject: [SQL],
          useFactory: (sql: Sql) => {
            const housekeeping = new HousekeepingService();
            // Names a pod of the previous release (which does not know the column) saves
            // during the rolling update to this one have no sort key. Two passes catch them
            // all: one as this pod starts, one 10 minutes later, when the previous release's
            // pods are long gone; no pod can save a name without its key after that.
            let passes = 0;
            const chore = 'computing missing name sort keys';
            housekeeping.register(chore, async () => {
              await fillMissingNameSortKeys(sql);
              if (++passes === 2) housekeeping.unregister(chore);
            });
            return housekeeping;
          },
        },
      ],
      exports: [DataSource, SQL, HousekeepingService],
    };
  }
}
