// The order of pad and note names, the same on SQLite and MySQL: both sort a binary key the
// app computes (`name_sort_key`, indexed with the user or pad) instead of their own
// collations, which disagree (SQLite compares bytes; MySQL's utf8mb4_unicode_ci folds case
// and accents its own way).
//
// The key follows the three levels of the Unicode Collation Algorithm: base letters first
// (case and accents ignored), then accents, then case — apple, Eagle, eclair, Éclair,
// Zebra. Base letters compare by code point within each of three groups (spaces and
// punctuation, then digits, then letters), which matches the Unicode order within the
// Latin, Greek and Cyrillic alphabets; compatibility forms (ﬁ, ² , full-width letters) sort
// with their plain letters, and a few letters that Unicode does not decompose sort with
// their base letter (ø with o, ł with l, æ as ae, ß as ss).

/** Letters without a canonical decomposition that sort with a base letter, as UCA's table does. */
const LETTER_VARIANTS: Record<string, { base: string; mark?: string }> = {
  ø: { base: 'o', mark: '\u0338' },
  ł: { base: 'l', mark: '\u0337' },
  đ: { base: 'd', mark: '\u0335' },
  ħ: { base: 'h', mark: '\u0335' },
  ŧ: { base: 't', mark: '\u0335' },
  ƀ: { base: 'b', mark: '\u0335' },
  æ: { base: 'ae' },
  œ: { base: 'oe' },
  ß: { base: 'ss' },
};

/** Keys longer than this are cut; names equal up to here then sort by id. Fits VARBINARY(1024). */
export const MAX_SORT_KEY_BYTES = 1024;

const LEVEL_SEPARATOR = 0x00;
const GROUP_PUNCTUATION = 0x01;
const GROUP_DIGIT = 0x02;
/** The secondary weight of a letter without accent: lower than any mark's UTF-8 bytes. */
const NO_ACCENT = 0x01;
const CASE_LOWER = 0x01;
const CASE_LOWER_VARIANT = 0x02;
const CASE_UPPER = 0x03;
const CASE_UPPER_VARIANT = 0x04;

const MARK = /\p{M}/u;
const IGNORABLE = /[\p{Cc}\p{Cf}]/u;
const LETTER = /\p{L}/u;
const DIGIT = /\p{N}/u;

/** The binary sort key of a pad or note name (see the comment at the top of this file). */
export function nameSortKey(name: string): Buffer {
  const primary: number[] = [];
  const secondary: number[] = [];
  const tertiary: number[] = [];
  const utf8 = (text: string, into: number[]) => {
    for (const byte of Buffer.from(text, 'utf8')) into.push(byte);
  };
  const addBase = (base: string, upper: boolean, variant: boolean) => {
    if (LETTER.test(base)) utf8(base, primary);
    else {
      primary.push(DIGIT.test(base) ? GROUP_DIGIT : GROUP_PUNCTUATION);
      utf8(base, primary);
    }
    secondary.push(NO_ACCENT);
    tertiary.push(
      upper
        ? variant
          ? CASE_UPPER_VARIANT
          : CASE_UPPER
        : variant
          ? CASE_LOWER_VARIANT
          : CASE_LOWER,
    );
  };
  for (const character of name.normalize('NFD')) {
    if (IGNORABLE.test(character)) continue;
    if (MARK.test(character)) {
      // An accent of the letter before it (a name starting with one has no letter to go with).
      if (secondary.length > 0) utf8(character, secondary);
      continue;
    }
    const compatible = character.normalize('NFKD');
    const isCompatibilityForm = compatible !== character;
    for (const part of compatible) {
      if (MARK.test(part)) {
        if (secondary.length > 0) utf8(part, secondary);
        continue;
      }
      const lower = part.toLowerCase();
      const upper = lower !== part;
      const letterVariant = LETTER_VARIANTS[lower];
      if (letterVariant === undefined) {
        addBase(lower, upper, isCompatibilityForm);
        continue;
      }
      const expands = letterVariant.base.length > 1;
      for (const base of letterVariant.base) addBase(base, upper, isCompatibilityForm || expands);
      if (letterVariant.mark !== undefined) utf8(letterVariant.mark, secondary);
    }
  }
  const key = Buffer.from([
    ...primary,
    LEVEL_SEPARATOR,
    ...secondary,
    LEVEL_SEPARATOR,
    ...tertiary,
  ]);
  return key.length > MAX_SORT_KEY_BYTES ? key.subarray(0, MAX_SORT_KEY_BYTES) : key;
}
