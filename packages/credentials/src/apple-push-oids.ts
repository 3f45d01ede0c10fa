/**
 * Object identifiers Apple puts in provider certificates (docs/protocol/certificates.md, "Provider
 * certificates").
 */
export const APPLE_PUSH_OIDS = {
  /** Extension: the certificate may connect to the development (sandbox) environment. */
  development: '1.2.840.113635.100.6.3.1',
  /** Extension: the certificate may connect to production. */
  production: '1.2.840.113635.100.6.3.2',
  /** Extension: VoIP topic, per Apple's push-type text (its layout is undocumented; we do not parse it). */
  voip: '1.2.840.113635.100.6.3.4',
  /** Extension: topic list of a universal certificate, `SEQUENCE { UTF8String topic, SEQUENCE { UTF8String kind }, … }`. */
  topics: '1.2.840.113635.100.6.3.6',
  /** Subject attribute `UID` (userId): the bundle id, which is the base topic. forge has no short name for it. */
  uid: '0.9.2342.19200300.100.1.1',
} as const;
