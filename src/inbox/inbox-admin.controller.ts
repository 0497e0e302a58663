import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequireScopes } from '../common/auth/require-scopes.decorator';
import { InboxEventParamsDto, InboxListQueryDto } from './dto/inbox-admin.dto';
import { InboxEventDto, InboxPageDto } from './dto/inbox-responses.dto';
import { InboxService, type InboxEventView, type InboxPage } from './inbox.service';

/** Operators: see failed (or any) inbox events and send one back to be processed. */
@ApiTags('admin')
@ApiBearerAuth()
@RequireScopes('admin')
@Controller('v1/admin/inbox')
export class InboxAdminController {
  constructor(private readonly inbox: InboxService) {}

  @Get()
  @ApiOkResponse({ type: InboxPageDto })
  @ApiOperation({ summary: 'Inbox events, newest first (e.g. ?status=failed), paged' })
  list(@Query() query: InboxListQueryDto): Promise<InboxPage> {
    return this.inbox.list(query);
  }

  @Post(':id/retry')
  @ApiOkResponse({ type: InboxEventDto })
  @HttpCode(200)
  @ApiOperation({
    summary: 'Process a failed or waiting event again now, with a fresh attempt budget',
  })
  retry(@Param() params: InboxEventParamsDto): Promise<InboxEventView> {
    return this.inbox.retry(params.id);
  }
}
