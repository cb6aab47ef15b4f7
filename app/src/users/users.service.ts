import { Injectable } from '@nestjs/common';
import { DataSource, type Repository } from 'typeorm';
import { hashPassword, verifyDecoy, verifyPassword } from '../common/passwords';
import { User } from '../database/entities';

export class EmailTakenError extends Error {}

@Injectable()
export class UsersService {
  private readonly users: Repository<User>;

  constructor(dataSource: DataSource) {
    this.users = dataSource.getRepository(User);
  }

  findByEmail(email: string): Promise<User | null> {
    return this.users.findOneBy({ email: normalizeEmail(email) });
  }

  /** Throws EmailTakenError when the address is in use (also when two sign-ups race). */
  async create(email: string, password: string): Promise<User> {
    const normalized = normalizeEmail(email);
    if (await this.findByEmail(normalized)) throw new EmailTakenError();
    const passwordHash = await hashPassword(password);
    try {
      return await this.users.save(
        this.users.create({ email: normalized, passwordHash, createdAt: new Date() }),
      );
    } catch (error) {
      if (await this.findByEmail(normalized)) throw new EmailTakenError();
      throw error;
    }
  }

  /** The user with these credentials, or null; takes as long whether or not the e-mail exists. */
  async authenticate(email: string, password: string): Promise<User | null> {
    const user = await this.findByEmail(email);
    if (!user) return verifyDecoy(password).then(() => null);
    return (await verifyPassword(user.passwordHash, password)) ? user : null;
  }

  checkPassword(user: User, password: string): Promise<boolean> {
    return verifyPassword(user.passwordHash, password);
  }

  async setPassword(userId: number, password: string): Promise<void> {
    await this.users.update({ id: userId }, { passwordHash: await hashPassword(password) });
  }
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}
