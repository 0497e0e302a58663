import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { selfSignedCertificatePem } from './self-signed-certificate';

/** The fake Google signer's certificates must parse whatever random serial they get. */
describe('selfSignedCertificatePem', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

  it.each([
    ['0011223344556677', '11223344556677'],
    ['0000000000000001', '01'],
    ['0091223344556677', '91223344556677'],
    ['8011223344556677', '8011223344556677'],
  ])('serial %s: a certificate OpenSSL parses, with serial %s', (hex, expected) => {
    const pem = selfSignedCertificatePem({
      privateKey,
      publicKey,
      commonName: 'federated-signon.system.gserviceaccount.com',
      serial: Buffer.from(hex, 'hex'),
      notBefore: new Date('2026-01-01T00:00:00Z'),
      notAfter: new Date('2027-01-01T00:00:00Z'),
    });
    const certificate = new X509Certificate(pem);
    expect(certificate.serialNumber).toBe(expected.toUpperCase());
    expect(certificate.verify(publicKey)).toBe(true);
  });
});
