import type { PipeTransform } from '@nestjs/common';
import type { FormResult } from './forms';

/**
 * Parses and checks a submitted form (`@Body(new FormPipe(noteForm))`). Never throws: a form
 * with errors goes back to its page with the messages next to the fields.
 */
export class FormPipe<T> implements PipeTransform<unknown, FormResult<T>> {
  constructor(
    private readonly parse: (body: Record<string, unknown> | undefined) => FormResult<T>,
  ) {}

  transform(body: unknown): FormResult<T> {
    return this.parse(
      typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : undefined,
    );
  }
}
