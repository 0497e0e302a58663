import { Module } from '@nestjs/common';
import { InboxAdminController } from './inbox-admin.controller';
import { InboxHandlerRegistry } from './inbox-handler.registry';
import { InboxReceiveGauge } from './inbox-receive.gauge';
import { InboxService } from './inbox.service';
import { InboxWorker } from './inbox.worker';

/** Store-then-process event inbox: the durable receive, the handler registry and the worker. */
@Module({
  controllers: [InboxAdminController],
  providers: [InboxService, InboxHandlerRegistry, InboxWorker, InboxReceiveGauge],
  exports: [InboxService, InboxHandlerRegistry, InboxWorker],
})
export class InboxModule {}
