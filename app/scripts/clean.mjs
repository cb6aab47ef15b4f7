// Empties dist/ before a build, so no file of a source that was moved or deleted survives there.
import * as fs from 'node:fs';
import * as path from 'node:path';

fs.rmSync(path.join(import.meta.dirname, '..', 'dist'), { recursive: true, force: true });
