import { readFile } from "node:fs/promises";
import tls from "node:tls";

/** Files of berthd's TLS identity, as given on the command line. */
export interface TlsFiles {
  /** PEM certificate chain (`--tls-cert`). */
  readonly certFile: string;
  /** PEM private key (`--tls-key`). */
  readonly keyFile: string;
  /** PEM CA bundle that client certificates must chain to (`--tls-client-ca`); none = no mTLS. */
  readonly clientCaFile?: string | undefined;
}

/** The TLS settings of the TCP listener, loaded and ready for `tls.createServer`. */
export interface TlsCredentials {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** When set, every client must present a certificate issued by this CA (mTLS). */
  readonly clientCa?: Buffer | undefined;
}

/**
 * Reads the certificate, key and optional client CA and checks that they load
 * (PEM syntax, key matching the certificate), so that a mistake is reported at
 * start-up naming the flags rather than at the first connection.
 */
export async function loadTlsCredentials(files: TlsFiles): Promise<TlsCredentials> {
  const [cert, key, clientCa] = await Promise.all([
    readFlagFile("--tls-cert", files.certFile),
    readFlagFile("--tls-key", files.keyFile),
    files.clientCaFile === undefined ? undefined : readFlagFile("--tls-client-ca", files.clientCaFile),
  ]);
  const credentials = { cert, key, clientCa };
  try {
    tls.createSecureContext(tlsServerOptions(credentials));
  } catch (error) {
    const flags = clientCa === undefined ? "--tls-cert/--tls-key" : "--tls-cert/--tls-key/--tls-client-ca";
    throw new Error(`invalid ${flags}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return credentials;
}

/**
 * What the TLS listener offers: TLS 1.3's suites, and for TLS 1.2 only ECDHE key
 * exchange (forward secrecy) with AEAD ciphers — no static RSA, no CBC (RFC 9113 §9.2.2
 * asks the same of HTTP/2).
 */
export const TLS_CIPHERS = [
  "TLS_AES_128_GCM_SHA256",
  "TLS_AES_256_GCM_SHA384",
  "TLS_CHACHA20_POLY1305_SHA256",
  "ECDHE-ECDSA-AES128-GCM-SHA256",
  "ECDHE-RSA-AES128-GCM-SHA256",
  "ECDHE-ECDSA-AES256-GCM-SHA384",
  "ECDHE-RSA-AES256-GCM-SHA384",
  "ECDHE-ECDSA-CHACHA20-POLY1305",
  "ECDHE-RSA-CHACHA20-POLY1305",
].join(":");

/**
 * Options for a TLS server offering HTTP/2 and HTTP/1.1 by ALPN, with {@link TLS_CIPHERS} only. With a client
 * CA the handshake itself refuses clients without a valid certificate, so no
 * request of theirs ever reaches a handler.
 */
export function tlsServerOptions(credentials: TlsCredentials): tls.TlsOptions {
  return {
    cert: credentials.cert,
    key: credentials.key,
    ALPNProtocols: ["h2", "http/1.1"],
    minVersion: "TLSv1.2",
    ciphers: TLS_CIPHERS,
    honorCipherOrder: true,
    ...(credentials.clientCa === undefined
      ? {}
      : { ca: credentials.clientCa, requestCert: true, rejectUnauthorized: true }),
  };
}

async function readFlagFile(flag: string, path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(`cannot read ${flag} ${path}${code === undefined ? "" : ` (${code})`}`);
  }
}
