import { Module } from '@nestjs/common';
import { LabsModule } from '../../../libs/labs/labs.module';
import { PersistenceModule } from '../../../libs/persistence/persistence.module';
import { TokenResolver } from '../common/auth.guard';
import { TerminalGateway } from './terminal.gateway';
import { TerminalRegistry } from './terminal.registry';
import { TerminalsController } from './terminals.controller';
import { TerminalsService } from './terminals.service';

/** Web terminals: REST to create sessions, a WebSocket on the API's HTTP server to run them. */
@Module({
  imports: [PersistenceModule, LabsModule],
  controllers: [TerminalsController],
  // TokenResolver again here (it is stateless): the upgrade checks tokens outside Nest's guards.
  providers: [TokenResolver, TerminalRegistry, TerminalsService, TerminalGateway],
})
export class TerminalsModule {}
