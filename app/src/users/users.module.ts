import { Module } from '@nestjs/common';
import { RateLimitsModule } from '../rate-limits/rate-limits.module';
import { SettingsController } from './settings.controller';
import { UsersService } from './users.service';

@Module({
  imports: [RateLimitsModule],
  controllers: [SettingsController],
  providers: [UsersService],
  exports: [UsersService],
})
export class UsersModule {}
