import { describe, expect, it } from '@jest/globals';
import { createLogger } from './logger.js';

function capture(level?: 'debug' | 'info' | 'warn' | 'error') {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    level,
    write: (line) => lines.push(JSON.parse(line)),
    now: () => new Date(0),
  });
  return { logger, lines };
}

describe('createLogger', () => {
  it('writes one JSON object per line with level, time, message and fields', () => {
    const { logger, lines } = capture();
    logger.child({ controller: 'c' }).info('reconciled', { key: 'ns/name' });
    expect(lines).toEqual([
      {
        level: 'info',
        time: '1970-01-01T00:00:00.000Z',
        msg: 'reconciled',
        controller: 'c',
        key: 'ns/name',
      },
    ]);
  });

  it('drops lines below the level', () => {
    const { logger, lines } = capture('warn');
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    expect(lines.map((line) => line.level)).toEqual(['warn', 'error']);
  });

  it('renders errors with their message and cause', () => {
    const { logger, lines } = capture();
    logger.error('failed', { err: new Error('outer', { cause: new Error('inner') }) });
    expect(lines[0].err).toMatchObject({
      name: 'Error',
      message: 'outer',
      cause: { message: 'inner' },
    });
  });
});
