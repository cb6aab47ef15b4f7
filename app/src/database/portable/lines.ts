import { CorruptExportError } from './format';

/**
 * The lines of a byte stream, each without its "\n". Holds at most one line in memory (and
 * refuses one longer than maxLineBytes, so a damaged file without newlines cannot exhaust
 * it); a last line without "\n" means the file was cut short.
 */
export async function* readLines(
  source: AsyncIterable<Buffer>,
  maxLineBytes: number,
): AsyncGenerator<string> {
  let carry: Buffer[] = [];
  let carryBytes = 0;
  let lineNumber = 0;
  for await (const chunk of source) {
    let start = 0;
    for (let end = chunk.indexOf(10, start); end !== -1; end = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, end);
      const line =
        carryBytes === 0
          ? piece.toString('utf8')
          : Buffer.concat([...carry, piece], carryBytes + piece.length).toString('utf8');
      carry = [];
      carryBytes = 0;
      start = end + 1;
      lineNumber++;
      yield line;
    }
    if (start < chunk.length) {
      carry.push(chunk.subarray(start));
      carryBytes += chunk.length - start;
      if (carryBytes > maxLineBytes)
        throw new CorruptExportError(`line ${lineNumber + 1} is longer than ${maxLineBytes} bytes`);
    }
  }
  if (carryBytes > 0)
    throw new CorruptExportError(`line ${lineNumber + 1} ends without a newline (cut short?)`);
}
