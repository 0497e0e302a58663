import { errorFactory } from '../common/errors/app.exception';

export enum InboxErrorCode {
  InboxEventNotFound = 'inbox_event_not_found',
  InboxEventAlreadyProcessed = 'inbox_event_already_processed',
  InboxEventInProgress = 'inbox_event_in_progress',
  InvalidCursor = 'invalid_cursor',
}

export const inboxError = errorFactory<InboxErrorCode>({
  [InboxErrorCode.InboxEventNotFound]: { status: 404, message: 'No inbox event has this id.' },
  [InboxErrorCode.InboxEventAlreadyProcessed]: {
    status: 409,
    message: 'This inbox event was already processed; there is nothing to retry.',
  },
  [InboxErrorCode.InboxEventInProgress]: {
    status: 409,
    message: 'This inbox event is being processed right now; retry later if it fails.',
  },
  [InboxErrorCode.InvalidCursor]: {
    status: 400,
    message: 'The paging cursor is not valid; use the nextBefore value of a previous page.',
  },
});
