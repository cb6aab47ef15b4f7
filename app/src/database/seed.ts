import { DataSource } from 'typeorm';
import { nameSortKey } from '../common/collation-key';
import { hashPassword } from '../common/passwords';
import { Note, Pad, User } from './entities';

export interface SeedOptions {
  users: number;
  padsPerUser: number;
  notesPerPad: number;
  /** Varies the generated words; the same seed always gives the same content. */
  seed: number;
}

/** Seeded accounts are demo{i}@example.com with this password (shown in the report). */
export const SEED_PASSWORD = 'notejam-demo';

const WORDS = (
  'alpha amber anchor apple arrow atlas basil beacon birch bloom cedar chalk cinder cobalt comet coral ' +
  'crane delta drift ember fable fern flint forest frost garnet glade harbor hazel heron indigo iris ' +
  'juniper kettle lantern lemon linen maple meadow mint nectar north oak olive orbit pebble pine prism ' +
  'quartz quill raven river saffron sage shore slate sparrow spruce summit thistle tide timber umber ' +
  'velvet violet willow winter yarrow zephyr'
).split(' ');

/** mulberry32: a tiny deterministic PRNG; good enough for demo text. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function words(next: () => number, count: number): string {
  return Array.from({ length: count }, () => WORDS[Math.floor(next() * WORDS.length)]).join(' ');
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Content of pad j of user i, note k: a pure function of (seed, i, j, k). */
function padName(seed: number, user: number, pad: number): string {
  return capitalize(words(random(seed * 1_000_003 + user * 1009 + pad), 2));
}

function noteContent(
  seed: number,
  user: number,
  pad: number,
  note: number,
): { name: string; text: string; ageMinutes: number } {
  const next = random(seed * 2_000_003 + user * 100_003 + pad * 1009 + note);
  const name = capitalize(words(next, 3));
  const paragraphs = Array.from(
    { length: 1 + Math.floor(next() * 3) },
    () => `${capitalize(words(next, 12))}.`,
  );
  return { name, text: paragraphs.join('\n\n'), ageMinutes: Math.floor(next() * 60 * 24 * 30) };
}

const BATCH = 500;

/**
 * Makes sure the demo data set exists: users 1..N, each with M pads of K notes. What exists
 * is kept (matched by e-mail, then by position), only what is missing is created, so a
 * second run creates nothing. Returns a one-line report.
 */
export async function seed(dataSource: DataSource, options: SeedOptions): Promise<string> {
  const created = { users: 0, pads: 0, notes: 0 };
  const users = dataSource.getRepository(User);
  const pads = dataSource.getRepository(Pad);
  const notes = dataSource.getRepository(Note);
  let passwordHash: string | undefined;
  const now = Date.now();

  for (let i = 1; i <= options.users; i++) {
    const email = `demo${i}@example.com`;
    let user = await users.findOneBy({ email });
    if (!user) {
      passwordHash ??= await hashPassword(SEED_PASSWORD);
      user = await users.save(users.create({ email, passwordHash, createdAt: new Date(now) }));
      created.users++;
    }
    const userPads = await pads.find({
      where: { userId: user.id },
      order: { id: 'ASC' },
      take: options.padsPerUser,
    });
    for (let j = userPads.length + 1; j <= options.padsPerUser; j++) {
      const date = new Date(now);
      const name = padName(options.seed, i, j);
      userPads.push(
        await pads.save(
          pads.create({
            userId: user.id,
            name,
            nameSortKey: nameSortKey(name),
            createdAt: date,
            updatedAt: date,
          }),
        ),
      );
      created.pads++;
    }
    for (const [index, pad] of userPads.entries()) {
      const existing = await notes.countBy({ padId: pad.id });
      const rows = [];
      for (let k = existing + 1; k <= options.notesPerPad; k++) {
        const { name, text, ageMinutes } = noteContent(options.seed, i, index + 1, k);
        const date = new Date(now - ageMinutes * 60_000);
        rows.push({
          userId: user.id,
          padId: pad.id,
          name,
          nameSortKey: nameSortKey(name),
          text,
          createdAt: date,
          updatedAt: date,
        });
      }
      for (let start = 0; start < rows.length; start += BATCH) {
        await notes.insert(rows.slice(start, start + BATCH));
      }
      created.notes += rows.length;
    }
  }
  return (
    `seed: created ${created.users} users, ${created.pads} pads, ${created.notes} notes ` +
    `(data set: ${options.users} users demo1..demo${options.users}@example.com, ` +
    `${options.padsPerUser} pads per user, ${options.notesPerPad} notes per pad; password "${SEED_PASSWORD}")`
  );
}
