// SigV4 against the published AWS Signature Version 4 test suite (credentials AKIDEXAMPLE,
// 2015-08-30T12:36:00Z, us-east-1, service "service"). Expected canonical requests, strings to
// sign and signatures are the suite's (as shipped in awslabs/aws-c-auth
// tests/aws-signing-test-suite/v4 and aws-sdk-js-v3 signature-v4 suite.fixture.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  awsConfigFromEnv, canonicalQuery, canonicalUri, signRequest, signingKey, type SignRequestInput,
} from '../../src/llm/providers/aws-sigv4.js';

const EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const suite = {
  region: 'us-east-1',
  service: 'service',
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
  date: new Date('2015-08-30T12:36:00Z'),
};
const authz = (signedHeaders: string, sig: string): string =>
  `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=${signedHeaders}, Signature=${sig}`;
const sign = (r: Omit<SignRequestInput, keyof typeof suite>) => signRequest({ ...suite, ...r });

test('get-vanilla: canonical request, string to sign, authorization', () => {
  const s = sign({ method: 'GET', url: 'https://example.amazonaws.com/' });
  assert.equal(s.canonicalRequest,
    `GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n${EMPTY}`);
  assert.equal(s.stringToSign,
    'AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63');
  assert.equal(s.signature, '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31');
  assert.deepEqual(s.headers, {
    host: 'example.amazonaws.com',
    'x-amz-date': '20150830T123600Z',
    authorization: authz('host;x-amz-date', '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31'),
  });
});

test('get-vanilla-with-session-token: x-amz-security-token is sent and signed', () => {
  const token = '6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267';
  const s = signRequest({ ...suite, credentials: { ...suite.credentials, sessionToken: token }, method: 'GET', url: 'https://example.amazonaws.com/' });
  assert.equal(s.canonicalRequest,
    `GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\nx-amz-security-token:${token}\n\nhost;x-amz-date;x-amz-security-token\n${EMPTY}`);
  assert.equal(s.stringToSign,
    'AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n067b36aa60031588cea4a4cde1f21215227a047690c72247f1d70b32fbbfad2b');
  assert.equal(s.headers['x-amz-security-token'], token);
  assert.equal(s.headers.authorization,
    authz('host;x-amz-date;x-amz-security-token', '07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8'));
});

test('post-x-www-form-urlencoded (signed body): body hash and x-amz-content-sha256', () => {
  const s = sign({
    method: 'POST',
    url: 'https://example.amazonaws.com/',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': '13' },
    body: Buffer.from('Param1=value1'),
    signPayloadHeader: true,
  });
  const bodyHash = '9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e';
  assert.equal(s.canonicalRequest, [
    'POST', '/', '',
    'content-length:13', 'content-type:application/x-www-form-urlencoded', 'host:example.amazonaws.com',
    `x-amz-content-sha256:${bodyHash}`, 'x-amz-date:20150830T123600Z', '',
    'content-length;content-type;host;x-amz-content-sha256;x-amz-date', bodyHash,
  ].join('\n'));
  assert.equal(s.stringToSign,
    'AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nb1edd1d03544c25390e32085d55b57acc9a3961bb59415ff86c45c3d89d16cfb');
  assert.equal(s.signature, 'd3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b');
});

test('suite vectors on query, path and header canonicalisation', () => {
  const cases: Array<[string, Omit<SignRequestInput, keyof typeof suite>, string, string?]> = [
    ['post-vanilla', { method: 'POST', url: 'https://example.amazonaws.com/' },
      '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b'],
    ['get-vanilla-query-order-key-case', { method: 'GET', url: 'https://example.amazonaws.com/?Param2=value2&Param1=value1' },
      'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500'],
    ['get-vanilla-query-unreserved', {
      method: 'GET',
      url: 'https://example.amazonaws.com/?-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz',
    }, '9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197'],
    ['get-vanilla-utf8-query', { method: 'GET', url: 'https://example.amazonaws.com/?ሴ=bar' },
      '2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04'],
    ['post-vanilla-query-nonunreserved', {
      method: 'POST',
      url: `https://example.amazonaws.com/?${encodeURIComponent('@#$%^')}=&${encodeURIComponent('+')}=${encodeURIComponent('/,?><`";:\\|][{}')}`,
    }, '66c82657c86e26fb25238d0e69f011edc4c6df5ae71119d7cb98ed9b87393c1e'],
    ['get-unreserved', { method: 'GET', url: 'https://example.amazonaws.com/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz' },
      '07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f'],
    ['post-header-key-case', { method: 'post', url: 'https://example.amazonaws.com/', headers: { 'MY-HEADER1': 'value1' } },
      'c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c', 'host;my-header1;x-amz-date'],
    ['post-header-value-case', { method: 'POST', url: 'https://example.amazonaws.com/', headers: { 'My-Header1': 'VALUE1' } },
      'cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d', 'host;my-header1;x-amz-date'],
    ['get-header-value-trim', { method: 'GET', url: 'https://example.amazonaws.com/', headers: { 'My-Header1': ' value1', 'My-Header2': ' "a   b   c"' } },
      'acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736', 'host;my-header1;my-header2;x-amz-date'],
    ['post-x-www-form-urlencoded (unsigned-payload-header form)', {
      method: 'POST', url: 'https://example.amazonaws.com/', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'Param1=value1',
    }, 'ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a', 'content-type;host;x-amz-date'],
  ];
  for (const [name, req, sig, signed = 'host;x-amz-date'] of cases) {
    const s = sign(req);
    assert.equal(s.signature, sig, name);
    assert.equal(s.headers.authorization, authz(signed, sig), name);
  }
});

test('get-utf8: a raw UTF-8 path segment is percent-encoded in the canonical URI', () => {
  // The suite's request line carries "/ሴ" raw; a URL object would already hold it encoded.
  assert.equal(canonicalUri('/ሴ'), '/%E1%88%B4');
  assert.equal(canonicalUri('/'), '/');
  assert.equal(canonicalUri(''), '/');
});

test("Bedrock: the model id's ':' is %3A on the wire and %253A in the canonical path", () => {
  const url = `https://bedrock-runtime.us-east-1.amazonaws.com/model/${encodeURIComponent('anthropic.claude-3-5-sonnet-20240620-v1:0')}/converse-stream`;
  const s = signRequest({
    ...suite,
    service: 'bedrock',
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json', accept: 'application/vnd.amazon.eventstream' },
    body: '{"messages":[]}',
  });
  assert.equal(s.canonicalRequest.split('\n')[1], '/model/anthropic.claude-3-5-sonnet-20240620-v1%253A0/converse-stream');
  assert.equal(s.signedHeaders, 'accept;content-type;host;x-amz-date');
  assert.match(s.headers.authorization!, /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20150830\/us-east-1\/bedrock\/aws4_request, SignedHeaders=accept;content-type;host;x-amz-date, Signature=[0-9a-f]{64}$/);
  // An ARN model id: ':' and '/' both stay inside one segment.
  assert.equal(canonicalUri(`/model/${encodeURIComponent('arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.x-v1:0')}/converse`),
    '/model/arn%253Aaws%253Abedrock%253Aus-east-1%253A123456789012%253Ainference-profile%252Fus.x-v1%253A0/converse');
});

test('signing-key derivation matches the IAM docs example (secret, 20150830, us-east-1, iam)', () => {
  // AWS General Reference "Examples of how to derive a signing key for Signature Version 4".
  assert.equal(signingKey('wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', '20150830', 'us-east-1', 'iam').toString('hex'),
    'c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9');
});

test('canonical query: sorted by encoded key, empty values kept, + literal', () => {
  assert.equal(canonicalQuery('?b=2&a=1&a=0&c'), 'a=0&a=1&b=2&c=');
  assert.equal(canonicalQuery('?q=a+b&sp=a%20b'), 'q=a%2Bb&sp=a%20b');
  assert.equal(canonicalQuery(''), '');
});

test('caller headers cannot override or smuggle signed ones; input is not mutated', () => {
  const headers = { Host: 'evil.example', 'X-Amz-Date': '19700101T000000Z', Authorization: 'Bearer x' };
  const s = sign({ method: 'GET', url: 'https://example.amazonaws.com/', headers });
  assert.equal(s.signature, '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31');
  assert.deepEqual(headers, { Host: 'evil.example', 'X-Amz-Date': '19700101T000000Z', Authorization: 'Bearer x' });
  assert.deepEqual(Object.keys(s.headers).sort(), ['authorization', 'host', 'x-amz-date']);
});

test('credentials and region from the standard AWS environment variables', () => {
  assert.deepEqual(awsConfigFromEnv({}), {});
  assert.deepEqual(awsConfigFromEnv({ AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 'sek', AWS_DEFAULT_REGION: 'eu-west-1' }),
    { credentials: { accessKeyId: 'AKID', secretAccessKey: 'sek' }, region: 'eu-west-1' });
  assert.deepEqual(awsConfigFromEnv({
    AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 'sek', AWS_SESSION_TOKEN: 'tok', AWS_REGION: 'us-west-2', AWS_DEFAULT_REGION: 'eu-west-1',
  }), { credentials: { accessKeyId: 'AKID', secretAccessKey: 'sek', sessionToken: 'tok' }, region: 'us-west-2' });
  // Half a key pair is not credentials; empty strings are unset.
  assert.deepEqual(awsConfigFromEnv({ AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: '', AWS_REGION: ' ' }), {});
});

test('IAM docs example: GET ListUsers (iam, us-east-1)', () => {
  // AWS General Reference SigV4 walkthrough: string to sign and signature for ListUsers.
  const s = signRequest({
    ...suite,
    service: 'iam',
    method: 'GET',
    url: 'https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' },
  });
  assert.equal(s.canonicalRequest, [
    'GET', '/', 'Action=ListUsers&Version=2010-05-08',
    'content-type:application/x-www-form-urlencoded; charset=utf-8', 'host:iam.amazonaws.com', 'x-amz-date:20150830T123600Z', '',
    'content-type;host;x-amz-date', EMPTY,
  ].join('\n'));
  assert.equal(s.stringToSign,
    'AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\nf536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59');
  assert.equal(s.signature, '5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7');
});
