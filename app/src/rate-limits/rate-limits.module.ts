import { Module } from '@nestjs/common';
import { AttemptLimits } from './attempt-limits';
import { RateLimitsService } from './rate-limits.service';

@Module({ providers: [RateLimitsService, AttemptLimits], exports: [AttemptLimits] })
export class RateLimitsModule {}
