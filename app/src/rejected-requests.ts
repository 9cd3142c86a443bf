import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { RequestError } from '@hono/node-server';
import type { Logger } from './logger.js';
import { PROBLEM_CONTENT_TYPE, Problem, internalError, problemJson } from './problem.js';
import { commonHeaders } from './response-headers.js';

// Requests refused before the app sees them, answered with the same problems and headers the app uses.

/** The problem for an error of Node's HTTP parser, with the status Node itself would have sent. */
function parserProblem(error: NodeJS.ErrnoException): Problem {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return new Problem(431, 'Request header fields too large', 'The request headers exceed the 16 KiB the server reads.');
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return new Problem(413, 'Payload too large', 'The chunk extensions of the body are too large.');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new Problem(408, 'Request timeout', 'The request did not arrive in time.');
    default:
      return new Problem(400, 'Bad request', `The request is not valid HTTP/1.1 (${error.code ?? 'parse error'}).`);
  }
}

/** For the server's `clientError` event: a problem+json answer where Node would send an empty 400, 408 or 431. */
export function answerClientError(servedBy: string) {
  return (error: NodeJS.ErrnoException, socket: Duplex): void => {
    // As Node does: nothing to tell a client that is gone, or one whose response has already begun.
    const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse })._httpMessage;
    if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const problem = parserProblem(error);
    const body = problemJson(problem);
    const headers = {
      ...commonHeaders(servedBy),
      'Content-Type': PROBLEM_CONTENT_TYPE,
      'Content-Length': String(Buffer.byteLength(body)),
      Connection: 'close',
    };
    const head = [`HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status]}`, ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)];
    socket.end(`${head.join('\r\n')}\r\n\r\n${body}`, () => socket.destroy());
  };
}

/**
 * For the Node adapter's `errorHandler`: a request it could not turn into a fetch Request (no Host, a Host with a
 * space, a malformed target) is a 400 problem instead of an empty 400. Anything else arriving here is a bug: a 500.
 */
export function answerRequestError(servedBy: string, logger: Logger) {
  return (error: unknown): Response => {
    let problem: Problem;
    if (error instanceof RequestError) {
      problem = new Problem(400, 'Bad request', `${error.message}.`);
    } else {
      logger.error({ err: error }, 'unhandled error outside the app');
      problem = internalError();
    }
    const headers = { ...commonHeaders(servedBy), 'Content-Type': PROBLEM_CONTENT_TYPE };
    return new Response(problemJson(problem), { status: problem.status, headers });
  };
}
