import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { nameSortKey } from '../src/common/collation-key';
import { characterCount, normalizeEmail } from '../src/common/text';
import { createLogger } from '../src/logging';
import { Metrics } from '../src/metrics/metrics';
import { tooManyAttemptsMessage } from '../src/rate-limits/attempt-limits';
import { clientAddressGroup } from '../src/web/client-address';
import {
  backupFileName,
  backupsToDelete,
  isBackupFileName,
} from '../src/database/portable/backups';
import { CorruptExportError, decodeValue, encodeValue } from '../src/database/portable/format';
import { readLines } from '../src/database/portable/lines';
import { columnKind, dependencyOrder, type TableShape } from '../src/database/portable/tables';
import { formatBytes, Progress } from '../src/progress';
import { formatLastChange } from '../src/web/dates';
import { safeNextPath } from '../src/web/local-path';
import { VIEWS_DIR } from '../src/web/views';
import { parseNoteOrder } from '../src/notes/note-order';

describe('formatLastChange', () => {
  const now = new Date(2026, 5, 15, 14, 30);
  it.each([
    [new Date(2026, 5, 15, 9, 5), 'Today at 09:05'],
    [new Date(2026, 5, 15, 0, 0), 'Today at 00:00'],
    [new Date(2026, 5, 14, 23, 59), 'Yesterday at 23:59'],
    [new Date(2026, 5, 13, 23, 59), '2 days ago'],
    [new Date(2026, 5, 8, 1, 0), '7 days ago'],
    [new Date(2026, 5, 7, 23, 0), '2026-06-07'],
    [new Date(2025, 0, 3, 12, 0), '2025-01-03'],
  ])('shows %s as %s', (date, text) => {
    expect(formatLastChange(date, now)).toBe(text);
  });

  it('counts calendar days in local time across a daylight-saving change', () => {
    const zone = process.env.TZ;
    process.env.TZ = 'Europe/Berlin'; // clocks went forward on 29 March 2026
    try {
      const afterChange = new Date(2026, 2, 30, 0, 30);
      expect(formatLastChange(new Date(2026, 2, 29, 3, 15), afterChange)).toBe(
        'Yesterday at 03:15',
      );
      expect(formatLastChange(new Date(2026, 2, 28, 23, 45), afterChange)).toBe('2 days ago');
      expect(formatLastChange(new Date(2026, 2, 30, 0, 5), afterChange)).toBe('Today at 00:05');
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });
});

describe('templates', () => {
  it('are printable ASCII, so pages stay one-byte strings in V8', () => {
    const files = readdirSync(VIEWS_DIR, { recursive: true, encoding: 'utf8' }).filter((name) =>
      name.endsWith('.hbs'),
    );
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      const outside = /[^\t\n\r\x20-\x7e]/.exec(readFileSync(join(VIEWS_DIR, file), 'utf8'));
      expect({ file, outside: outside?.[0] }).toEqual({ file, outside: undefined });
    }
  });
});

describe('parseNoteOrder', () => {
  it('knows the four orders and falls back to newest first', () => {
    for (const order of ['name', '-name', 'updated_at', '-updated_at'])
      expect(parseNoteOrder(order)).toBe(order);
    for (const other of [undefined, '', 'id', ['name'], 'constructor', '__proto__']) {
      expect(parseNoteOrder(other)).toBe('-updated_at');
    }
  });
});

describe('safeNextPath', () => {
  it.each([
    ['/pads/1/', '/pads/1/'],
    ['/notes/create/?pad=2', '/notes/create/?pad=2'],
    ['//evil.example', '/'],
    ['/\\evil.example', '/'],
    ['https://evil.example/', '/'],
    ['javascript:alert(1)', '/'],
    ['/x\r\nLocation: https://evil', '/'],
    [undefined, '/'],
    [['/a', '/b'], '/'],
  ])('turns %j into %s', (next, expected) => {
    expect(safeNextPath(next)).toBe(expected);
  });
});

describe('tooManyAttemptsMessage', () => {
  it('says how long to wait in whole minutes', () => {
    expect(tooManyAttemptsMessage(30)).toBe('Too many attempts. Try again in 1 minute.');
    expect(tooManyAttemptsMessage(600)).toBe('Too many attempts. Try again in 10 minutes.');
  });
});

describe('characterCount', () => {
  it('counts code points, as MySQL does, not UTF-16 units', () => {
    expect(characterCount('abc')).toBe(3);
    expect(characterCount('📝'.repeat(60))).toBe(60);
    expect(characterCount('é')).toBe(1);
    expect(characterCount('e\u0301')).toBe(2); // MySQL counts the combining accent too
    expect(characterCount('\ud800x')).toBe(2); // a lone surrogate is one
  });
});

describe('normalizeEmail', () => {
  it.each([
    ['  Jose@Example.COM ', 'jose@example.com'],
    ['JOSÉ@example.com', 'josé@example.com'],
    ['jose\u0301@example.com', 'josé@example.com'],
    ['STRAẞE@example.com', 'strasse@example.com'],
    ['straße@example.com', 'strasse@example.com'],
    ['ΣΊΣΥΦΟΣ@example.com', 'σίσυφοσ@example.com'],
  ])('spells %j as %j', (typed, stored) => {
    expect(normalizeEmail(typed)).toBe(stored);
  });

  it('keeps accents: josé@ and jose@ stay two addresses', () => {
    expect(normalizeEmail('josé@example.com')).not.toBe(normalizeEmail('jose@example.com'));
  });
});

describe('nameSortKey', () => {
  const sorted = (names: string[]) =>
    [...names].sort((a, b) => Buffer.compare(nameSortKey(a), nameSortKey(b)) || 0);

  it('orders by letters, then accents, then case, like the Unicode root collation', () => {
    const names = [
      'Zebra',
      'éclair',
      'Eagle',
      'apple',
      'Éclair',
      'eclair',
      'Eclair',
      'Apple',
      'Note 10',
      'Note 9',
      'Note2',
      '_under',
      'øre',
      'ore',
      'Ore',
      'oz',
      'ﬁle',
      'file',
      'File',
      'zoë',
      'zoe',
      'Ångström',
      'angstrom',
      'Ωmega',
      'ωmega',
      'alpha',
      'Яблоко',
      'ёлка',
      'елка',
      'жук',
    ];
    const collator = new Intl.Collator('und', { sensitivity: 'variant' });
    expect(sorted(names)).toEqual([...names].sort(collator.compare));
  });

  it('gives a bounded key that fits the column, whatever the name', () => {
    expect(nameSortKey('😀'.repeat(100)).length).toBeLessThanOrEqual(1024);
    expect(nameSortKey('a\u0301'.repeat(1000)).length).toBe(1024);
    expect(nameSortKey('x').length).toBeGreaterThan(0);
  });
});

describe('clientAddressGroup', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['2001:db8:1:2::a', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002:ffff:0:0:1', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['64:ff9b::203.0.113.7', '64:ff9b:0:0::/64'],
  ])('counts %s as %s', (address, group) => {
    expect(clientAddressGroup(address)).toBe(group);
  });
});

describe('the log format', () => {
  it('is the operator’s: level names, ISO time, msg, errors with name, message and cause', () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger('info', {
      write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>),
    });
    logger.debug('hidden');
    logger.info({ key: 'value' }, 'hello');
    logger.error({ err: new Error('outer', { cause: new Error('inner') }) }, 'failed');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ level: 'info', msg: 'hello', key: 'value' });
    expect(lines[0].time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(lines[1]).toMatchObject({
      level: 'error',
      msg: 'failed',
      err: { name: 'Error', message: 'outer', cause: { name: 'Error', message: 'inner' } },
    });
  });
});

describe('Metrics', () => {
  it('exports the MySQL driver error series at zero before anything failed, and none on SQLite', async () => {
    const mysql = new Metrics('mysql');
    const sqlite = new Metrics('sqlite');
    try {
      const text = await mysql.registry.metrics();
      for (const name of [
        'notejam_db_query_duration_seconds',
        'notejam_db_pool_acquire_duration_seconds',
      ]) {
        for (const outcome of ['ok', 'error'])
          expect(text).toMatch(new RegExp(`^${name}_count\\{outcome="${outcome}"\\} 0$`, 'm'));
      }
      expect(await sqlite.registry.metrics()).not.toContain('notejam_db_');
    } finally {
      mysql.stop();
      sqlite.stop();
    }
  });
});

describe('the export format', () => {
  it('writes datetimes of both drivers as ISO UTC and reads them back in TypeORM spelling', () => {
    expect(encodeValue('datetime', new Date('2024-02-29T23:59:59.999Z'))).toBe(
      '2024-02-29T23:59:59.999Z',
    );
    expect(encodeValue('datetime', '2024-02-29 23:59:59.999')).toBe('2024-02-29T23:59:59.999Z');
    expect(encodeValue('datetime', '2024-02-29 23:59')).toBe('2024-02-29T23:59:00.000Z');
    expect(encodeValue('datetime', '2024-02-29T23:59:59.5Z')).toBe('2024-02-29T23:59:59.500Z');
    expect(decodeValue('datetime', '2024-02-29T23:59:59.999Z', 'here')).toBe(
      '2024-02-29 23:59:59.999',
    );
    expect(() => encodeValue('datetime', 'yesterday')).toThrow('is not a date and time');
    expect(() => encodeValue('datetime', new Date(Number.NaN))).toThrow('invalid date');
  });

  it('carries integers (MySQL gives BIGINT as text) only when exact, and checks every kind', () => {
    expect(encodeValue('integer', '1893456000000')).toBe(1893456000000);
    expect(encodeValue('integer', 7)).toBe(7);
    expect(encodeValue('text', null)).toBeNull();
    expect(() => encodeValue('integer', '12345678901234567')).toThrow('not a safe integer');
    expect(() => encodeValue('text', 5)).toThrow('expected text');
    for (const [kind, value] of [
      ['integer', 1.5],
      ['integer', '1'],
      ['text', 1],
      ['datetime', '2024-02-29 23:59:59.999'],
    ] as const)
      expect(() => decodeValue(kind, value, 'line 3')).toThrow(CorruptExportError);
  });

  it('carries byte strings (sort keys) as base64 and refuses anything else in their place', () => {
    const key = Buffer.from([0x00, 0x41, 0xff, 0x10]);
    expect(encodeValue('bytes', key)).toBe('AEH/EA==');
    expect(encodeValue('bytes', Buffer.alloc(0))).toBe('');
    expect(decodeValue('bytes', 'AEH/EA==', 'here')).toEqual(key);
    expect(() => encodeValue('bytes', 'AEH/EA==')).toThrow('expected bytes');
    for (const value of ['AEH/EA=', 'not base64!', 7])
      expect(() => decodeValue('bytes', value, 'line 3')).toThrow(CorruptExportError);
  });

  it('maps the declared column types of both engines to what the file carries', () => {
    for (const type of ['INTEGER', 'int(11)', 'bigint(20)', 'BIGINT'])
      expect(columnKind(type)).toBe('integer');
    for (const type of ['VARCHAR(255)', 'varchar(64)', 'TEXT', 'mediumtext'])
      expect(columnKind(type)).toBe('text');
    for (const type of ['DATETIME', 'datetime(3)']) expect(columnKind(type)).toBe('datetime');
    for (const type of ['BLOB', 'varbinary(1024)']) expect(columnKind(type)).toBe('bytes');
    for (const type of ['decimal(10,2)', 'json', 'mediumblob'])
      expect(columnKind(type)).toBeUndefined();
  });

  it('orders tables parents first and refuses a cycle', () => {
    const table = (name: string, references: string[]): TableShape => ({
      name,
      references,
      columns: [],
      primaryKey: 'id',
    });
    const names = (tables: TableShape[]) => dependencyOrder(tables).map((t) => t.name);
    expect(
      names([
        table('notes', ['users', 'pads']),
        table('sessions', ['users']),
        table('pads', ['users']),
        table('users', []),
      ]),
    ).toEqual(['users', 'pads', 'notes', 'sessions']);
    expect(() => names([table('a', ['b']), table('b', ['a'])])).toThrow('form a cycle');
  });

  it('splits a byte stream into lines across chunks, and refuses an endless or cut line', async () => {
    async function* chunks(...parts: string[]) {
      for (const part of parts) yield Buffer.from(part);
    }
    const all = async (source: AsyncIterable<Buffer>, max = 100) => {
      const lines: string[] = [];
      for await (const line of readLines(source, max)) lines.push(line);
      return lines;
    };
    // A multi-byte character split between chunks stays whole.
    const euro = Buffer.from('€');
    async function* split() {
      yield Buffer.concat([Buffer.from('a\nb'), euro.subarray(0, 1)]);
      yield Buffer.concat([euro.subarray(1), Buffer.from('c\n\nd\n')]);
    }
    expect(await all(split())).toEqual(['a', 'b€c', '', 'd']);
    expect(await all(chunks('one\ntw', 'o\n'))).toEqual(['one', 'two']);
    await expect(all(chunks('x'.repeat(60), 'y'.repeat(60)))).rejects.toThrow(
      'line 1 is longer than 100 bytes',
    );
    await expect(all(chunks('whole\ncut'))).rejects.toThrow('line 2 ends without a newline');
  });
});

describe('backup files', () => {
  it('are named by their UTC time, so name order is age order', () => {
    const name = backupFileName(new Date('2026-12-03T10:31:55.123Z'), 'before-5d8f0a');
    expect(name).toBe('notejam-20261203T103155.123Z-before-5d8f0a.ndjson.gz');
    expect(isBackupFileName(name)).toBe(true);
    expect(isBackupFileName(backupFileName(new Date(0)))).toBe(true);
    for (const other of ['notes.ndjson.gz', 'notejam-2026.ndjson.gz', `${name}.partial`])
      expect(isBackupFileName(other)).toBe(false);
  });

  it('beyond the newest N are deleted, with leftovers of killed runs, and nothing else', () => {
    const at = (day: number) => backupFileName(new Date(Date.UTC(2026, 11, day)), 'x');
    const names = [at(3), at(1), at(4), at(2), 'restore-me.ndjson.gz', `${at(5)}.partial`];
    expect(backupsToDelete(names, 2)).toEqual([at(1), at(2), `${at(5)}.partial`].sort());
    expect(backupsToDelete(names, 10)).toEqual([`${at(5)}.partial`]);
    expect(backupsToDelete([at(1), `${at(2)}.partial`], 1, at(2))).toEqual([]);
  });
});

describe('Progress', () => {
  it('reports at most once per interval, with the share done', () => {
    let now = 0;
    const lines: string[] = [];
    const progress = new Progress({
      label: 'export',
      total: 2_000_000,
      write: (line) => lines.push(line),
      intervalMs: 5000,
      now: () => now,
    });
    progress.advance(1000);
    now = 4999;
    progress.advance(1000);
    expect(lines).toEqual([]);
    now = 5000;
    progress.advance(498_000);
    now = 7000;
    progress.advance(1);
    now = 10_500;
    progress.advance(1);
    expect(lines).toEqual([
      'export: 500,000 of 2,000,000 rows (25%) after 5 s',
      'export: 500,002 of 2,000,000 rows (25%) after 11 s',
    ]);
    expect(progress.rows).toBe(500_002);
  });

  it('formats sizes', () => {
    expect(formatBytes(999)).toBe('999 bytes');
    expect(formatBytes(2_800)).toBe('2.8 kB');
    expect(formatBytes(123_456_789)).toBe('123.5 MB');
  });
});
