//! The facts about one certificate that OpenSSL's chain decision reads (its
//! `ossl_x509v3_cache_extensions` flags), taken from x509-parser plus the raw slices
//! ring needs for signatures ([`CertView`]).

use crate::cert::{Aux, CertView};
use rustls::pki_types::TrustAnchor;
use x509_parser::extensions::{
    CRLDistributionPoint, GeneralName, NameConstraints, ParsedExtension,
};
use x509_parser::prelude::{FromDer as _, X509Certificate, X509Name, X509Version};

/// OpenSSL's `KU_*` bits, as `ex_kusage` holds them.
pub(crate) mod ku {
    pub(crate) const DIGITAL_SIGNATURE: u16 = 0x0080;
    pub(crate) const KEY_ENCIPHERMENT: u16 = 0x0020;
    pub(crate) const KEY_AGREEMENT: u16 = 0x0008;
    pub(crate) const KEY_CERT_SIGN: u16 = 0x0004;
    pub(crate) const CRL_SIGN: u16 = 0x0002;
}

/// OpenSSL's `XKU_*` bits that the TLS purposes read.
pub(crate) mod xku {
    pub(crate) const SSL_SERVER: u32 = 0x1;
    pub(crate) const SSL_CLIENT: u32 = 0x2;
    pub(crate) const SGC: u32 = 0x10;
}

/// OpenSSL's `NS_*` bits of the Netscape certificate type.
pub(crate) mod ns {
    pub(crate) const SSL_CLIENT: u8 = 0x80;
    pub(crate) const SSL_SERVER: u8 = 0x40;
    pub(crate) const SSL_CA: u8 = 0x04;
    pub(crate) const ANY_CA: u8 = 0x07;
}

/// The key algorithm a public key or a signature belongs to (OpenSSL's
/// `check_sig_alg_match`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyFamily {
    Rsa,
    RsaPss,
    Ec,
    Ed25519,
    Ed448,
    Dsa,
    Other,
}

/// An authority key identifier (RFC 5280 4.2.1.1).
#[derive(Clone, Debug, Default)]
pub(crate) struct Akid<'a> {
    pub(crate) key_id: Option<&'a [u8]>,
    /// The first directoryName of authorityCertIssuer, canonical.
    pub(crate) issuer: Option<Vec<u8>>,
    pub(crate) serial: Option<&'a [u8]>,
}

/// One certificate as the chain decision sees it.
pub(crate) struct Cert<'a> {
    /// The DER (empty for a bare trust anchor from the default roots).
    pub(crate) der: &'a [u8],
    /// Trust settings when this comes from the trust store as a `TRUSTED CERTIFICATE`.
    pub(crate) aux: Option<&'a Aux>,
    pub(crate) v1: bool,
    /// Canonical subject and issuer names ([`canonical_name`]).
    pub(crate) subject: Vec<u8>,
    pub(crate) issuer: Vec<u8>,
    /// Whether the subject has no attributes.
    pub(crate) subject_empty: bool,
    /// `emailAddress` attribute values of the subject (for name constraints).
    pub(crate) subject_emails: Vec<&'a [u8]>,
    /// commonName attribute values of the subject, as UTF-8 when they are strings.
    pub(crate) subject_cns: Vec<Option<String>>,
    pub(crate) serial: &'a [u8],
    pub(crate) tbs: &'a [u8],
    pub(crate) signature_alg: &'a [u8],
    pub(crate) inner_signature_alg: &'a [u8],
    pub(crate) signature: &'a [u8],
    pub(crate) spki_alg: &'a [u8],
    pub(crate) spki_key: &'a [u8],
    pub(crate) key_family: KeyFamily,
    /// The key family of the signature algorithm (of the TBS's `signature` field).
    pub(crate) signature_family: Option<KeyFamily>,
    /// Signed with SHA-1 or MD5: below security level 1 (OpenSSL 3.0).
    pub(crate) weak_digest: bool,
    /// RSA modulus bits, when an RSA key.
    pub(crate) rsa_bits: Option<usize>,
    pub(crate) not_before: i64,
    pub(crate) not_after: i64,
    /// basicConstraints present (`EXFLAG_BCONS`), its CA flag, its pathLen.
    pub(crate) has_bc: bool,
    pub(crate) ca: bool,
    pub(crate) path_len: Option<u32>,
    /// keyUsage bits when present.
    pub(crate) key_usage: Option<u16>,
    /// extendedKeyUsage bits when present.
    pub(crate) ext_key_usage: Option<u32>,
    pub(crate) ns_cert_type: Option<u8>,
    pub(crate) skid: Option<&'a [u8]>,
    pub(crate) akid: Option<Akid<'a>>,
    pub(crate) san: Vec<GeneralName<'a>>,
    pub(crate) has_san: bool,
    pub(crate) name_constraints: Option<NameConstraints<'a>>,
    pub(crate) crl_dps: Vec<CRLDistributionPoint<'a>>,
    /// A critical extension OpenSSL does not handle.
    pub(crate) unhandled_critical: bool,
    /// Malformed or duplicated extensions (`EXFLAG_INVALID`).
    pub(crate) invalid: bool,
    pub(crate) self_issued: bool,
    pub(crate) self_signed: bool,
}

impl<'a> Cert<'a> {
    /// Reads a certificate; `None` when it is not one (x509-parser and our raw view
    /// must both accept it).
    pub(crate) fn parse(der: &'a [u8], aux: Option<&'a Aux>) -> Option<Self> {
        let view = CertView::parse(der)?;
        let (_, x509) = X509Certificate::from_der(der).ok()?;
        let tbs = &x509.tbs_certificate;
        let mut cert = Cert {
            der,
            aux,
            v1: tbs.version == X509Version::V1,
            subject: canonical_name(&tbs.subject),
            issuer: canonical_name(&tbs.issuer),
            subject_empty: tbs.subject.iter_attributes().next().is_none(),
            subject_emails: tbs
                .subject
                .iter_email()
                .map(|a| a.attr_value().data)
                .collect(),
            subject_cns: tbs
                .subject
                .iter_common_name()
                .map(|a| string_value(a.attr_value().tag().0, a.attr_value().data))
                .collect(),
            serial: view.serial,
            tbs: view.tbs,
            signature_alg: view.signature_alg,
            inner_signature_alg: view.inner_signature_alg,
            signature: view.signature,
            spki_alg: view.spki_alg,
            spki_key: view.spki_key,
            key_family: key_family(&tbs.subject_pki.algorithm.algorithm),
            signature_family: signature_family(&tbs.signature.algorithm),
            weak_digest: weak_digest(&tbs.signature.algorithm),
            rsa_bits: match tbs.subject_pki.parsed() {
                Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => Some(rsa.key_size()),
                _ => None,
            },
            not_before: tbs.validity.not_before.timestamp(),
            not_after: tbs.validity.not_after.timestamp(),
            has_bc: false,
            ca: false,
            path_len: None,
            key_usage: None,
            ext_key_usage: None,
            ns_cert_type: None,
            skid: None,
            akid: None,
            san: Vec::new(),
            has_san: false,
            name_constraints: None,
            crl_dps: Vec::new(),
            unhandled_critical: false,
            invalid: false,
            self_issued: false,
            self_signed: false,
        };
        let mut seen: Vec<&[u8]> = Vec::new();
        for ext in tbs.extensions() {
            let oid = ext.oid.as_bytes();
            if seen.contains(&oid) {
                cert.invalid = true;
            }
            seen.push(oid);
            if ext.critical && !is_supported_extension(&ext.oid) {
                cert.unhandled_critical = true;
            }
            match ext.parsed_extension() {
                ParsedExtension::BasicConstraints(bc) => {
                    cert.has_bc = true;
                    cert.ca = bc.ca;
                    cert.path_len = bc.path_len_constraint;
                    if bc.path_len_constraint.is_some() && !bc.ca {
                        cert.invalid = true;
                        cert.path_len = Some(0);
                    }
                }
                ParsedExtension::KeyUsage(k) => {
                    let mut bits = 0u16;
                    for (on, bit) in [
                        (k.digital_signature(), ku::DIGITAL_SIGNATURE),
                        (k.non_repudiation(), 0x0040),
                        (k.key_encipherment(), ku::KEY_ENCIPHERMENT),
                        (k.data_encipherment(), 0x0010),
                        (k.key_agreement(), ku::KEY_AGREEMENT),
                        (k.key_cert_sign(), ku::KEY_CERT_SIGN),
                        (k.crl_sign(), ku::CRL_SIGN),
                        (k.encipher_only(), 0x0001),
                        (k.decipher_only(), 0x8000),
                    ] {
                        if on {
                            bits |= bit;
                        }
                    }
                    cert.key_usage = Some(bits);
                }
                ParsedExtension::ExtendedKeyUsage(e) => {
                    let mut bits = 0u32;
                    if e.server_auth {
                        bits |= xku::SSL_SERVER;
                    }
                    if e.client_auth {
                        bits |= xku::SSL_CLIENT;
                    }
                    let sgc = [
                        &[0x60, 0x86, 0x48, 0x01, 0x86, 0xf8, 0x42, 0x04, 0x01][..],
                        &[0x2b, 6, 1, 4, 1, 0x82, 0x37, 10, 3, 3][..],
                    ];
                    if e.other.iter().any(|o| sgc.contains(&o.as_bytes())) {
                        bits |= xku::SGC;
                    }
                    if e.any {
                        bits |= 0x100;
                    }
                    cert.ext_key_usage = Some(bits);
                }
                ParsedExtension::NSCertType(t) => {
                    let mut bits = 0u8;
                    for (on, bit) in [
                        (t.ssl_client(), ns::SSL_CLIENT),
                        (t.ssl_server(), ns::SSL_SERVER),
                        (t.smime(), 0x20),
                        (t.object_signing(), 0x10),
                        (t.ssl_ca(), ns::SSL_CA),
                        (t.smime_ca(), 0x02),
                        (t.object_signing_ca(), 0x01),
                    ] {
                        if on {
                            bits |= bit;
                        }
                    }
                    cert.ns_cert_type = Some(bits);
                }
                ParsedExtension::SubjectKeyIdentifier(id) => cert.skid = Some(id.0),
                ParsedExtension::AuthorityKeyIdentifier(a) => {
                    let issuer = a.authority_cert_issuer.as_ref().and_then(|names| {
                        names.iter().find_map(|n| match n {
                            GeneralName::DirectoryName(name) => Some(canonical_name(name)),
                            _ => None,
                        })
                    });
                    cert.akid = Some(Akid {
                        key_id: a.key_identifier.as_ref().map(|k| k.0),
                        issuer,
                        serial: a.authority_cert_serial,
                    });
                }
                ParsedExtension::SubjectAlternativeName(san) => {
                    cert.has_san = true;
                    cert.san = san.general_names.clone();
                }
                ParsedExtension::NameConstraints(nc) => cert.name_constraints = Some(nc.clone()),
                ParsedExtension::CRLDistributionPoints(dps) => {
                    cert.crl_dps = dps.points.clone();
                }
                ParsedExtension::ParseError { .. } => cert.invalid = true,
                _ => {}
            }
        }
        // EXFLAG_SI / EXFLAG_SS
        if cert.subject == cert.issuer {
            cert.self_issued = true;
            cert.self_signed = akid_matches(&cert, cert.akid.as_ref())
                && signature_matches_key(cert.signature_family, cert.key_family);
        }
        Some(cert)
    }

    /// A bare trust anchor (the default roots carry only subject, key and name
    /// constraints): a self-signed CA certificate without other extensions or dates.
    pub(crate) fn anchor(anchor: &'a AnchorDer) -> Option<Self> {
        let (_, name) = X509Name::from_der(&anchor.subject).ok()?;
        let subject = canonical_name(&name);
        let (alg, rest) = crate::cert::next_tlv(anchor.spki)?;
        let (bits, _) = crate::cert::next_tlv(rest)?;
        let spki_alg = alg.contents;
        let name_constraints = match &anchor.name_constraints {
            Some(der) => Some(NameConstraints::from_der(der).ok()?.1),
            None => None,
        };
        Some(Cert {
            der: &[],
            aux: None,
            v1: false,
            issuer: subject.clone(),
            subject,
            subject_empty: false,
            subject_emails: Vec::new(),
            subject_cns: Vec::new(),
            serial: &[],
            tbs: &[],
            signature_alg: &[],
            inner_signature_alg: &[],
            signature: &[],
            spki_alg,
            spki_key: bits.contents.get(1..)?,
            key_family: key_family_of_alg_id(spki_alg),
            signature_family: None,
            weak_digest: false,
            rsa_bits: None,
            not_before: i64::MIN,
            not_after: i64::MAX,
            has_bc: true,
            ca: true,
            path_len: None,
            key_usage: None,
            ext_key_usage: None,
            ns_cert_type: None,
            skid: None,
            akid: None,
            san: Vec::new(),
            has_san: false,
            name_constraints,
            crl_dps: Vec::new(),
            unhandled_critical: false,
            invalid: false,
            self_issued: true,
            self_signed: true,
        })
    }

    /// keyUsage present without any of `bits` (OpenSSL's `ku_reject`).
    pub(crate) fn ku_rejects(&self, bits: u16) -> bool {
        self.key_usage.is_some_and(|k| k & bits == 0)
    }

    /// extendedKeyUsage present without any of `bits` (`xku_reject`).
    pub(crate) fn xku_rejects(&self, bits: u32) -> bool {
        self.ext_key_usage.is_some_and(|k| k & bits == 0)
    }

    /// Netscape certificate type present without any of `bits` (`ns_reject`).
    pub(crate) fn ns_rejects(&self, bits: u8) -> bool {
        self.ns_cert_type.is_some_and(|t| t & bits == 0)
    }

    /// OpenSSL's `check_ca`: 0 not a CA, 1 a CA by basicConstraints, 3 a v1
    /// self-signed root, 4 keyUsage keyCertSign without basicConstraints, 5 a Netscape
    /// CA type.
    pub(crate) fn check_ca(&self) -> u8 {
        if self.ku_rejects(ku::KEY_CERT_SIGN) {
            return 0;
        }
        if self.has_bc {
            return u8::from(self.ca);
        }
        if self.v1 && self.self_signed {
            3
        } else if self.key_usage.is_some() {
            4
        } else if self.ns_cert_type.is_some_and(|t| t & ns::ANY_CA != 0) {
            5
        } else {
            0
        }
    }

    /// Whether this is the very same certificate as `other` (`X509_cmp`).
    pub(crate) fn same_as(&self, other: &Cert<'_>) -> bool {
        if self.der.is_empty() || other.der.is_empty() {
            return self.subject == other.subject && self.spki_key == other.spki_key;
        }
        self.der == other.der
    }
}

/// Whether `issuer`'s key made `signature` over `tbs` with the algorithm `alg`
/// (AlgorithmIdentifier contents), among ring's algorithms.
pub(crate) fn signed_by(
    issuer: &Cert<'_>,
    tbs: &[u8],
    alg: &[u8],
    signature: &[u8],
    algs: &[&dyn rustls::pki_types::SignatureVerificationAlgorithm],
) -> bool {
    algs.iter().any(|a| {
        *a.public_key_alg_id() == *issuer.spki_alg
            && *a.signature_alg_id() == *alg
            && a.verify_signature(issuer.spki_key, tbs, signature).is_ok()
    })
}

/// The trust settings of `x` for a TLS purpose (`obj_trust` with anyExtendedKeyUsage
/// counting): `Some(true)` trusted, `Some(false)` rejected, `None` no say.
pub(crate) fn aux_trust(x: &Cert<'_>, purpose: crate::Purpose) -> Option<bool> {
    const ANY_EKU: &[u8] = &[0x55, 0x1d, 0x25, 0x00];
    let wanted: &[u8] = match purpose {
        crate::Purpose::Server => &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01],
        crate::Purpose::Client => &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02],
    };
    let aux = x.aux?;
    let names = |oids: &[Vec<u8>]| oids.iter().any(|o| o == wanted || o == ANY_EKU);
    if names(&aux.reject) {
        return Some(false);
    }
    (!aux.trust.is_empty()).then(|| names(&aux.trust))
}

/// `X509_check_akid(issuer, akid)`: the key id, serial and issuer name of an
/// authority key identifier, where present, match `issuer`.
pub(crate) fn akid_matches(issuer: &Cert<'_>, akid: Option<&Akid<'_>>) -> bool {
    let Some(akid) = akid else {
        return true;
    };
    if let (Some(key_id), Some(skid)) = (akid.key_id, issuer.skid) {
        if key_id != skid {
            return false;
        }
    }
    if let Some(serial) = akid.serial {
        if strip_leading_zeros(serial) != strip_leading_zeros(issuer.serial) {
            return false;
        }
    }
    if let Some(name) = &akid.issuer {
        if *name != issuer.issuer {
            return false;
        }
    }
    true
}

fn strip_leading_zeros(mut bytes: &[u8]) -> &[u8] {
    while let [0, rest @ ..] = bytes {
        if rest.is_empty() {
            break;
        }
        bytes = rest;
    }
    bytes
}

/// `ossl_x509_likely_issued(issuer, subject)`: names, key identifiers and key type.
pub(crate) fn likely_issued(issuer: &Cert<'_>, subject: &Cert<'_>) -> bool {
    issuer.subject == subject.issuer
        && !issuer.invalid
        && !subject.invalid
        && akid_matches(issuer, subject.akid.as_ref())
        && signature_matches_key(subject.signature_family, issuer.key_family)
}

/// `check_sig_alg_match`: a signature algorithm made with this kind of key.
fn signature_matches_key(signature: Option<KeyFamily>, key: KeyFamily) -> bool {
    match signature {
        Some(sig) => sig == key || (key == KeyFamily::Rsa && sig == KeyFamily::RsaPss),
        None => false,
    }
}

/// The extensions OpenSSL handles (`X509_supported_extension`): any other one marked
/// critical makes the certificate unusable.
fn is_supported_extension(oid: &x509_parser::der_parser::oid::Oid<'_>) -> bool {
    const SUPPORTED: &[&[u8]] = &[
        &[0x60, 0x86, 0x48, 0x01, 0x86, 0xf8, 0x42, 0x01, 0x01], // netscape cert type
        &[0x55, 0x1d, 0x0f],                                     // key usage
        &[0x55, 0x1d, 0x11],                                     // subject alt name
        &[0x55, 0x1d, 0x13],                                     // basic constraints
        &[0x55, 0x1d, 0x20],                                     // certificate policies
        &[0x55, 0x1d, 0x1f],                                     // CRL distribution points
        &[0x55, 0x1d, 0x25],                                     // extended key usage
        &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x07],       // sbgp ipAddrBlock
        &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x08],       // sbgp AS number
        &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x05], // OCSP no check
        &[0x55, 0x1d, 0x24],                                     // policy constraints
        &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x0e],       // proxyCertInfo
        &[0x55, 0x1d, 0x1e],                                     // name constraints
        &[0x55, 0x1d, 0x21],                                     // policy mappings
        &[0x55, 0x1d, 0x36],                                     // inhibit any policy
    ];
    SUPPORTED.contains(&oid.as_bytes())
}

fn key_family(oid: &x509_parser::der_parser::oid::Oid<'_>) -> KeyFamily {
    match oid.as_bytes() {
        [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01] => KeyFamily::Rsa,
        [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a] => KeyFamily::RsaPss,
        [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01] => KeyFamily::Ec,
        [0x2b, 0x65, 0x70] => KeyFamily::Ed25519,
        [0x2b, 0x65, 0x71] => KeyFamily::Ed448,
        [0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x01] => KeyFamily::Dsa,
        _ => KeyFamily::Other,
    }
}

/// The key family of an AlgorithmIdentifier's contents (OID first).
fn key_family_of_alg_id(contents: &[u8]) -> KeyFamily {
    match crate::cert::next_tlv(contents) {
        Some((oid, _)) if oid.tag == 0x06 => key_family(&x509_parser::der_parser::oid::Oid::new(
            std::borrow::Cow::Borrowed(oid.contents),
        )),
        _ => KeyFamily::Other,
    }
}

/// The key family a signature algorithm needs (`OBJ_find_sigid_algs`).
fn signature_family(oid: &x509_parser::der_parser::oid::Oid<'_>) -> Option<KeyFamily> {
    let b = oid.as_bytes();
    const PKCS1: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01];
    const ECDSA: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04];
    if let Some(last) = b.strip_prefix(PKCS1) {
        return match last {
            [0x0a] => Some(KeyFamily::RsaPss),
            [2..=5] | [0x0b..=0x10] => Some(KeyFamily::Rsa),
            _ => None,
        };
    }
    if b.starts_with(ECDSA) {
        return Some(KeyFamily::Ec);
    }
    match b {
        [0x2b, 0x65, 0x70] => Some(KeyFamily::Ed25519),
        [0x2b, 0x65, 0x71] => Some(KeyFamily::Ed448),
        [0x2b, 0x0e, 0x03, 0x02, 0x1d] => Some(KeyFamily::Rsa), // sha1WithRSA (OIW)
        [0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x03]
        | [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03, 1..=2] => Some(KeyFamily::Dsa),
        _ => None,
    }
}

/// SHA-1 or MD5 (and MD2/MD4) signatures: OpenSSL 3.0 rates them below security
/// level 1's 80 bits.
fn weak_digest(oid: &x509_parser::der_parser::oid::Oid<'_>) -> bool {
    matches!(
        oid.as_bytes(),
        [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 2..=5]
            | [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x01]
            | [0x2b, 0x0e, 0x03, 0x02, 0x1d]
            | [0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x03]
    )
}

/// OpenSSL's canonical form of a Name (`x509_name_canon`), flattened so that equal
/// names give equal bytes and a name's leading RDNs are a byte prefix: per RDN its
/// attribute count, then per attribute its OID and its value; string values are
/// UTF-8 with leading and trailing white space dropped, inner runs of white space as
/// one space, and ASCII lowercased.
pub(crate) fn canonical_name(name: &X509Name<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    for rdn in name.iter_rdn() {
        let attrs: Vec<_> = rdn.iter().collect();
        push_len(&mut out, attrs.len());
        for attr in attrs {
            let oid = attr.attr_type().as_bytes();
            push_len(&mut out, oid.len());
            out.extend_from_slice(oid);
            let value = attr.attr_value();
            let tag = value.tag().0;
            match canonical_string(tag, value.data) {
                Some(text) => {
                    out.push(0x0c);
                    push_len(&mut out, text.len());
                    out.extend_from_slice(text.as_bytes());
                }
                None => {
                    out.push(u8::try_from(tag).unwrap_or(0xff));
                    push_len(&mut out, value.data.len());
                    out.extend_from_slice(value.data);
                }
            }
        }
    }
    out
}

fn push_len(out: &mut Vec<u8>, len: usize) {
    out.extend_from_slice(&u32::try_from(len).unwrap_or(u32::MAX).to_be_bytes());
}

/// The text of a string-typed value (`ASN1_MASK_CANON` types), `None` otherwise.
pub(crate) fn string_value(tag: u32, data: &[u8]) -> Option<String> {
    match tag {
        // UTF8String, PrintableString, IA5String, VisibleString
        12 | 19 | 22 | 26 => Some(String::from_utf8_lossy(data).into_owned()),
        // T61String: OpenSSL reads it as Latin-1
        20 => Some(data.iter().map(|&b| char::from(b)).collect()),
        // BMPString
        30 => {
            let units: Vec<u16> = data
                .chunks(2)
                .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
                .collect();
            Some(String::from_utf16_lossy(&units))
        }
        // UniversalString
        28 => Some(
            data.chunks(4)
                .map(|c| {
                    let mut b = [0u8; 4];
                    b[..c.len()].copy_from_slice(c);
                    char::from_u32(u32::from_be_bytes(b)).unwrap_or('\u{fffd}')
                })
                .collect(),
        ),
        _ => None,
    }
}

fn canonical_string(tag: u32, data: &[u8]) -> Option<String> {
    let text = string_value(tag, data)?;
    let is_space = |c: char| matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r');
    let mut out = String::with_capacity(text.len());
    let mut in_space = false;
    for c in text.trim_matches(is_space).chars() {
        if is_space(c) {
            if !in_space {
                out.push(' ');
            }
            in_space = true;
        } else {
            in_space = false;
            out.push(c.to_ascii_lowercase());
        }
    }
    Some(out)
}

fn wrap(tag: u8, contents: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = contents.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(contents);
    out
}

/// A default root (webpki-roots) with its DER pieces rewrapped as whole elements.
#[derive(Debug)]
pub(crate) struct AnchorDer {
    /// The subject Name element.
    pub(crate) subject: Vec<u8>,
    /// The SubjectPublicKeyInfo contents (AlgorithmIdentifier, BIT STRING).
    pub(crate) spki: &'static [u8],
    /// The NameConstraints element, when the root has constraints.
    pub(crate) name_constraints: Option<Vec<u8>>,
    /// The canonical subject, to index the roots.
    pub(crate) canonical_subject: Vec<u8>,
}

impl AnchorDer {
    pub(crate) fn new(anchor: &'static TrustAnchor<'static>) -> Self {
        let subject = wrap(0x30, anchor.subject.as_ref());
        let canonical_subject = X509Name::from_der(&subject)
            .map(|(_, n)| canonical_name(&n))
            .unwrap_or_default();
        let spki: &'static [u8] = anchor.subject_public_key_info.as_ref();
        Self {
            subject,
            spki,
            name_constraints: anchor
                .name_constraints
                .as_ref()
                .map(|nc| wrap(0x30, nc.as_ref())),
            canonical_subject,
        }
    }
}
