import { Module } from '@nestjs/common';
import { PersistenceModule } from '../../../libs/persistence/persistence.module';
import { AddressLimiter } from './address-limiter';
import { RateLimitStore } from './rate-limit.store';
import { TokenResolver } from './token-resolver';

/**
 * Who is calling, and how often: token resolution and the rate-limit counters, one
 * instance each for the REST guards and the terminal upgrade (one Redis connection, one
 * memory of known tokens per process).
 */
@Module({
  imports: [PersistenceModule],
  providers: [RateLimitStore, AddressLimiter, TokenResolver],
  exports: [RateLimitStore, TokenResolver],
})
export class AuthModule {}
