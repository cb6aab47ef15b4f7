import { Injectable, NotFoundException } from '@nestjs/common';
import { DataSource, type Repository } from 'typeorm';
import { Pad } from '../database/entities';

@Injectable()
export class PadsService {
  private readonly pads: Repository<Pad>;

  constructor(dataSource: DataSource) {
    this.pads = dataSource.getRepository(Pad);
  }

  listForUser(userId: number): Promise<Pad[]> {
    return this.pads.find({ where: { userId }, order: { name: 'ASC', id: 'ASC' } });
  }

  /** The user's pad, or 404 when it does not exist or belongs to someone else. */
  async findOwned(userId: number, id: number): Promise<Pad> {
    const pad = await this.pads.findOneBy({ id, userId });
    if (!pad) throw new NotFoundException();
    return pad;
  }

  async isOwned(userId: number, id: number): Promise<boolean> {
    return (await this.pads.countBy({ id, userId })) > 0;
  }

  create(userId: number, name: string): Promise<Pad> {
    const now = new Date();
    return this.pads.save(this.pads.create({ userId, name, createdAt: now, updatedAt: now }));
  }

  async rename(pad: Pad, name: string): Promise<void> {
    await this.pads.update({ id: pad.id, userId: pad.userId }, { name, updatedAt: new Date() });
  }

  /** Its notes go with it (ON DELETE CASCADE). */
  async delete(pad: Pad): Promise<void> {
    await this.pads.delete({ id: pad.id, userId: pad.userId });
  }
}
