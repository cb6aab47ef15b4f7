import { Module } from '@nestjs/common';
import { SettingsController } from './settings.controller';
import { UsersService } from './users.service';

@Module({ controllers: [SettingsController], providers: [UsersService], exports: [UsersService] })
export class UsersModule {}
