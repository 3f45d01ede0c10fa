/**
 * Object identifiers of an Apple push certificate (docs/protocol/certificates.md, "Provider certificates").
 *
 *   subject UID    0.9.2342.19200300.100.1.1   the bundle id (base topic)
 *   development    1.2.840.113635.100.6.3.1    extension, value ASN.1 NULL (05 00)
 *   production     1.2.840.113635.100.6.3.2    extension, value ASN.1 NULL (05 00)
 *   topics         1.2.840.113635.100.6.3.6    SEQUENCE { UTF8String topic, SEQUENCE { UTF8String kind }, ... }
 */

export const APPLE_OIDS = {
  uid: '0.9.2342.19200300.100.1.1',
  development: '1.2.840.113635.100.6.3.1',
  production: '1.2.840.113635.100.6.3.2',
  voip: '1.2.840.113635.100.6.3.4',
  topics: '1.2.840.113635.100.6.3.6',
} as const;

/** The two APNs environments as a push certificate's extension names them: Apple's "sandbox" is `development`. */
export const CERTIFICATE_ENVIRONMENTS = ['development', 'production'] as const;
export type CertificateEnvironment = (typeof CERTIFICATE_ENVIRONMENTS)[number];

/** Kinds of topic in the `.3.6` list, and the suffix after the bundle id each one carries. */
export const CERTIFICATE_TOPIC_SUFFIX = {
  app: '',
  voip: '.voip',
  complication: '.complication',
} as const;
export type CertificateTopicKind = keyof typeof CERTIFICATE_TOPIC_SUFFIX;
