import { NotFoundException, type PipeTransform } from '@nestjs/common';

/** Route ids: a positive decimal integer, anything else is "no such page". */
export class ParseIdPipe implements PipeTransform<string, number> {
  transform(value: string): number {
    if (!/^[1-9]\d{0,15}$/.test(value)) throw new NotFoundException();
    const id = Number(value);
    if (!Number.isSafeInteger(id) || id > 2_147_483_647) throw new NotFoundException();
    return id;
  }
}
