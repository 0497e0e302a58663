import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { errorBody } from './app.exception';
import { commonError, CommonErrorCode } from './common-errors';

/**
 * Answers a request Node's HTTP parser refused before any route saw it (headers over Node's
 * 16 KB limit, a request that did not arrive within the request timeout, a malformed request)
 * in the error envelope, as every other refusal, then closes the connection: after a parse
 * error nothing more can be read from it. A reset connection gets nothing.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const refusal = commonError(
    error.code === 'HPE_HEADER_OVERFLOW'
      ? CommonErrorCode.HeadersTooLarge
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? CommonErrorCode.RequestTimeout
        : CommonErrorCode.BadRequest,
  );
  const { status } = refusal;
  const body = JSON.stringify(errorBody(refusal.code, refusal.message));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
  }
  socket.destroy();
}
