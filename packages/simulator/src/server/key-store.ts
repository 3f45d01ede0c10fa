/**
 * The provider-token signing keys the simulator knows, by Key ID.
 *
 * A key is team-scoped (no `topics`) or topic-scoped (`topics` lists the bundle ids it may push to);
 * it may be scoped to one environment. A topic-scoped key may name one related key; tokens of related
 * keys may share a connection, tokens of unrelated keys get 403 UnrelatedKeyIdInToken.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { CertificateEnvironment } from '../certs/apple-oids.js';

export interface SimulatorKey {
  /** 10-character Key ID (`kid`). */
  readonly keyId: string;
  /** 10-character Team ID the key belongs to (`iss`). */
  readonly teamId: string;
  /** SPKI PEM of the EC P-256 public key. Give this or `privateKeyPem`. */
  readonly publicKeyPem?: string | undefined;
  /** PKCS#8 PEM of the private key (the `.p8`); only its public half is used. */
  readonly privateKeyPem?: string | undefined;
  /** An environment-scoped key: tokens on the other environment get 403 BadEnvironmentKeyIdInToken. @defaultValue both */
  readonly environment?: CertificateEnvironment | undefined;
  /** A topic-scoped key: the bundle ids it may push to. @defaultValue team-scoped (all of the team's topics) */
  readonly topics?: readonly string[] | undefined;
  /** The one key this topic-scoped key is related to (their tokens may share a connection). */
  readonly relatedKeyId?: string | undefined;
}

export interface RegisteredKey {
  readonly keyId: string;
  readonly teamId: string;
  readonly publicKey: KeyObject;
  readonly environment: CertificateEnvironment | undefined;
  readonly topics: ReadonlySet<string> | undefined;
  readonly relatedKeyId: string | undefined;
}

export class KeyStore {
  readonly #keys = new Map<string, RegisteredKey>();

  constructor(keys: readonly SimulatorKey[] = []) {
    for (const key of keys) this.add(key);
  }

  /** Register (or replace) a key. Throws naming the key if it has no usable EC P-256 public key. */
  add(key: SimulatorKey): void {
    const pem = key.publicKeyPem ?? key.privateKeyPem;
    if (pem === undefined)
      throw new TypeError(`simulator key ${key.keyId}: give publicKeyPem or privateKeyPem`);
    let publicKey: KeyObject;
    try {
      publicKey = createPublicKey(pem);
    } catch (cause) {
      throw new TypeError(`simulator key ${key.keyId}: not a readable PEM key`, { cause });
    }
    if (publicKey.asymmetricKeyType !== 'ec' || publicKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new TypeError(`simulator key ${key.keyId}: not an EC P-256 key (ES256 needs P-256)`);
    }
    this.#keys.set(key.keyId, {
      keyId: key.keyId,
      teamId: key.teamId,
      publicKey,
      environment: key.environment,
      topics: key.topics === undefined ? undefined : new Set(key.topics),
      relatedKeyId: key.relatedKeyId,
    });
  }

  /** Forget a key: tokens it signed become 403 InvalidProviderToken on new connections. */
  remove(keyId: string): boolean {
    return this.#keys.delete(keyId);
  }

  get(keyId: string): RegisteredKey | undefined {
    return this.#keys.get(keyId);
  }

  list(): RegisteredKey[] {
    return [...this.#keys.values()];
  }
}
