// The Authorization header each repository last accepted, reused until it expires: a
// Bearer token for its lifetime (`expires_in`, 60 s when the token server does not say,
// as the distribution token spec has it), Basic credentials for as long as they are the
// same. A resolution then costs one manifest request instead of three (anonymous request,
// token, request again). Bounded: least recently used entries go first.

/** Usable until this share of a token's lifetime has passed (it must not expire in flight). */
const usableShareOfLifetime = 0.9;

export class RegistryAuthorizations {
  private readonly entries = new Map<string, { header: string; expiresAt: number }>();

  constructor(
    private readonly maxEntries = 512,
    private readonly now: () => number = Date.now,
  ) {}

  /** The header for `key` (repository and credentials), while it is still good. */
  get(key: string): string | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (entry.expiresAt <= this.now()) return undefined;
    this.entries.set(key, entry); // most recently used last
    return entry.header;
  }

  /** Remembers a header; `lifetimeMs` counted from `issuedAt` (when it was asked for). */
  set(key: string, header: string, issuedAt: number, lifetimeMs = Infinity): void {
    this.entries.delete(key);
    this.entries.set(key, { header, expiresAt: issuedAt + lifetimeMs * usableShareOfLifetime });
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(oldest);
    }
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}
