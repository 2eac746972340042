import { Server, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { openAiErrorOf } from './openai-errors';
import { isOpenAiPath, problem } from './problem-details.filter';

type ClientError = Error & { code?: string; rawPacket?: Buffer };

/**
 * Requests Node's HTTP parser refuses — a request line and headers over 16 KB, a malformed request
 * line or header, a request too slow to arrive — never reach Express or the /v1 gateway, and Node
 * would answer them with a bare status line. They get the body every other refusal has: OpenAI's
 * shape when the request line names a /v1 path, problem details otherwise. As Node does, nothing
 * is written once a response on that connection has started (it would corrupt it).
 */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (err: ClientError, socket: Duplex) => {
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (socket.writable && !inFlight?.headersSent) {
      const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
      const [, method = '', path = '/'] = /^([A-Z]+) (\/[^ ?\r\n]*)/.exec(err.rawPacket?.subarray(0, 2_048).toString('latin1') ?? '') ?? [];
      const mapped = {
        status,
        code: (STATUS_CODES[status] ?? 'Bad Request').toLowerCase().replace(/ /g, '_'),
        detail: status === 431 ? 'The request line and headers are larger than 16 KB.' : 'The request could not be read as HTTP.',
      };
      const openAi = isOpenAiPath(path);
      const body = openAi ? openAiErrorOf(mapped).body : Buffer.from(JSON.stringify(problem(mapped, path)));
      const head = `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: ${openAi ? 'application/json; charset=utf-8' : 'application/problem+json; charset=utf-8'}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
      socket.write(method === 'HEAD' ? Buffer.from(head, 'latin1') : Buffer.concat([Buffer.from(head, 'latin1'), body]));
    }
    socket.destroy(err);
  });
}
