import { Module } from '@nestjs/common';
import { LabsModule } from '../../../libs/labs/labs.module';
import { PersistenceModule } from '../../../libs/persistence/persistence.module';
import { EventsModule } from '../../../libs/events/events.module';
import { AuthModule } from '../common/auth.module';
import { TerminalAccessWatch } from './terminal-access.watch';
import { TerminalDirectory } from './terminal-directory';
import { TerminalReaper } from './terminal-reaper';
import { TerminalGateway } from './terminal.gateway';
import { TerminalRegistry } from './terminal.registry';
import { TerminalsController } from './terminals.controller';
import { TerminalsService } from './terminals.service';

/** Web terminals: REST to create sessions, a WebSocket on the API's HTTP server to run them. */
@Module({
  imports: [PersistenceModule, LabsModule, AuthModule, EventsModule],
  controllers: [TerminalsController],
  // AuthModule's TokenResolver: the upgrade checks tokens outside Nest's guards, under the same limits.
  providers: [TerminalRegistry, TerminalDirectory, TerminalReaper, TerminalsService, TerminalGateway, TerminalAccessWatch],
  exports: [TerminalRegistry],
})
export class TerminalsModule {}
