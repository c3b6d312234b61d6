// Accept-phase checks on a request head that llhttp has already parsed. llhttp refuses
// most framing attacks itself (Content-Length with Transfer-Encoding, duplicate lengths,
// bare LF, obs-fold, CR or NUL in a value, `chunked` not last). What it lets through and
// a proxy must not forward is refused here: a transfer coding other than plain `chunked`
// (`identity, chunked`, `gzip, chunked`: we would drop the coding and forward bytes the
// upstream cannot read), chunked framing on HTTP/1.0, HTTP versions other than 1.x, a
// second Host (RFC 9112 §3.2), and more header fields than the listener allows (Node's
// maxHeaderSize only bounds bytes).
// Rejections are preallocated: this runs on every request and must not allocate.
import type { IncomingMessage } from 'node:http';
import type { ErrorCode } from './errors.js';

export interface AcceptRejection {
  readonly code: ErrorCode;
  /** Label of agentedge_downstream_rejected_total. */
  readonly reason: string;
}

const TOO_MANY_HEADERS: AcceptRejection = Object.freeze({ code: 'AE_HEADERS_TOO_LARGE', reason: 'header_count' });
const BAD_VERSION: AcceptRejection = Object.freeze({ code: 'AE_BAD_REQUEST', reason: 'framing' });
const BAD_TRANSFER_ENCODING: AcceptRejection = Object.freeze({ code: 'AE_BAD_REQUEST', reason: 'framing' });
const DUPLICATE_HOST: AcceptRejection = Object.freeze({ code: 'AE_BAD_REQUEST', reason: 'duplicate_host' });

/** Null when the request head may proceed to routing. */
export function acceptRequest(req: IncomingMessage, maxHeaderCount: number): AcceptRejection | null {
  if (req.httpVersionMajor !== 1) return BAD_VERSION;
  const raw = req.rawHeaders;
  // The server keeps at most maxHeaderCount + 1 fields, so "too many" is visible here.
  if (raw.length > maxHeaderCount * 2) return TOO_MANY_HEADERS;
  const te = req.headers['transfer-encoding'];
  if (te !== undefined) {
    // Node trims surrounding whitespace and joins repeated fields with ", ".
    if (te.length !== 7 || te.toLowerCase() !== 'chunked' || req.httpVersionMinor === 0) return BAD_TRANSFER_ENCODING;
  }
  // req.headers keeps only the first Host, so a second one can only be seen in rawHeaders.
  let hosts = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 4 && (name === 'Host' || name === 'host' || name.toLowerCase() === 'host') && ++hosts > 1) return DUPLICATE_HOST;
  }
  return null;
}
