import { errorFactory } from '../common/errors/app.exception';

export enum AccountsErrorCode {
  InvalidAccountId = 'invalid_account_id',
  InvalidCursor = 'invalid_cursor',
}

export const accountsError = errorFactory<AccountsErrorCode>({
  [AccountsErrorCode.InvalidAccountId]: {
    status: 400,
    message: 'An account id is 1 to 64 letters, digits, underscores or hyphens.',
  },
  [AccountsErrorCode.InvalidCursor]: {
    status: 400,
    message: 'The paging cursor is not valid; use the nextBefore value of a previous page.',
  },
});
