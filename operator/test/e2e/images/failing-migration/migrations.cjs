// The release's migrations plus one that fails: copied over the app's compiled (CommonJS)
// dist/database/migrations.js by this directory's Dockerfile. Plain JavaScript, since the
// image holds no TypeScript compiler.
/* global require, exports */
/* eslint-disable @typescript-eslint/no-require-imports -- the app's dist is CommonJS */
'use strict';
const release = require('./migrations/index.js');

// TypeORM orders migrations by the 13-digit timestamp ending the class name: after all of
// the release's. The ALTER names a table that does not exist, so MariaDB answers an error
// and the app's `migrate` exits non-zero; nothing is changed (the transaction rolls back).
class E2eFailingMigration1999999999999 {
  name = 'E2eFailingMigration1999999999999';

  async up(runner) {
    await runner.query('ALTER TABLE e2e_missing_table ADD COLUMN e2e_column INTEGER NULL');
  }

  async down() {}
}

exports.MIGRATIONS = [...release.MIGRATIONS, E2eFailingMigration1999999999999];
