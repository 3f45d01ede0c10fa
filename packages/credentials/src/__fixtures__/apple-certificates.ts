/**
 * Test-only builders of Apple-shaped certificates and the broken files users hold (expired, non-push,
 * a .p12 without its key, a legacy RC2-40 .p12). Kept here because `packages/apns` may not import the
 * simulator's generator (a dependency cycle); excluded from the build by tsconfig.build.json.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';
import { APPLE_PUSH_OIDS } from '../apple-push-oids.js';

const { asn1, pki, pkcs12 } = forge;
const DAY_MS = 86_400_000;

export interface TestKey {
  readonly key: forge.pki.rsa.PrivateKey;
  /** PKCS#1 `RSA PRIVATE KEY`. */
  readonly pem: string;
}

export interface TestCertificate {
  readonly cert: forge.pki.Certificate;
  readonly certPem: string;
  readonly der: Buffer;
  readonly key: TestKey;
}

export interface PushCertificateOptions {
  readonly bundleId?: string;
  readonly teamId?: string;
  /** @defaultValue both (a universal certificate) */
  readonly environments?: readonly ('development' | 'production')[];
  /** `.3.6` topics as [topic, kind]; `[]` leaves the extension out. @defaultValue base, .voip, .complication */
  readonly topics?: readonly (readonly [string, string])[];
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  readonly commonName?: string;
  /** Signs the certificate; self-signed without one. */
  readonly issuer?: TestCertificate;
  readonly key?: TestKey;
}

/** An RSA key (node:crypto generation; forge's pure-JS generation is slow). */
export function createTestKey(bits = 2048): TestKey {
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: bits,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return { key: pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey, pem: privateKey };
}

/** A CA standing in for "Apple Worldwide Developer Relations Certification Authority". */
export function createTestAuthority(key: TestKey = createTestKey()): TestCertificate {
  const subject = [
    { name: 'commonName', value: 'Apple Worldwide Developer Relations Certification Authority' },
    { name: 'organizationName', value: 'Apple Inc.' },
    { name: 'countryName', value: 'US' },
  ];
  return build(key, subject, subject, key, [{ name: 'basicConstraints', cA: true, critical: true }], {});
}

/**
 * A provider certificate shaped like Apple's (docs/protocol/certificates.md): UID/CN/OU/O/C subject,
 * environment and topic extensions.
 */
export function createPushCertificate(options: PushCertificateOptions = {}): TestCertificate {
  const bundleId = options.bundleId ?? 'com.example.app';
  const key = options.key ?? createTestKey();
  const subject: forge.pki.CertificateField[] = [
    utf8Field(APPLE_PUSH_OIDS.uid, bundleId),
    utf8Field(pki.oids.commonName!, options.commonName ?? `Apple Push Services: ${bundleId}`),
    utf8Field(pki.oids.organizationalUnitName!, options.teamId ?? 'ABCDE12345'),
    utf8Field(pki.oids.organizationName!, 'Example Inc.'),
    { name: 'countryName', value: 'US' },
  ];
  const topics = options.topics ?? [
    [bundleId, 'app'],
    [`${bundleId}.voip`, 'voip'],
    [`${bundleId}.complication`, 'complication'],
  ];
  const extensions: object[] = [{ name: 'extKeyUsage', clientAuth: true }];
  for (const environment of options.environments ?? ['development', 'production']) {
    extensions.push({ id: APPLE_PUSH_OIDS[environment], value: asn1.create(0, asn1.Type.NULL, false, '') });
  }
  if (topics.length > 0) extensions.push({ id: APPLE_PUSH_OIDS.topics, value: topicsExtension(topics) });
  const issuer = options.issuer;
  return build(
    key,
    subject,
    issuer ? issuer.cert.subject.attributes : subject,
    issuer?.key ?? key,
    extensions,
    options,
  );
}

/** A client certificate that is not a push certificate: no Apple extension at all. */
export function createPlainCertificate(
  key: TestKey = createTestKey(),
  validity: { notBefore?: Date; notAfter?: Date } = {},
): TestCertificate {
  const subject = [{ name: 'commonName', value: 'www.example.com' }];
  return build(key, subject, subject, key, [{ name: 'extKeyUsage', serverAuth: true }], validity);
}

/** `pkcs12.toPkcs12Asn1` as bytes: `3des` = pbeWithSHAAnd3-KeyTripleDES-CBC, `aes256` = PBES2. */
export function toP12(
  key: TestKey | null,
  certs: readonly TestCertificate[],
  passphrase: string | null,
  algorithm: '3des' | 'aes256' = '3des',
): Buffer {
  const p12 = pkcs12.toPkcs12Asn1(
    key?.key ?? null,
    certs.map((c) => c.cert),
    passphrase,
    { algorithm },
  );
  return derBytes(p12);
}

/**
 * A PKCS#12 as Keychain and OpenSSL 1.x export it, which OpenSSL 3 reads only with `-legacy`: the certificates
 * in an EncryptedData under pbeWithSHAAnd40BitRC2-CBC, the key in a shrouded bag under
 * pbeWithSHAAnd3-KeyTripleDES-CBC, SHA-1 MAC. forge reads these but cannot write them, hence this builder.
 */
export function toLegacyRc2P12(key: TestKey, certs: readonly TestCertificate[], passphrase: string): Buffer {
  const count = 2048;
  const localKeyId = forge.md.sha1.create().update(certs[0]!.der.toString('binary')).digest().getBytes();
  const attributes = seq([oid(pki.oids.localKeyId!), set([octets(localKeyId)])]);
  const certBags = certs.map((c, i) =>
    seq([
      oid(pki.oids.certBag!),
      explicit(0, [seq([oid(pki.oids.x509Certificate!), explicit(0, [octets(c.der.toString('binary'))])])]),
      ...(i === 0 ? [set([attributes])] : []),
    ]),
  );
  const salt = randomBytes(8).toString('binary');
  const derive = (id: number, n: number) =>
    pkcs12.generateKey(passphrase, forge.util.createBuffer(salt), id, count, n).getBytes();
  const cipher = forge.rc2.createEncryptionCipher(derive(1, 5), 40);
  cipher.start(derive(2, 8));
  cipher.update(forge.util.createBuffer(der(seq(certBags))));
  cipher.finish();
  const certsInfo = seq([
    oid(pki.oids.encryptedData!),
    explicit(0, [
      seq([
        asn1.create(0, asn1.Type.INTEGER, false, asn1.integerToDer(0).getBytes()),
        seq([
          oid(pki.oids.data!),
          seq([oid(pki.oids['pbewithSHAAnd40BitRC2-CBC']!), seq([octets(salt), integer(count)])]),
          asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, false, cipher.output.getBytes()),
        ]),
      ]),
    ]),
  ]);
  const shrouded = pki.encryptPrivateKeyInfo(
    pki.wrapRsaPrivateKey(pki.privateKeyToAsn1(key.key)),
    passphrase,
    {
      algorithm: '3des',
      count,
    },
  );
  const keyBag = seq([oid(pki.oids.pkcs8ShroudedKeyBag!), explicit(0, [shrouded]), set([attributes])]);
  const keyInfo = seq([oid(pki.oids.data!), explicit(0, [octets(der(seq([keyBag])))])]);
  const authSafe = seq([certsInfo, keyInfo]);
  const macSalt = randomBytes(8).toString('binary');
  const hmac = forge.hmac.create();
  hmac.start(
    'sha1',
    pkcs12.generateKey(passphrase, forge.util.createBuffer(macSalt), 3, count, 20).getBytes(),
  );
  hmac.update(der(authSafe));
  const macData = seq([
    seq([
      seq([oid(pki.oids.sha1!), asn1.create(0, asn1.Type.NULL, false, '')]),
      octets(hmac.digest().getBytes()),
    ]),
    octets(macSalt),
    integer(count),
  ]);
  return derBytes(
    seq([integer(3), seq([oid(pki.oids.data!), explicit(0, [octets(der(authSafe))])]), macData]),
  );
}

function build(
  key: TestKey,
  subject: forge.pki.CertificateField[],
  issuer: forge.pki.CertificateField[],
  signer: TestKey,
  extensions: object[],
  validity: { notBefore?: Date; notAfter?: Date },
): TestCertificate {
  const cert = pki.createCertificate();
  cert.publicKey = pki.setRsaPublicKey(key.key.n, key.key.e);
  cert.serialNumber = `01${randomBytes(8).toString('hex')}`;
  cert.validity.notBefore = validity.notBefore ?? new Date(Date.now() - DAY_MS);
  cert.validity.notAfter = validity.notAfter ?? new Date(Date.now() + 365 * DAY_MS);
  cert.setSubject(subject);
  cert.setIssuer(issuer);
  cert.setExtensions(extensions);
  cert.sign(signer.key, forge.md.sha256.create());
  const der = derBytes(pki.certificateToAsn1(cert));
  return { cert, certPem: pki.certificateToPem(cert), der, key };
}

function topicsExtension(topics: readonly (readonly [string, string])[]): forge.asn1.Asn1 {
  return seq(topics.flatMap(([topic, kind]) => [utf8(topic), seq([utf8(kind)])]));
}

function utf8Field(type: string, value: string): forge.pki.CertificateField {
  return { type, value, valueTagClass: asn1.Type.UTF8 as unknown as forge.asn1.Class };
}

const utf8 = (s: string) => asn1.create(0, asn1.Type.UTF8, false, forge.util.encodeUtf8(s));
const seq = (items: forge.asn1.Asn1[]) => asn1.create(0, asn1.Type.SEQUENCE, true, items);
const set = (items: forge.asn1.Asn1[]) => asn1.create(0, asn1.Type.SET, true, items);
const oid = (id: string) => asn1.create(0, asn1.Type.OID, false, asn1.oidToDer(id).getBytes());
const octets = (bytes: string) => asn1.create(0, asn1.Type.OCTETSTRING, false, bytes);
const integer = (n: number) => asn1.create(0, asn1.Type.INTEGER, false, asn1.integerToDer(n).getBytes());
const explicit = (tag: number, items: forge.asn1.Asn1[]) =>
  asn1.create(asn1.Class.CONTEXT_SPECIFIC, tag, true, items);
const der = (node: forge.asn1.Asn1) => asn1.toDer(node).getBytes();
const derBytes = (node: forge.asn1.Asn1) => Buffer.from(der(node), 'binary');
