// Text rules that must give the same answer on SQLite and MySQL, so the app applies them
// itself instead of leaving them to a database's collation.

/**
 * Length in characters as people (and MySQL's VARCHAR(n)) count them: Unicode code points,
 * not JavaScript's UTF-16 units, so an emoji is one character, not two.
 */
export function characterCount(text: string): number {
  let count = text.length;
  for (let i = 0; i < text.length - 1; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        count--;
        i++;
      }
    }
  }
  return count;
}

/**
 * The one spelling of an e-mail address that is stored and compared (byte for byte, on both
 * databases): trimmed, Unicode NFC, and case-folded. Accents stay: josé@ and jose@ are two
 * addresses.
 */
export function normalizeEmail(email: string): string {
  return foldCase(email.trim().normalize('NFC')).normalize('NFC');
}

/**
 * Unicode full case folding: upper-casing then lower-casing folds what lower-casing alone
 * keeps apart (ß and SS, ſ and s, ligatures); two letters remain — capital ẞ lower-cases to
 * ß, and JavaScript lower-cases a word-final Σ to ς — and fold as Unicode says: ss, σ.
 */
function foldCase(text: string): string {
  return text.toUpperCase().toLowerCase().replace(/ß/g, 'ss').replace(/ς/g, 'σ');
}
