import { Module } from '@nestjs/common';
import { PAD_LINKS } from '../web/page.interceptor';
import { NotesModule } from '../notes/notes.module';
import { PadsController } from './pads.controller';
import { PadsService } from './pads.service';

/** Pads, their pages (a pad's page lists its notes), and the layout's pads column. */
@Module({
  imports: [NotesModule],
  controllers: [PadsController],
  providers: [PadsService, { provide: PAD_LINKS, useExisting: PadsService }],
  exports: [PAD_LINKS],
})
export class PadsModule {}
