import { causeChain } from './connection-failure';

/**
 * What went wrong in a TLS handshake, from Node's (OpenSSL's) error codes and from the Temporal
 * worker's Rust core (rustls) messages, so each can be told in terms of the setting to check.
 */
export type TlsProblem =
  /** The server's certificate is not signed by a CA we trust: the CA setting. */
  | 'untrusted-certificate'
  /** It is signed, but not for the name we connect to: the server name setting. */
  | 'name-mismatch'
  | 'expired-certificate'
  /** The port does not speak TLS (or speaks it where we do not). */
  | 'not-tls'
  /** The server refused our client certificate, or wanted one we did not send. */
  | 'client-certificate-rejected'
  /** Our own certificate or key cannot be used (the key does not match, not a v3 certificate, …). */
  | 'client-certificate-unusable';

const byCode: Record<string, TlsProblem> = {
  SELF_SIGNED_CERT_IN_CHAIN: 'untrusted-certificate',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'untrusted-certificate',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'untrusted-certificate',
  UNABLE_TO_GET_ISSUER_CERT: 'untrusted-certificate',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'untrusted-certificate',
  CERT_SIGNATURE_FAILURE: 'untrusted-certificate',
  CERT_UNTRUSTED: 'untrusted-certificate',
  CERT_REJECTED: 'untrusted-certificate',
  CERT_HAS_EXPIRED: 'expired-certificate',
  CERT_NOT_YET_VALID: 'expired-certificate',
  ERR_TLS_CERT_ALTNAME_INVALID: 'name-mismatch',
  ERR_SSL_WRONG_VERSION_NUMBER: 'not-tls',
  ERR_SSL_PACKET_LENGTH_TOO_LONG: 'not-tls',
  ERR_SSL_RECORD_LAYER_FAILURE: 'not-tls',
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: 'client-certificate-rejected',
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: 'client-certificate-rejected',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN: 'client-certificate-rejected',
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 'client-certificate-rejected',
  ERR_SSL_TLSV1_ALERT_ACCESS_DENIED: 'client-certificate-rejected',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED: 'client-certificate-rejected',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED: 'client-certificate-rejected',
  // connections/tls-probe.ts: the server hung up as soon as it had our certificate (or none).
  CLOSED_AFTER_HANDSHAKE: 'client-certificate-rejected',
  ERR_OSSL_X509_KEY_VALUES_MISMATCH: 'client-certificate-unusable',
  ERR_SSL_CA_MD_TOO_WEAK: 'client-certificate-unusable',
  ERR_SSL_EE_KEY_TOO_SMALL: 'client-certificate-unusable',
};

/** rustls's words (the worker's NativeConnection), most specific first. */
const byRustlsMessage: Array<[RegExp, TlsProblem]> = [
  [/UnknownIssuer|BadSignature|UnknownRevocationStatus/, 'untrusted-certificate'],
  [/NotValidForName/, 'name-mismatch'],
  [/Expired|NotValidYet/, 'expired-certificate'],
  [/InvalidContentType|CorruptMessage|InvalidMessage/, 'not-tls'],
  [/fatal alert: (CertificateRequired|BadCertificate|UnknownCA|AccessDenied|CertificateUnknown|CertificateRevoked|CertificateExpired)/, 'client-certificate-rejected'],
];

/** The TLS problem behind an error (anywhere in its chain of causes), if it is one. */
export function tlsProblemOf(error: unknown): TlsProblem | undefined {
  const chain = causeChain(error);
  for (const link of chain) {
    if (typeof link.code === 'string' && byCode[link.code]) return byCode[link.code];
  }
  for (const link of chain) {
    const message = link.message;
    // Node: the server closed the socket in the middle of our ClientHello (it does not speak TLS).
    if (/before secure TLS connection was established/.test(message)) return 'not-tls';
    for (const [pattern, problem] of byRustlsMessage) if (pattern.test(message)) return problem;
    // rustls refusing our own certificate before any connection (no ConnectError around it).
    if (/InvalidCertificate/.test(message) && !/ConnectError/.test(message)) return 'client-certificate-unusable';
    // OpenSSL refusing our own PEM files when the TLS context is made.
    if (/^ERR_OSSL_(PEM|X509|ASN1)/.test(String(link.code ?? '')) || /no start line|key values mismatch/.test(message)) return 'client-certificate-unusable';
  }
  return undefined;
}

/** A short phrase for a TLS problem, as the start of the one line. */
export const tlsProblemWords: Record<TlsProblem, string> = {
  'untrusted-certificate': "TLS: the server's certificate is not signed by a trusted CA",
  'name-mismatch': "TLS: the server's certificate is not for this name",
  'expired-certificate': "TLS: the server's certificate has expired or is not valid yet",
  'not-tls': 'TLS: the server does not speak TLS on this port',
  'client-certificate-rejected': 'TLS: the server refused the client certificate (or wanted one)',
  'client-certificate-unusable': 'TLS: the client certificate or key cannot be used',
};
