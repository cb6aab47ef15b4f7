import { Module } from '@nestjs/common';
import { RateLimitsModule } from '../rate-limits/rate-limits.module';
import { SessionsModule } from '../sessions/sessions.module';
import { UsersModule } from '../users/users.module';
import { AuthController } from './auth.controller';
import { MailerService } from './mailer.service';
import { PasswordResetController } from './password-reset.controller';
import { PasswordResetsService } from './password-resets.service';

@Module({
  imports: [UsersModule, SessionsModule, RateLimitsModule],
  controllers: [AuthController, PasswordResetController],
  providers: [MailerService, PasswordResetsService],
})
export class AuthModule {}
