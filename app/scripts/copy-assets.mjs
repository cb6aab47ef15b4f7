// Ships the templates and stylesheets next to the compiled code (dist/views, dist/public).
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.join(import.meta.dirname, '..');
for (const dir of ['views', 'public']) {
  const target = path.join(root, 'dist', dir);
  fs.rmSync(target, { recursive: true, force: true });
  fs.cpSync(path.join(root, 'src', dir), target, { recursive: true });
}
