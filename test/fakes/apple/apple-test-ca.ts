import { generateKeyPairSync, randomBytes, sign as signBytes, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KJUR } from 'jsrsasign';

/**
 * A certificate authority shaped like Apple's App Store signing chain, generated at test time:
 * root → intermediate (CA, Apple WWDR marker OID) → leaf (App Store receipt-signing marker OID),
 * all P-256. Payloads are signed the way the App Store signs them: JWS compact serialization,
 * `alg: ES256`, and the chain in the `x5c` header as [leaf, intermediate, root] (base64 DER).
 *
 * Every knob exists to build one of the bad cases the service must reject (missing OIDs, expired
 * leaf, a root nobody trusts, a short chain).
 */

/** Apple WWDR intermediate marker (Apple's intermediate certificates carry it). */
export const APPLE_INTERMEDIATE_OID = '1.2.840.113635.100.6.2.1';
/** App Store receipt-signing leaf marker. */
export const APPLE_LEAF_OID = '1.2.840.113635.100.6.11.1';

const DAY_MS = 86_400_000;
/** ASN.1 NULL: the value Apple gives both marker extensions. */
const ASN1_NULL_HEX = '0500';

export interface TestKeyPair {
  privateKeyPem: string;
  publicKeyPem: string;
}

export interface TestCertificate {
  der: Buffer;
  pem: string;
  subject: string;
  keys: TestKeyPair;
}

export interface CertificateValidity {
  notBefore: Date;
  notAfter: Date;
}

export interface ChainOptions {
  /** Give the intermediate Apple's marker extension (default true). */
  intermediateAppleOid?: boolean;
  /** Give the leaf Apple's marker extension (default true). */
  leafAppleOid?: boolean;
  /** Mark the intermediate as a CA in basicConstraints (default true). */
  intermediateIsCa?: boolean;
  /** Leaf validity (default: ten years around now). */
  leafValidity?: CertificateValidity;
}

export interface SignOptions {
  /** Replace the x5c header (e.g. two certificates instead of three). */
  x5c?: string[];
  /** Replace the alg header (the signature is still ES256). */
  alg?: string;
}

export function newKeyPair(): TestKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** RFC 5280: UTCTime through 2049, GeneralizedTime after. */
function asn1Time(at: Date): string {
  const iso = at.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return at.getUTCFullYear() < 2050 ? `${iso.slice(2)}Z` : `${iso}Z`;
}

function aroundNow(years: number): CertificateValidity {
  const now = Date.now();
  return {
    notBefore: new Date(now - years * 365 * DAY_MS),
    notAfter: new Date(now + years * 365 * DAY_MS),
  };
}

interface IssueParams {
  subject: string;
  keys: TestKeyPair;
  issuer: { subject: string; privateKeyPem: string };
  validity: CertificateValidity;
  isCa: boolean;
  extraOids: string[];
}

function issue(params: IssueParams): TestCertificate {
  const ext: Array<Record<string, unknown>> = [
    { extname: 'basicConstraints', cA: params.isCa, critical: true },
    {
      extname: 'keyUsage',
      critical: true,
      names: params.isCa ? ['keyCertSign', 'cRLSign'] : ['digitalSignature'],
    },
    ...params.extraOids.map((oid) => ({ extname: oid, extn: ASN1_NULL_HEX })),
  ];
  const certParams = {
    version: 3,
    serial: { hex: `01${randomBytes(8).toString('hex')}` },
    issuer: { str: params.issuer.subject },
    notbefore: asn1Time(params.validity.notBefore),
    notafter: asn1Time(params.validity.notAfter),
    subject: { str: params.subject },
    sbjpubkey: params.keys.publicKeyPem,
    ext,
    sigalg: 'SHA256withECDSA',
  };
  // jsrsasign encodes the certificate; Node signs it (jsrsasign's pure-JS ECDSA takes seconds).
  const tbsobj = new KJUR.asn1.x509.TBSCertificate(
    certParams as unknown as ConstructorParameters<typeof KJUR.asn1.x509.TBSCertificate>[0],
  );
  const sighex = signBytes(
    'sha256',
    Buffer.from(tbsobj.getEncodedHex(), 'hex'),
    params.issuer.privateKeyPem,
  ).toString('hex');
  const cert = new KJUR.asn1.x509.Certificate({
    ...certParams,
    tbsobj,
    sighex,
  } as unknown as ConstructorParameters<typeof KJUR.asn1.x509.Certificate>[0]);
  const der = Buffer.from(cert.getEncodedHex(), 'hex');
  // Parse once with Node, which is what the verifier uses: a malformed certificate fails here.
  const parsed = new X509Certificate(der);
  return { der, pem: parsed.toString(), subject: params.subject, keys: params.keys };
}

function base64url(input: Buffer | string): string {
  return Buffer.from(input).toString('base64url');
}

/** A leaf + intermediate issued under one root; signs payloads the way the App Store does. */
export class AppleTestSigner {
  constructor(
    readonly root: TestCertificate,
    readonly intermediate: TestCertificate,
    readonly leaf: TestCertificate,
  ) {}

  /** [leaf, intermediate, root] as base64 DER, Apple's x5c order. */
  x5c(): string[] {
    return [this.leaf, this.intermediate, this.root].map((c) => c.der.toString('base64'));
  }

  /** JWS compact serialization, ES256 (raw r||s signature), x5c header. */
  sign(payload: object, options: SignOptions = {}): string {
    const header = { alg: options.alg ?? 'ES256', x5c: options.x5c ?? this.x5c() };
    const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
    const signature = signBytes('sha256', Buffer.from(signingInput), {
      key: this.leaf.keys.privateKeyPem,
      dsaEncoding: 'ieee-p1363',
    });
    return `${signingInput}.${base64url(signature)}`;
  }
}

/** A self-signed root that issues Apple-shaped chains. */
export class AppleTestCa {
  private constructor(
    readonly root: TestCertificate,
    readonly name: string,
  ) {}

  static create(name = 'Test Apple'): AppleTestCa {
    const keys = newKeyPair();
    const subject = `/CN=${name} Root CA - G3/OU=${name} Certification Authority/O=${name} Inc./C=US`;
    const root = issue({
      subject,
      keys,
      issuer: { subject, privateKeyPem: keys.privateKeyPem },
      validity: aroundNow(20),
      isCa: true,
      extraOids: [],
    });
    return new AppleTestCa(root, name);
  }

  /** An intermediate and a leaf under this root, with the options' defects if any. */
  signer(options: ChainOptions = {}): AppleTestSigner {
    const intermediateKeys = newKeyPair();
    const intermediateSubject =
      `/CN=${this.name} Worldwide Developer Relations Certification Authority` +
      `/OU=G6/O=${this.name} Inc./C=US`;
    const intermediate = issue({
      subject: intermediateSubject,
      keys: intermediateKeys,
      issuer: { subject: this.root.subject, privateKeyPem: this.root.keys.privateKeyPem },
      validity: aroundNow(15),
      isCa: options.intermediateIsCa ?? true,
      extraOids: (options.intermediateAppleOid ?? true) ? [APPLE_INTERMEDIATE_OID] : [],
    });
    const leaf = issue({
      subject:
        `/CN=${this.name} Prod ECC Mac App Store and iTunes Store Receipt Signing` +
        `/OU=${this.name} Worldwide Developer Relations/O=${this.name} Inc./C=US`,
      keys: newKeyPair(),
      issuer: { subject: intermediateSubject, privateKeyPem: intermediateKeys.privateKeyPem },
      validity: options.leafValidity ?? aroundNow(10),
      isCa: false,
      extraOids: (options.leafAppleOid ?? true) ? [APPLE_LEAF_OID] : [],
    });
    return new AppleTestSigner(this.root, intermediate, leaf);
  }

  /** Writes the root to a new temporary file (PEM or DER) and returns its path (removed after the file's tests). */
  writeRoot(format: 'pem' | 'der' = 'pem'): string {
    const dir = temporaryDir('apple-test-ca-');
    const path = join(dir, `root.${format === 'pem' ? 'pem' : 'cer'}`);
    writeFileSync(path, format === 'pem' ? this.root.pem : this.root.der);
    return path;
  }
}

const temporaryDirs: string[] = [];
// Tests leave nothing behind: the folders made for one test file go when its tests are done.
if (typeof afterAll === 'function') {
  afterAll(() => {
    for (const dir of temporaryDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
}

/** A new temporary folder, removed after the current test file. */
export function temporaryDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temporaryDirs.push(dir);
  return dir;
}
