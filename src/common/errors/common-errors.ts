import { errorFactory } from './app.exception';

export enum CommonErrorCode {
  ValidationFailed = 'validation_failed',
  InvalidJson = 'invalid_json',
  UnsupportedMediaType = 'unsupported_media_type',
  PayloadTooLarge = 'payload_too_large',
  NotFound = 'not_found',
  MethodNotAllowed = 'method_not_allowed',
  Unauthenticated = 'unauthenticated',
  Forbidden = 'forbidden',
  BadRequest = 'bad_request',
  HeadersTooLarge = 'request_headers_too_large',
  RequestTimeout = 'request_timeout',
  ServiceUnavailable = 'service_unavailable',
  InternalError = 'internal_error',
}

export const commonError = errorFactory<CommonErrorCode>({
  [CommonErrorCode.ValidationFailed]: { status: 400, message: 'The request is not valid.' },
  [CommonErrorCode.InvalidJson]: { status: 400, message: 'The request body is not valid JSON.' },
  [CommonErrorCode.UnsupportedMediaType]: {
    status: 415,
    message: 'The request body must be application/json.',
  },
  [CommonErrorCode.PayloadTooLarge]: { status: 413, message: 'The request body is too large.' },
  [CommonErrorCode.NotFound]: { status: 404, message: 'No such resource.' },
  [CommonErrorCode.MethodNotAllowed]: { status: 405, message: 'Method not allowed.' },
  [CommonErrorCode.Unauthenticated]: {
    status: 401,
    message: 'An API key is required: send Authorization: Bearer <key>.',
  },
  [CommonErrorCode.Forbidden]: { status: 403, message: 'This API key may not use this endpoint.' },
  [CommonErrorCode.BadRequest]: { status: 400, message: 'The request is not valid.' },
  [CommonErrorCode.HeadersTooLarge]: {
    status: 431,
    message: 'The request line and headers are too large.',
  },
  [CommonErrorCode.RequestTimeout]: {
    status: 408,
    message: 'The request did not arrive in time.',
  },
  [CommonErrorCode.ServiceUnavailable]: {
    status: 503,
    message: 'The service is temporarily unavailable; retry later.',
  },
  [CommonErrorCode.InternalError]: { status: 500, message: 'Internal error.' },
});
