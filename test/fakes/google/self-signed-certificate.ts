/**
 * A minimal DER encoder for one self-signed X.509 v3 certificate (RSA, sha256WithRSAEncryption).
 * Google publishes its ID-token keys as such certificates (PEM, keyed by `kid`); Node can parse
 * certificates but not create them, so the fake builds its own.
 */
import { KeyObject, createSign } from 'node:crypto';

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), length(content.length), content]);
}

const sequence = (...parts: Buffer[]): Buffer => tlv(0x30, Buffer.concat(parts));
const set = (...parts: Buffer[]): Buffer => tlv(0x31, Buffer.concat(parts));
const NULL = Buffer.from([0x05, 0x00]);

/**
 * A non-negative DER INTEGER, minimally encoded as DER requires: no leading zero byte unless the
 * next byte's high bit is set (OpenSSL refuses the certificate otherwise: "illegal padding"; a
 * random 8-byte serial starting with 0x00 did that about once in 512 keys).
 */
function integer(value: Buffer): Buffer {
  let start = 0;
  while (start < value.length - 1 && value[start] === 0) start++;
  const minimal = value.subarray(start);
  const body = minimal[0] & 0x80 ? Buffer.concat([Buffer.from([0]), minimal]) : minimal;
  return tlv(0x02, body);
}

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const bytes = [40 * a + b];
  for (const n of rest) {
    const chunk: number[] = [n & 0x7f];
    for (let v = n >> 7; v > 0; v >>= 7) chunk.unshift((v & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

function utcTime(date: Date): Buffer {
  const p = (n: number) => String(n).padStart(2, '0');
  const text =
    p(date.getUTCFullYear() % 100) +
    p(date.getUTCMonth() + 1) +
    p(date.getUTCDate()) +
    p(date.getUTCHours()) +
    p(date.getUTCMinutes()) +
    p(date.getUTCSeconds()) +
    'Z';
  return tlv(0x17, Buffer.from(text, 'ascii'));
}

function commonName(cn: string): Buffer {
  return sequence(set(sequence(oid('2.5.4.3'), tlv(0x0c, Buffer.from(cn, 'utf8')))));
}

export interface SelfSignedOptions {
  privateKey: KeyObject;
  publicKey: KeyObject;
  commonName: string;
  serial: Buffer;
  notBefore: Date;
  notAfter: Date;
}

/** Returns the certificate as PEM, the way Google's v1 certs endpoint serves it. */
export function selfSignedCertificatePem(opts: SelfSignedOptions): string {
  const algorithm = sequence(oid('1.2.840.113549.1.1.11'), NULL);
  const name = commonName(opts.commonName);
  const tbs = sequence(
    tlv(0xa0, integer(Buffer.from([2]))), // [0] EXPLICIT version v3
    integer(opts.serial),
    algorithm,
    name,
    sequence(utcTime(opts.notBefore), utcTime(opts.notAfter)),
    name,
    opts.publicKey.export({ type: 'spki', format: 'der' }),
  );
  const signature = createSign('RSA-SHA256').update(tbs).sign(opts.privateKey);
  const der = sequence(tbs, algorithm, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}
