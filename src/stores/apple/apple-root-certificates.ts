import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../config/app-config';

/**
 * Apple Root CA - G3, shipped with the service (copied next to the compiled file by the build's
 * `**\/*.pem` asset rule). SHA-256 63:34:3A:BF:…:91:79.
 */
export const BUNDLED_APPLE_ROOT_CERT_PATH = join(__dirname, 'certs', 'AppleRootCA-G3.pem');

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;

/** Every certificate in a file: PEM (one or more blocks) or a single DER certificate. */
function certificatesIn(content: Buffer): Buffer[] {
  const text = content.toString('latin1');
  if (text.includes('-----BEGIN CERTIFICATE-----')) {
    return [...text.matchAll(PEM_BLOCK)].map((m) =>
      Buffer.from(m[1].replace(/\s+/g, ''), 'base64'),
    );
  }
  return [content];
}

/**
 * Reads the trusted roots (APPLE_ROOT_CERTS, else the bundled Apple root) as DER buffers, the form
 * the App Store Server Library takes. Fails boot with a message naming the variable and the file.
 */
export function loadAppleRootCertificates(paths: string[] | undefined): Buffer[] {
  const files = paths && paths.length > 0 ? paths : [BUNDLED_APPLE_ROOT_CERT_PATH];
  const problems: string[] = [];
  const roots: Buffer[] = [];
  for (const file of files) {
    let content: Buffer;
    try {
      content = readFileSync(file);
    } catch {
      problems.push(`APPLE_ROOT_CERTS cannot read ${file}`);
      continue;
    }
    const certificates = certificatesIn(content);
    if (certificates.length === 0) {
      problems.push(`APPLE_ROOT_CERTS ${file} holds no certificate`);
      continue;
    }
    for (const der of certificates) {
      try {
        roots.push(new X509Certificate(der).raw);
      } catch {
        problems.push(`APPLE_ROOT_CERTS ${file} is not a DER or PEM X.509 certificate`);
      }
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return roots;
}
