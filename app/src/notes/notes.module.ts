import { Module } from '@nestjs/common';
import { PadsModule } from '../pads/pads.module';
import { NotesController } from './notes.controller';
import { NotesService } from './notes.service';

@Module({ imports: [PadsModule], controllers: [NotesController], providers: [NotesService] })
export class NotesModule {}
