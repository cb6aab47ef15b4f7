import { hash, verify } from '@node-rs/argon2';

/** Stated on the forms and enforced everywhere a password is chosen. */
export const MIN_PASSWORD_LENGTH = 8;
/** argon2 hashes anything, but a bound keeps a single request from being expensive. */
export const MAX_PASSWORD_LENGTH = 1024;

// argon2id (the library's default algorithm) with the OWASP-recommended minimum: 19 MiB, 2 passes.
const OPTIONS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

export async function verifyPassword(storedHash: string, password: string): Promise<boolean> {
  try {
    return await verify(storedHash, password);
  } catch {
    return false;
  }
}

let decoyHash: Promise<string> | undefined;

/** Costs the same as a real check, so response time does not tell whether an e-mail exists. */
export async function verifyDecoy(password: string): Promise<false> {
  decoyHash ??= hashPassword('decoy password that matches nothing');
  await verifyPassword(await decoyHash, password);
  return false;
}
