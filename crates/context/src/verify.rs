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
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::TrustAnchor;
use rustls::pki_types::{CertificateDer, ServerName, SubjectPublicKeyInfoDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{
    CertificateError, DigitallySignedStruct, DistinguishedName, PeerMisbehaved, SignatureScheme,
};
use std::fmt;
use webpki::{
    CertRevocationList, EndEntityCert, ExpirationPolicy, KeyUsage, RevocationOptionsBuilder,
};

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
    /// Certificates trusted by value (DER): `ca` and `pfx` CAs.
    ca: Vec<CertificateDer<'static>>,
    /// The trust settings of each `ca` entry (`TRUSTED CERTIFICATE` blocks).
    aux: Vec<Aux>,
    /// The subject Name (DER) of each `ca` entry, to find issuers without parsing.
    ca_subjects: Vec<Vec<u8>>,
    anchors: Vec<TrustAnchor<'static>>,
    hints: Vec<DistinguishedName>,
    /// Each CRL with its DER, for the checks webpki does not make (X.509 v1 issuers).
    crls: Vec<(Vec<u8>, CertRevocationList<'static>)>,
    algs: WebPkiSupportedAlgorithms,
}

impl Trust {
    /// Trusts `ca`, plus the Mozilla roots (webpki-roots) when `default_roots` (Node: a
    /// given `ca` option replaces the default roots).
    pub(crate) fn new(
        ca: Vec<(CertificateDer<'static>, Aux)>,
        default_roots: bool,
        crls: Vec<(Vec<u8>, CertRevocationList<'static>)>,
        algs: WebPkiSupportedAlgorithms,
    ) -> Self {
        let (ca, aux): (Vec<_>, Vec<_>) = ca.into_iter().unzip();
        let mut anchors: Vec<TrustAnchor<'static>> = ca
            .iter()
            .filter_map(|c| webpki::anchor_from_trusted_cert(c).ok())
            .map(|a| a.to_owned())
            .collect();
        if default_roots {
            anchors.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        }
        let ca_subjects: Vec<Vec<u8>> = ca
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
            ca,
            aux,
            ca_subjects,
            anchors,
            hints,
            crls,
            algs,
        }
    }

    /// The subjects of the `ca` certificates: a server's list of acceptable client CAs.
    pub(crate) fn hints(&self) -> &[DistinguishedName] {
        &self.hints
    }

    /// Judges a peer's chain (leaf first) at `now`.
    pub(crate) fn verify(
        &self,
        chain: &[CertificateDer<'_>],
        now: UnixTime,
        purpose: Purpose,
    ) -> Result<(), VerifyCode> {
        let Some(leaf_der) = chain.first() else {
            return Err(VerifyCode::UnableToGetIssuerCert);
        };
        let Some(leaf) = CertView::parse(leaf_der.as_ref()) else {
            return Err(VerifyCode::CertRejected);
        };
        // Node accepts a certificate that is itself listed in `ca`, whatever its
        // version or CA flag (the spec's self-signed example), once it reaches a root.
        if self.ca.iter().any(|c| c.as_ref() == leaf.der) {
            leaf.check_validity(now)?;
            return self.up_to_root(&leaf, now, purpose);
        }
        // A leaf issued directly by a `ca` certificate: checked here so X.509 v1
        // leaves and issuers work as in OpenSSL.
        if let Some(issuer) = self.trusted_issuer_of(&leaf) {
            leaf.check_validity(now)?;
            issuer.check_validity(now)?;
            self.check_revocation(&leaf, &issuer)?;
            return self.up_to_root(&issuer, now, purpose);
        }
        let Ok(end_entity) = EndEntityCert::try_from(leaf_der) else {
            return Err(self.classify_unknown(chain));
        };
        let usage = match purpose {
            Purpose::Server => KeyUsage::server_auth(),
            Purpose::Client => KeyUsage::client_auth(),
        };
        let intermediates = chain.get(1..).unwrap_or_default();
        let crls: Vec<&CertRevocationList<'static>> = self.crls.iter().map(|(_, c)| c).collect();
        // Node sets CRL_CHECK | CRL_CHECK_ALL: every certificate below the anchor needs
        // a CRL from its issuer (webpki's defaults: whole chain, unknown status denied).
        let revocation = RevocationOptionsBuilder::new(&crls)
            .ok()
            .map(|b| b.with_expiration_policy(ExpirationPolicy::Ignore).build());
        match end_entity.verify_for_usage(
            self.algs.all,
            &self.anchors,
            intermediates,
            now,
            usage,
            revocation,
            None,
        ) {
            Ok(path) => {
                // webpki stops at any trusted certificate; OpenSSL (without
                // PARTIAL_CHAIN, as in Node) goes on to a self-signed root.
                let anchor_subject = path.anchor().subject.as_ref();
                let anchor = self
                    .ca
                    .iter()
                    .zip(&self.ca_subjects)
                    .find_map(|(ca, subject)| {
                        let contents = crate::cert::next_tlv(subject).map(|(t, _)| t.contents);
                        (contents == Some(anchor_subject)).then(|| CertView::parse(ca.as_ref()))?
                    });
                match anchor {
                    Some(anchor) => self.up_to_root(&anchor, now, purpose),
                    None => Ok(()),
                }
            }
            Err(e) => Err(self.map_webpki(e, chain)),
        }
    }

    /// OpenSSL's `X509_check_trust` on the root reached: a purpose its `TRUSTED
    /// CERTIFICATE` settings reject gives `CERT_REJECTED`; a trust list without it
    /// gives `CERT_UNTRUSTED`.
    fn check_trust_settings(&self, root: &[u8], purpose: Purpose) -> Result<(), VerifyCode> {
        const ANY_EKU: &[u8] = &[0x55, 0x1d, 0x25, 0x00];
        let wanted: &[u8] = match purpose {
            Purpose::Server => &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01],
            Purpose::Client => &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02],
        };
        let Some(aux) = self
            .ca
            .iter()
            .position(|c| c.as_ref() == root)
            .and_then(|i| self.aux.get(i))
        else {
            return Ok(());
        };
        let names = |oids: &[Vec<u8>]| oids.iter().any(|o| o == wanted || o == ANY_EKU);
        if names(&aux.reject) {
            Err(VerifyCode::CertRejected)
        } else if !aux.trust.is_empty() && !names(&aux.trust) {
            Err(VerifyCode::CertUntrusted)
        } else {
            Ok(())
        }
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

    /// From a trusted certificate up to a self-signed root through `ca`: dates and
    /// (with `crl`) revocation of each step. No root: `UNABLE_TO_GET_ISSUER_CERT`, as
    /// OpenSSL says when only an intermediate is trusted.
    fn up_to_root(
        &self,
        trusted: &CertView<'_>,
        now: UnixTime,
        purpose: Purpose,
    ) -> Result<(), VerifyCode> {
        let mut current = CertView::parse(trusted.der).ok_or(VerifyCode::CertRejected)?;
        for _ in 0..8 {
            if current.is_self_issued() {
                return self.check_trust_settings(current.der, purpose);
            }
            let issuer = self
                .trusted_issuer_of(&current)
                .ok_or(VerifyCode::UnableToGetIssuerCert)?;
            issuer.check_validity(now)?;
            self.check_revocation(&current, &issuer)?;
            current = issuer;
        }
        Err(VerifyCode::PathLengthExceeded)
    }

    /// CRL check of a leaf we verified ourselves against its direct issuer.
    fn check_revocation(
        &self,
        leaf: &CertView<'_>,
        issuer: &CertView<'_>,
    ) -> Result<(), VerifyCode> {
        if self.crls.is_empty() {
            return Ok(());
        }
        let issuer_name = crate::cert::next_tlv(issuer.subject).map(|(t, _)| t.contents);
        for (der, crl) in &self.crls {
            let same_issuer = Some(crl.issuer()) == issuer_name || crl.issuer() == issuer.subject;
            if !same_issuer {
                continue;
            }
            let signed = crate::cert::Signed::parse(der);
            if !signed.is_some_and(|s| s.is_signed_by(issuer, self.algs.all)) {
                return Err(VerifyCode::CrlSignatureFailure);
            }
            return match crl.find_serial(leaf.serial) {
                Ok(Some(_)) => Err(VerifyCode::CertRevoked),
                Ok(None) => Ok(()),
                Err(_) => Err(VerifyCode::UnableToGetCrl),
            };
        }
        Err(VerifyCode::UnableToGetCrl)
    }

    fn map_webpki(&self, err: webpki::Error, chain: &[CertificateDer<'_>]) -> VerifyCode {
        use webpki::Error as E;
        match err {
            E::CertExpired { .. } => VerifyCode::CertHasExpired,
            E::CertNotValidYet { .. } => VerifyCode::CertNotYetValid,
            E::CertRevoked => VerifyCode::CertRevoked,
            E::UnknownRevocationStatus => VerifyCode::UnableToGetCrl,
            E::InvalidCrlSignatureForPublicKey | E::UnsupportedCrlSignatureAlgorithmContext(_) => {
                VerifyCode::CrlSignatureFailure
            }
            // OpenSSL reports a bad signature only from a certificate it took for the
            // issuer (same name, same key id); otherwise the issuer is just unknown.
            E::InvalidSignatureForPublicKey if self.has_named_issuer(chain) => {
                VerifyCode::CertSignatureFailure
            }
            E::RequiredEkuNotFoundContext(_) => VerifyCode::InvalidPurpose,
            E::PathLenConstraintViolated => VerifyCode::PathLengthExceeded,
            E::EndEntityUsedAsCa => VerifyCode::InvalidCa,
            _ => self.classify_unknown(chain),
        }
    }

    /// Whether a sent or trusted certificate passes for the leaf's issuer by name and
    /// key identifier.
    fn has_named_issuer(&self, chain: &[CertificateDer<'_>]) -> bool {
        let Some(leaf) = chain.first().and_then(|c| CertView::parse(c.as_ref())) else {
            return false;
        };
        chain[1..]
            .iter()
            .chain(&self.ca)
            .filter_map(|c| CertView::parse(c.as_ref()))
            .any(|candidate| leaf.names_as_issuer(&candidate))
    }

    /// webpki says "unknown issuer" for every path failure; OpenSSL tells them apart by
    /// the shape of the chain.
    fn classify_unknown(&self, chain: &[CertificateDer<'_>]) -> VerifyCode {
        let views: Vec<CertView<'_>> = chain
            .iter()
            .filter_map(|c| CertView::parse(c.as_ref()))
            .collect();
        match views.as_slice() {
            [leaf] if leaf.is_self_issued() => VerifyCode::DepthZeroSelfSignedCert,
            [_] | [] => VerifyCode::UnableToVerifyLeafSignature,
            [.., top] if top.is_self_issued() => VerifyCode::SelfSignedCertInChain,
            _ => VerifyCode::UnableToGetIssuerCertLocally,
        }
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
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
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
