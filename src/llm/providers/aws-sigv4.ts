// AWS Signature Version 4 for header-signed requests (IAM "Create a signed AWS API request"),
// node:crypto only. Verified against the AWS SigV4 test suite (test/llm/aws-sigv4.test.ts).
//
// Canonical URI: every path segment of the path *as sent on the wire* is URI-encoded again
// (all services but S3 double-encode). Bedrock model ids contain ':' (…-v1:0): the request
// path carries it as %3A and the canonical path as %253A, which is what AWS computes.
import { createHash, createHmac } from 'node:crypto';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface SignRequestInput {
  method: string;
  url: string | URL;
  /** Headers to send and sign (names in any case). host and x-amz-date are added. */
  headers?: Record<string, string>;
  body?: Buffer | Uint8Array | string;
  region: string;
  service: string;
  credentials: AwsCredentials;
  /** Signing time; injectable for tests. Defaults to now. */
  date?: Date;
  /** Also send and sign x-amz-content-sha256 (S3 requires it; Bedrock does not). */
  signPayloadHeader?: boolean;
}

export interface SignedRequest {
  /** The headers to send: the input's, plus host, x-amz-date, x-amz-security-token when a
   *  session token is present, x-amz-content-sha256 when asked, and authorization. */
  headers: Record<string, string>;
  canonicalRequest: string;
  stringToSign: string;
  signature: string;
  signedHeaders: string;
}

const sha256Hex = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();

/** RFC 3986 encoding as SigV4 wants it: everything but A-Z a-z 0-9 - _ . ~ as %XX (upper hex). */
export function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The canonical URI for a wire path: each segment encoded once more, slashes kept. */
export function canonicalUri(wirePath: string): string {
  if (wirePath === '') return '/';
  return wirePath.split('/').map(uriEncode).join('/');
}

/**
 * The canonical query string: parameters decoded, re-encoded strictly, sorted by encoded
 * name then value. '+' is taken literally (not as a space): it is what was sent.
 */
export function canonicalQuery(search: string): string {
  const q = search.startsWith('?') ? search.slice(1) : search;
  if (q === '') return '';
  const decode = (s: string): string => {
    try { return decodeURIComponent(s); } catch { return s; }
  };
  const pairs = q.split('&').filter((p) => p !== '').map((p) => {
    const eq = p.indexOf('=');
    const k = eq < 0 ? p : p.slice(0, eq);
    const v = eq < 0 ? '' : p.slice(eq + 1);
    return [uriEncode(decode(k)), uriEncode(decode(v))] as const;
  });
  pairs.sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

/** 20150830T123600Z */
export function amzDate(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** kSigning = HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request") */
export function signingKey(secret: string, dateStamp: string, region: string, service: string): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secret}`, dateStamp), region), service), 'aws4_request');
}

export function signRequest(input: SignRequestInput): SignedRequest {
  const url = typeof input.url === 'string' ? new URL(input.url) : input.url;
  const stamp = amzDate(input.date ?? new Date());
  const dateStamp = stamp.slice(0, 8);
  const payloadHash = sha256Hex(input.body ?? '');

  // Lower-case names; later duplicates (case-insensitively) win, so callers cannot smuggle a
  // second, unsigned copy of a header we set.
  const sent: Record<string, string> = {};
  for (const [k, v] of Object.entries(input.headers ?? {})) {
    const lk = k.toLowerCase();
    if (lk === 'authorization') continue;
    sent[lk] = v;
  }
  sent.host = url.host;
  sent['x-amz-date'] = stamp;
  if (input.credentials.sessionToken) sent['x-amz-security-token'] = input.credentials.sessionToken;
  if (input.signPayloadHeader) sent['x-amz-content-sha256'] = payloadHash;

  const names = Object.keys(sent).sort();
  // Values: trimmed, inner runs of whitespace collapsed to one space.
  const canonicalHeaders = names.map((n) => `${n}:${sent[n]!.trim().replace(/\s+/g, ' ')}\n`).join('');
  const signedHeaders = names.join(';');
  const canonicalRequest = [
    input.method.toUpperCase(),
    canonicalUri(url.pathname),
    canonicalQuery(url.search),
    canonicalHeaders,
    signedHeaders,
    payloadHash,
  ].join('\n');

  const scope = `${dateStamp}/${input.region}/${input.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', stamp, scope, sha256Hex(canonicalRequest)].join('\n');
  const signature = createHmac('sha256', signingKey(input.credentials.secretAccessKey, dateStamp, input.region, input.service))
    .update(stringToSign, 'utf8').digest('hex');

  const headers: Record<string, string> = { ...sent };
  headers.authorization =
    `AWS4-HMAC-SHA256 Credential=${input.credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return { headers, canonicalRequest, stringToSign, signature, signedHeaders };
}

export interface AwsEnvConfig {
  credentials?: AwsCredentials;
  region?: string;
}

/**
 * Credentials and region from the standard AWS environment variables. Credentials only when
 * both the key id and the secret are set (a lone half is a misconfiguration, not a fallback);
 * AWS_REGION wins over AWS_DEFAULT_REGION as in the AWS SDKs. Empty values count as unset.
 */
export function awsConfigFromEnv(env: Record<string, string | undefined>): AwsEnvConfig {
  const get = (k: string): string | undefined => {
    const v = env[k]?.trim();
    return v ? v : undefined;
  };
  const out: AwsEnvConfig = {};
  const accessKeyId = get('AWS_ACCESS_KEY_ID');
  const secretAccessKey = get('AWS_SECRET_ACCESS_KEY');
  if (accessKeyId && secretAccessKey) {
    const sessionToken = get('AWS_SESSION_TOKEN');
    out.credentials = sessionToken ? { accessKeyId, secretAccessKey, sessionToken } : { accessKeyId, secretAccessKey };
  }
  const region = get('AWS_REGION') ?? get('AWS_DEFAULT_REGION');
  if (region) out.region = region;
  return out;
}
