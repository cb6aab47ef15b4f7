// The commands of docs/runbooks/ that tests run as written: the text between a runbook's
// `<comment> <marker>: begin` and `<comment> <marker>: end` lines.
import { readFileSync } from 'node:fs';
import path from 'node:path';

const runbooks = path.resolve(import.meta.dirname, '../../docs/runbooks');

function runbookPart(file: string, marker: string): string {
  const text = readFileSync(path.join(runbooks, file), 'utf8');
  const part = new RegExp(`(?:#|//) ${marker}: begin\\n([\\s\\S]*?)(?:#|//) ${marker}: end`).exec(
    text,
  )?.[1];
  if (part === undefined) throw new Error(`docs/runbooks/${file} has no "${marker}" part`);
  return part;
}

/** The restore shell Pod of restore-notes.md, with the image filled in as its `sed` does. */
export function restoreShellPodManifest(image: string): string {
  return runbookPart('restore-notes.md', 'restore-shell-pod').replaceAll('IMAGE', image);
}

/** The script of restore-notes.md's `query` helper (`node -e <script> <sql>` in the pod). */
export function restoreQueryScript(): string {
  return runbookPart('restore-notes.md', 'restore-query');
}
