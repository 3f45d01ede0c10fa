/**
 * Where `environment: "simulator"` points. The caller says where the simulator's CA is (the CLI and the
 * worker's bootstrap know their data directory); nothing here resolves a path.
 */

export interface SimulatorEndpoint {
  /** The HTTP/2 endpoint, `https://host:port`. */
  readonly url?: string | undefined;
  /** The legacy binary gateway, `tls://host:port`. */
  readonly legacyUrl?: string | undefined;
  /** The legacy feedback service, `tls://host:port`. */
  readonly feedbackUrl?: string | undefined;
  /** The CA (PEM file) that signed the simulator's server certificate. */
  readonly caFile?: string | undefined;
}

/** What `pushfleet simulator` listens on unless its flags say otherwise, trusting the CA in `caFile`. */
export function localSimulatorEndpoint(caFile: string): SimulatorEndpoint {
  return {
    url: 'https://127.0.0.1:2197',
    legacyUrl: 'tls://127.0.0.1:2195',
    feedbackUrl: 'tls://127.0.0.1:2196',
    caFile,
  };
}
