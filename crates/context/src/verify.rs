//! Peer certificate trust, the way Node (OpenSSL) decides `authorized` and
//! `authorizationError`.
//!
//! rustls is told to accept any certificate chain but always to check the handshake
//! signatures against the peer's key ([`HandshakeVerifier`]). The chain itself is judged
//! once, after the handshake, by [`Trust::verify`], which yields OpenSSL's error code.
//! That is Node's model too: OpenSSL's verify callback accepts everything and
//! `TLSSocket` reads `verifyError()` when the handshake is done, then destroys the
//! socket when `rejectUnauthorized` is set.

use crate::cert::{Aux, CertView};
use crate::chain::{crl::Crl, Store};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, ServerName, SubjectPublicKeyInfoDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{
    CertificateError, DigitallySignedStruct, DistinguishedName, PeerMisbehaved, SignatureScheme,
};
use std::fmt;

/// An OpenSSL X.509 verification result code, as Node reports it in
/// `authorizationError` and in `err.code`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum VerifyCode {
    /// `UNABLE_TO_GET_ISSUER_CERT`: also what Node reports when a requested client
    /// certificate was not sent.
    UnableToGetIssuerCert,
    /// `UNABLE_TO_GET_ISSUER_CERT_LOCALLY`
    UnableToGetIssuerCertLocally,
    /// `UNABLE_TO_VERIFY_LEAF_SIGNATURE`
    UnableToVerifyLeafSignature,
    /// `DEPTH_ZERO_SELF_SIGNED_CERT`
    DepthZeroSelfSignedCert,
    /// `SELF_SIGNED_CERT_IN_CHAIN`
    SelfSignedCertInChain,
    /// `CERT_HAS_EXPIRED`
    CertHasExpired,
    /// `CERT_NOT_YET_VALID`
    CertNotYetValid,
    /// `CERT_REVOKED`
    CertRevoked,
    /// `UNABLE_TO_GET_CRL`
    UnableToGetCrl,
    /// `CERT_SIGNATURE_FAILURE`
    CertSignatureFailure,
    /// `CRL_SIGNATURE_FAILURE`
    CrlSignatureFailure,
    /// `INVALID_PURPOSE`
    InvalidPurpose,
    /// `PATH_LENGTH_EXCEEDED`
    PathLengthExceeded,
    /// `INVALID_CA`
    InvalidCa,
    /// `CERT_REJECTED`
    CertRejected,
    /// `CERT_UNTRUSTED`
    CertUntrusted,
    /// `CERT_CHAIN_TOO_LONG`
    CertChainTooLong,
    /// `CRL_HAS_EXPIRED`
    CrlHasExpired,
    /// `CRL_NOT_YET_VALID`
    CrlNotYetValid,
    /// OpenSSL's `UNHANDLED_CRITICAL_EXTENSION` (Node's code: `UNSPECIFIED`).
    UnhandledCriticalExtension,
    /// OpenSSL's `KEYUSAGE_NO_CERTSIGN` (Node's code: `UNSPECIFIED`).
    KeyUsageNoCertSign,
    /// OpenSSL's `KEYUSAGE_NO_CRL_SIGN` (Node's code: `UNSPECIFIED`).
    KeyUsageNoCrlSign,
    /// OpenSSL's `DIFFERENT_CRL_SCOPE` (Node's code: `UNSPECIFIED`).
    DifferentCrlScope,
    /// OpenSSL's `UNHANDLED_CRITICAL_CRL_EXTENSION` (Node's code: `UNSPECIFIED`).
    UnhandledCriticalCrlExtension,
    /// OpenSSL's `PERMITTED_VIOLATION` (Node's code: `UNSPECIFIED`).
    PermittedViolation,
    /// OpenSSL's `EXCLUDED_VIOLATION` (Node's code: `UNSPECIFIED`).
    ExcludedViolation,
    /// OpenSSL's `UNSUPPORTED_CONSTRAINT_TYPE` (Node's code: `UNSPECIFIED`).
    UnsupportedConstraintType,
    /// OpenSSL's `UNSUPPORTED_NAME_SYNTAX` (Node's code: `UNSPECIFIED`).
    UnsupportedNameSyntax,
    /// OpenSSL's `CA_MD_TOO_WEAK` (Node's code: `UNSPECIFIED`).
    CaMdTooWeak,
    /// OpenSSL's `CA_KEY_TOO_SMALL` (Node's code: `UNSPECIFIED`).
    CaKeyTooSmall,
    /// OpenSSL's `UNSPECIFIED`: a certificate whose extensions cannot be read.
    Unspecified,
}

impl VerifyCode {
    /// Node's code string, e.g. `DEPTH_ZERO_SELF_SIGNED_CERT`.
    pub fn code(self) -> &'static str {
        match self {
            Self::UnableToGetIssuerCert => "UNABLE_TO_GET_ISSUER_CERT",
            Self::UnableToGetIssuerCertLocally => "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
            Self::UnableToVerifyLeafSignature => "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
            Self::DepthZeroSelfSignedCert => "DEPTH_ZERO_SELF_SIGNED_CERT",
            Self::SelfSignedCertInChain => "SELF_SIGNED_CERT_IN_CHAIN",
            Self::CertHasExpired => "CERT_HAS_EXPIRED",
            Self::CertNotYetValid => "CERT_NOT_YET_VALID",
            Self::CertRevoked => "CERT_REVOKED",
            Self::UnableToGetCrl => "UNABLE_TO_GET_CRL",
            Self::CertSignatureFailure => "CERT_SIGNATURE_FAILURE",
            Self::CrlSignatureFailure => "CRL_SIGNATURE_FAILURE",
            Self::InvalidPurpose => "INVALID_PURPOSE",
            Self::PathLengthExceeded => "PATH_LENGTH_EXCEEDED",
            Self::InvalidCa => "INVALID_CA",
            Self::CertRejected => "CERT_REJECTED",
            Self::CertUntrusted => "CERT_UNTRUSTED",
            Self::CertChainTooLong => "CERT_CHAIN_TOO_LONG",
            Self::CrlHasExpired => "CRL_HAS_EXPIRED",
            Self::CrlNotYetValid => "CRL_NOT_YET_VALID",
            // Node names only 28 of OpenSSL's codes (`X509ErrorCode`); the rest are
            // "UNSPECIFIED", with OpenSSL's text as the message.
            _ => "UNSPECIFIED",
        }
    }

    /// OpenSSL's own name of the code (`X509_V_ERR_` without the prefix), which tells
    /// apart what Node reports as `UNSPECIFIED`.
    pub fn openssl_name(self) -> &'static str {
        match self {
            Self::UnhandledCriticalExtension => "UNHANDLED_CRITICAL_EXTENSION",
            Self::KeyUsageNoCertSign => "KEYUSAGE_NO_CERTSIGN",
            Self::KeyUsageNoCrlSign => "KEYUSAGE_NO_CRL_SIGN",
            Self::DifferentCrlScope => "DIFFERENT_CRL_SCOPE",
            Self::UnhandledCriticalCrlExtension => "UNHANDLED_CRITICAL_CRL_EXTENSION",
            Self::PermittedViolation => "PERMITTED_VIOLATION",
            Self::ExcludedViolation => "EXCLUDED_VIOLATION",
            Self::UnsupportedConstraintType => "UNSUPPORTED_CONSTRAINT_TYPE",
            Self::UnsupportedNameSyntax => "UNSUPPORTED_NAME_SYNTAX",
            Self::CaMdTooWeak => "CA_MD_TOO_WEAK",
            Self::CaKeyTooSmall => "CA_KEY_TOO_SMALL",
            other => other.code(),
        }
    }

    /// OpenSSL 3's text for the code, which Node uses as the error message.
    pub fn message(self) -> &'static str {
        match self {
            Self::UnableToGetIssuerCert => "unable to get issuer certificate",
            Self::UnableToGetIssuerCertLocally => "unable to get local issuer certificate",
            Self::UnableToVerifyLeafSignature => "unable to verify the first certificate",
            Self::DepthZeroSelfSignedCert => "self-signed certificate",
            Self::SelfSignedCertInChain => "self-signed certificate in certificate chain",
            Self::CertHasExpired => "certificate has expired",
            Self::CertNotYetValid => "certificate is not yet valid",
            Self::CertRevoked => "certificate revoked",
            Self::UnableToGetCrl => "unable to get certificate CRL",
            Self::CertSignatureFailure => "certificate signature failure",
            Self::CrlSignatureFailure => "CRL signature failure",
            Self::InvalidPurpose => "unsupported certificate purpose",
            Self::PathLengthExceeded => "path length constraint exceeded",
            Self::InvalidCa => "invalid CA certificate",
            Self::CertRejected => "certificate rejected",
            Self::CertUntrusted => "certificate not trusted",
            Self::CertChainTooLong => "certificate chain too long",
            Self::CrlHasExpired => "CRL has expired",
            Self::CrlNotYetValid => "CRL is not yet valid",
            Self::UnhandledCriticalExtension => "unhandled critical extension",
            Self::KeyUsageNoCertSign => "key usage does not include certificate signing",
            Self::KeyUsageNoCrlSign => "key usage does not include CRL signing",
            Self::DifferentCrlScope => "Different CRL scope",
            Self::UnhandledCriticalCrlExtension => "unhandled critical CRL extension",
            Self::PermittedViolation => "permitted subtree violation",
            Self::ExcludedViolation => "excluded subtree violation",
            Self::UnsupportedConstraintType => "unsupported name constraint type",
            Self::UnsupportedNameSyntax => "unsupported or invalid name syntax",
            Self::CaMdTooWeak => "CA signature digest algorithm too weak",
            Self::CaKeyTooSmall => "CA certificate key too weak",
            Self::Unspecified => "unspecified certificate verification error",
        }
    }
}

impl fmt::Display for VerifyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for VerifyCode {}

/// Which end of the connection a certificate must be good for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// A server's certificate, judged by a client.
    Server,
    /// A client's certificate, judged by a server.
    Client,
}

/// The certificates a context trusts (its `ca` option, or the Mozilla roots, plus the
/// CA certificates of its `pfx` files) and its CRLs.
#[derive(Debug)]
pub(crate) struct Trust {
    /// The chain decision ([`crate::chain`]).
    store: Store,
    /// Certificates trusted by value (DER): `ca` and `pfx` CAs, to complete chains.
    ca: Vec<CertificateDer<'static>>,
    /// The subject Name (DER) of each `ca` entry, to find issuers without parsing.
    ca_subjects: Vec<Vec<u8>>,
    hints: Vec<DistinguishedName>,
    algs: WebPkiSupportedAlgorithms,
}

impl Trust {
    /// Trusts `ca`, plus the Mozilla roots (webpki-roots) when `default_roots` (Node: a
    /// given `ca` option replaces the default roots).
    pub(crate) fn new(
        ca: Vec<(CertificateDer<'static>, Aux)>,
        default_roots: bool,
        crls: Vec<Crl>,
        algs: WebPkiSupportedAlgorithms,
    ) -> Self {
        let certs: Vec<CertificateDer<'static>> = ca.iter().map(|(c, _)| c.clone()).collect();
        let ca_subjects: Vec<Vec<u8>> = certs
            .iter()
            .map(|c| CertView::parse(c.as_ref()).map_or_else(Vec::new, |v| v.subject.to_vec()))
            .collect();
        let hints = ca_subjects
            .iter()
            .filter(|s| !s.is_empty())
            .cloned()
            .map(DistinguishedName::from)
            .collect();
        Self {
            store: Store::new(ca, default_roots, crls, algs.all),
            ca: certs,
            ca_subjects,
            hints,
            algs,
        }
    }

    /// The subjects of the `ca` certificates: a server's list of acceptable client CAs.
    pub(crate) fn hints(&self) -> &[DistinguishedName] {
        &self.hints
    }

    /// Judges a peer's chain (leaf first) at `now`, as OpenSSL does for Node.
    pub(crate) fn verify(
        &self,
        chain: &[CertificateDer<'_>],
        now: UnixTime,
        purpose: Purpose,
    ) -> Result<(), VerifyCode> {
        let now = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
        self.store.verify(chain, now, purpose)
    }

    /// The chain as Node's `getPeerCertificate(true)` shows it: what the peer sent,
    /// then issuers from the trusted certificates up to a root.
    pub(crate) fn complete_chain(
        &self,
        chain: &[CertificateDer<'_>],
    ) -> Vec<CertificateDer<'static>> {
        let mut out: Vec<CertificateDer<'static>> =
            chain.iter().map(|c| c.clone().into_owned()).collect();
        while out.len() < 10 {
            let Some(top) = out.last().and_then(|c| CertView::parse(c.as_ref())) else {
                break;
            };
            if top.is_self_issued() {
                break;
            }
            let Some(issuer) = self.trusted_issuer_of(&top) else {
                break;
            };
            let issuer = CertificateDer::from(issuer.der.to_vec());
            if out.contains(&issuer) {
                break;
            }
            out.push(issuer);
        }
        out
    }

    /// A `ca` certificate named as `cert`'s issuer whose key made its signature.
    fn trusted_issuer_of(&self, cert: &CertView<'_>) -> Option<CertView<'_>> {
        self.ca
            .iter()
            .zip(&self.ca_subjects)
            .filter(|(_, subject)| **subject == cert.issuer)
            .filter_map(|(ca, _)| CertView::parse(ca.as_ref()))
            .find(|issuer| cert.is_signed_by(issuer, self.algs.all))
    }
}

/// The verifier rustls sees: it leaves the chain to [`Trust::verify`] (run once the
/// handshake is done, so Node's `rejectUnauthorized` semantics apply), but always checks
/// that the peer's handshake signature was made with its certificate's key. It reads
/// the key itself, so X.509 v1 certificates work too.
#[derive(Debug)]
pub(crate) struct HandshakeVerifier {
    pub(crate) algs: WebPkiSupportedAlgorithms,
    pub(crate) hints: Vec<DistinguishedName>,
    pub(crate) offer_client_auth: bool,
    pub(crate) client_auth_mandatory: bool,
}

impl HandshakeVerifier {
    fn verify_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
        tls13: bool,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let view = CertView::parse(cert.as_ref()).ok_or(rustls::Error::InvalidCertificate(
            CertificateError::BadEncoding,
        ))?;
        if tls13 {
            let spki = SubjectPublicKeyInfoDer::from(view.spki);
            return rustls::crypto::verify_tls13_signature_with_raw_key(
                message, &spki, dss, &self.algs,
            );
        }
        let candidates = self
            .algs
            .mapping
            .iter()
            .find(|(scheme, _)| *scheme == dss.scheme)
            .map(|(_, algs)| *algs)
            .ok_or(PeerMisbehaved::SignedHandshakeWithUnadvertisedSigScheme)?;
        let alg = candidates
            .iter()
            .find(|alg| *alg.public_key_alg_id() == *view.spki_alg)
            .ok_or(rustls::Error::InvalidCertificate(
                CertificateError::BadSignature,
            ))?;
        alg.verify_signature(view.spki_key, message, dss.signature())
            .map(|()| HandshakeSignatureValid::assertion())
            .map_err(|_| rustls::Error::InvalidCertificate(CertificateError::BadSignature))
    }
}

impl ServerCertVerifier for HandshakeVerifier {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        // The chain is judged once the handshake is done; the staple goes to the
        // connection as it is (Node hands `OCSPResponse` listeners the raw bytes).
        crate::reports::report(|r| r.ocsp_response = Some(ocsp_response.to_vec()));
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.verify_signature(message, cert, dss, false)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.verify_signature(message, cert, dss, true)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algs.supported_schemes()
    }
}

impl ClientCertVerifier for HandshakeVerifier {
    fn offer_client_auth(&self) -> bool {
        self.offer_client_auth
    }

    fn client_auth_mandatory(&self) -> bool {
        self.client_auth_mandatory
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &self.hints
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.verify_signature(message, cert, dss, false)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.verify_signature(message, cert, dss, true)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algs.supported_schemes()
    }
}

/// Node's `checkServerIdentity(hostname, cert)`, on the two fields it reads: the
/// certificate's `subjectaltname` text and its subject CNs. `Err` holds Node's reason
/// text, which follows "Hostname/IP does not match certificate's altnames: ".
pub fn check_server_identity(
    hostname: &str,
    subjectaltname: Option<&str>,
    subject_cn: &[String],
) -> Result<(), String> {
    let mut dns_names = Vec::new();
    let mut ips = Vec::new();
    if let Some(alt) = subjectaltname.filter(|s| !s.is_empty()) {
        for name in alt.split(", ") {
            if let Some(dns) = name.strip_prefix("DNS:") {
                dns_names.push(dns);
            } else if let Some(ip) = name.strip_prefix("IP Address:") {
                ips.push(canonical_ip(ip));
            }
        }
    }
    let hostname = hostname.strip_suffix('.').unwrap_or(hostname);
    if let Ok(ip) = hostname.parse::<std::net::IpAddr>() {
        let ip = ip.to_string();
        if ips.contains(&ip) {
            return Ok(());
        }
        return Err(format!(
            "IP: {hostname} is not in the cert's list: {}",
            ips.join(", ")
        ));
    }
    if dns_names.is_empty() && subject_cn.is_empty() {
        return Err("Cert does not contain a DNS name".to_string());
    }
    let host_parts = split_host(hostname);
    if !dns_names.is_empty() {
        if dns_names.iter().any(|p| host_matches(&host_parts, p)) {
            return Ok(());
        }
        return Err(format!(
            "Host: {hostname}. is not in the cert's altnames: {}",
            subjectaltname.unwrap_or_default()
        ));
    }
    if subject_cn.iter().any(|p| host_matches(&host_parts, p)) {
        return Ok(());
    }
    Err(format!(
        "Host: {hostname}. is not cert's CN: {}",
        subject_cn.join(",")
    ))
}

fn canonical_ip(text: &str) -> String {
    text.parse::<std::net::IpAddr>()
        .map(|ip| ip.to_string())
        .unwrap_or_else(|_| text.to_string())
}

fn split_host(host: &str) -> Vec<String> {
    host.strip_suffix('.')
        .unwrap_or(host)
        .to_ascii_lowercase()
        .split('.')
        .map(str::to_string)
        .collect()
}

/// Node's `check(hostParts, pattern, wildcards = true)`.
fn host_matches(host_parts: &[String], pattern: &str) -> bool {
    if pattern.is_empty() {
        return false;
    }
    let pattern_parts = split_host(pattern);
    if host_parts.len() != pattern_parts.len() || pattern_parts.iter().any(String::is_empty) {
        return false;
    }
    if pattern_parts
        .iter()
        .any(|p| p.chars().any(|c| !('\u{21}'..='\u{7f}').contains(&c)))
    {
        return false;
    }
    if host_parts[1..] != pattern_parts[1..] {
        return false;
    }
    let host_sub = &host_parts[0];
    let pattern_sub = &pattern_parts[0];
    let pieces: Vec<&str> = pattern_sub.split('*').collect();
    if pieces.len() == 1 || pattern_sub.contains("xn--") {
        return host_sub == pattern_sub;
    }
    if pieces.len() > 2 || pattern_parts.len() <= 2 {
        return false;
    }
    let (prefix, suffix) = (pieces[0], pieces[1]);
    prefix.len() + suffix.len() <= host_sub.len()
        && host_sub.starts_with(prefix)
        && host_sub.ends_with(suffix)
}

#[cfg(test)]
mod tests;
