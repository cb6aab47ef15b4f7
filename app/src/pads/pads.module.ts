import { Module } from '@nestjs/common';
import { PadsController } from './pads.controller';
import { PadsService } from './pads.service';

@Module({ controllers: [PadsController], providers: [PadsService], exports: [PadsService] })
export class PadsModule {}
