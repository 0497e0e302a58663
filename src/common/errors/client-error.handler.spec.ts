import type { Socket } from 'node:net';
import { answerClientError } from './client-error.handler';

/** The part of a socket the handler uses, recording what was written. */
function fakeSocket(state: { destroyed?: boolean; writable?: boolean } = {}) {
  const written: string[] = [];
  const socket = {
    destroyed: state.destroyed ?? false,
    writable: state.writable ?? true,
    write: (chunk: string) => written.push(chunk),
    destroy: jest.fn(),
  };
  return { socket, written, asSocket: socket as unknown as Socket };
}

function parse(raw: string) {
  const [head, body] = raw.split('\r\n\r\n');
  const [statusLine, ...headers] = head.split('\r\n');
  return { statusLine, headers, body: JSON.parse(body) as unknown };
}

describe('answerClientError', () => {
  it.each([
    [
      'HPE_HEADER_OVERFLOW',
      'HTTP/1.1 431 Request Header Fields Too Large',
      'request_headers_too_large',
    ],
    ['ERR_HTTP_REQUEST_TIMEOUT', 'HTTP/1.1 408 Request Timeout', 'request_timeout'],
    ['HPE_INVALID_METHOD', 'HTTP/1.1 400 Bad Request', 'bad_request'],
  ])('%s: %s in the envelope, then the connection closed', (code, statusLine, errorCode) => {
    const { socket, written, asSocket } = fakeSocket();
    answerClientError(Object.assign(new Error('parse'), { code }), asSocket);
    expect(written).toHaveLength(1);
    const answer = parse(written[0]);
    expect(answer.statusLine).toBe(statusLine);
    expect(answer.headers).toEqual(
      expect.arrayContaining([
        'Content-Type: application/json; charset=utf-8',
        `Content-Length: ${Buffer.byteLength(written[0].split('\r\n\r\n')[1])}`,
        'Connection: close',
      ]),
    );
    expect(answer.body).toEqual({ error: { code: errorCode, message: expect.any(String) } });
    expect(socket.destroy).toHaveBeenCalledTimes(1);
  });

  it('writes nothing on a reset or destroyed connection', () => {
    const reset = fakeSocket();
    answerClientError(Object.assign(new Error('reset'), { code: 'ECONNRESET' }), reset.asSocket);
    const gone = fakeSocket({ destroyed: true });
    answerClientError(new Error('gone'), gone.asSocket);
    expect([reset.written, gone.written]).toEqual([[], []]);
  });

  it('only closes a connection that can no longer be written', () => {
    const { socket, written, asSocket } = fakeSocket({ writable: false });
    answerClientError(Object.assign(new Error('x'), { code: 'HPE_HEADER_OVERFLOW' }), asSocket);
    expect(written).toEqual([]);
    expect(socket.destroy).toHaveBeenCalledTimes(1);
  });
});
