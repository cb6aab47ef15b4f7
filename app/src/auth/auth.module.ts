import { Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { UsersModule } from '../users/users.module';
import { AUTH_RATE_LIMITER, AuthController } from './auth.controller';
import { Mailer } from './mailer.service';
import { PasswordResetsService } from './password-resets.service';
import { RateLimiter } from './rate-limiter';

@Module({
  imports: [UsersModule],
  controllers: [AuthController],
  providers: [
    Mailer,
    PasswordResetsService,
    {
      provide: AUTH_RATE_LIMITER,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) =>
        new RateLimiter(config.rateLimit.attempts, config.rateLimit.windowSeconds * 1000),
    },
  ],
})
export class AuthModule {}
