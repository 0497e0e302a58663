import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppleTestCa, temporaryDir } from '../../../test/fakes/apple/apple-test-ca';
import { ConfigError } from '../../config/app-config';
import { BUNDLED_APPLE_ROOT_CERT_PATH, loadAppleRootCertificates } from './apple-root-certificates';

const APPLE_ROOT_CA_G3_SHA256 =
  '63:34:3A:BF:B8:9A:6A:03:EB:B5:7E:9B:3F:5F:A7:BE:7C:4F:5C:75:6F:30:17:B3:A8:C4:88:C3:65:3E:91:79';

function tempFile(name: string, content: string | Buffer): string {
  const path = join(temporaryDir('apple-roots-'), name);
  writeFileSync(path, content);
  return path;
}

describe('loadAppleRootCertificates', () => {
  it('defaults to the bundled Apple Root CA - G3', () => {
    const roots = loadAppleRootCertificates(undefined);
    expect(roots).toHaveLength(1);
    const root = new X509Certificate(roots[0]);
    expect(root.fingerprint256).toBe(APPLE_ROOT_CA_G3_SHA256);
    expect(root.subject).toContain('CN=Apple Root CA - G3');
    expect(BUNDLED_APPLE_ROOT_CERT_PATH.endsWith(join('certs', 'AppleRootCA-G3.pem'))).toBe(true);
  });

  it('reads PEM and DER files, several per variable, several per PEM file', () => {
    const one = AppleTestCa.create('One');
    const two = AppleTestCa.create('Two');
    const bundle = tempFile('bundle.pem', `${one.root.pem}\n${two.root.pem}`);
    const roots = loadAppleRootCertificates([bundle, one.writeRoot('der')]);
    expect(roots.map((r) => r.equals(one.root.der))).toEqual([true, false, true]);
    expect(roots[1].equals(two.root.der)).toBe(true);
  });

  it('fails with one message naming APPLE_ROOT_CERTS and every bad file', () => {
    const missing = join(tmpdir(), 'does-not-exist', 'root.pem');
    const garbage = tempFile('garbage.cer', Buffer.from('not a certificate'));
    let error: unknown;
    try {
      loadAppleRootCertificates([missing, garbage]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      `APPLE_ROOT_CERTS cannot read ${missing}`,
      `APPLE_ROOT_CERTS ${garbage} is not a DER or PEM X.509 certificate`,
    ]);
  });
});
