//! CRLs (v1 and v2) read once with x509-parser, and OpenSSL's revocation check under
//! `X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL` (what Node sets once a `crl`
//! is given): `check_cert`, `get_crl_sk`, `get_crl_score`, `check_crl`, `cert_crl`
//! of `crypto/x509/x509_vfy.c`, without delta CRLs and indirect CRLs (which need
//! `X509_V_FLAG_USE_DELTAS` / `EXTENDED_CRL_SUPPORT`, flags Node leaves off).

use super::x509::{canonical_name, ku, signed_by, Cert};
use super::Verdict;
use crate::cert::Signed;
use crate::VerifyCode;
use rustls::pki_types::SignatureVerificationAlgorithm;
use std::collections::HashMap;
use x509_parser::extensions::{DistributionPointName, GeneralName, ParsedExtension};
use x509_parser::prelude::{CertificateRevocationList, FromDer as _};

/// Every reason code (OpenSSL's `CRLDP_ALL_REASONS`), as logical bit numbers 1-8.
const ALL_REASONS: u16 = 0x1fe;

// OpenSSL's CRL score bits.
const SCORE_NOCRITICAL: u32 = 0x100;
const SCORE_SCOPE: u32 = 0x080;
const SCORE_TIME: u32 = 0x040;
const SCORE_ISSUER_NAME: u32 = 0x020;
const SCORE_ISSUER_CERT: u32 = 0x018;
const SCORE_SAME_PATH: u32 = 0x008;
const SCORE_AKID: u32 = 0x004;

/// A general name reduced to what comparisons need: its kind and value bytes
/// (canonical for directory names).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct NameKey(u8, Vec<u8>);

impl NameKey {
    pub(crate) fn of(name: &GeneralName<'_>) -> Self {
        match name {
            GeneralName::OtherName(oid, v) => {
                let mut b = oid.as_bytes().to_vec();
                b.extend_from_slice(v);
                Self(0, b)
            }
            GeneralName::RFC822Name(s) => Self(1, s.as_bytes().to_vec()),
            GeneralName::DNSName(s) => Self(2, s.as_bytes().to_vec()),
            GeneralName::X400Address(a) => Self(3, a.data.to_vec()),
            GeneralName::DirectoryName(n) => Self(4, canonical_name(n)),
            GeneralName::EDIPartyName(a) => Self(5, a.data.to_vec()),
            GeneralName::URI(s) => Self(6, s.as_bytes().to_vec()),
            GeneralName::IPAddress(ip) => Self(7, ip.to_vec()),
            GeneralName::RegisteredID(oid) => Self(8, oid.as_bytes().to_vec()),
            GeneralName::Invalid(tag, data) => {
                Self(9 + u8::try_from(tag.0).unwrap_or(0), data.to_vec())
            }
        }
    }
}

/// A distribution point name: full names, or a name relative to the CRL issuer
/// (kept as unmatched: OpenSSL would compare it, we refuse such CRLs' scope).
#[derive(Clone, Debug)]
pub(crate) enum DpName {
    Full(Vec<NameKey>),
    Relative,
}

impl DpName {
    pub(crate) fn of(name: &DistributionPointName<'_>) -> Self {
        match name {
            DistributionPointName::FullName(names) => {
                Self::Full(names.iter().map(NameKey::of).collect())
            }
            DistributionPointName::NameRelativeToCRLIssuer(_) => Self::Relative,
        }
    }

    /// `idp_check_dp`: full names match when any two are equal.
    fn matches(&self, other: &DpName) -> bool {
        match (self, other) {
            (Self::Full(a), Self::Full(b)) => a.iter().any(|n| b.contains(n)),
            _ => false,
        }
    }
}

/// One CRL, read once when the context is made.
#[derive(Debug)]
pub(crate) struct Crl {
    der: Vec<u8>,
    issuer: Vec<u8>,
    this_update: i64,
    next_update: Option<i64>,
    akid_key_id: Option<Vec<u8>>,
    akid_issuer: Option<Vec<u8>>,
    akid_serial: Option<Vec<u8>>,
    /// A critical extension OpenSSL does not handle, in the CRL or an entry.
    critical: bool,
    /// A delta CRL (`deltaCRLIndicator`): never used as a base.
    delta: bool,
    idp: Option<Idp>,
    /// Revoked serials (INTEGER contents) and whether the reason is removeFromCRL.
    revoked: HashMap<Vec<u8>, bool>,
}

#[derive(Debug)]
struct Idp {
    distribution_point: Option<DpName>,
    only_user: bool,
    only_ca: bool,
    only_attr: bool,
    indirect: bool,
    reasons: Option<u16>,
}

impl Crl {
    /// Reads a DER CRL (v1 or v2); `Err` says why not.
    pub(crate) fn parse(der: Vec<u8>) -> Result<Self, String> {
        let (rest, crl) = CertificateRevocationList::from_der(&der).map_err(|e| e.to_string())?;
        if !rest.is_empty() {
            return Err("trailing data after the CRL".to_string());
        }
        if Signed::parse(&der).is_none() {
            return Err("not a signed CRL".to_string());
        }
        let tbs = &crl.tbs_cert_list;
        let mut out = Crl {
            issuer: canonical_name(&tbs.issuer),
            this_update: tbs.this_update.timestamp(),
            next_update: tbs.next_update.map(|t| t.timestamp()),
            akid_key_id: None,
            akid_issuer: None,
            akid_serial: None,
            critical: false,
            delta: false,
            idp: None,
            revoked: HashMap::new(),
            der: Vec::new(),
        };
        for ext in tbs.extensions() {
            let oid = ext.oid.as_bytes();
            // OpenSSL handles a critical IDP, AKID or delta indicator; nothing else.
            let handled = [
                &[0x55, 0x1d, 0x1c][..],
                &[0x55, 0x1d, 0x23],
                &[0x55, 0x1d, 0x1b],
            ];
            if ext.critical && !handled.contains(&oid) {
                out.critical = true;
            }
            if oid == [0x55, 0x1d, 0x1b] {
                out.delta = true;
            }
            match ext.parsed_extension() {
                ParsedExtension::AuthorityKeyIdentifier(a) => {
                    out.akid_key_id = a.key_identifier.as_ref().map(|k| k.0.to_vec());
                    out.akid_serial = a.authority_cert_serial.map(<[u8]>::to_vec);
                    out.akid_issuer = a.authority_cert_issuer.as_ref().and_then(|names| {
                        names.iter().find_map(|n| match n {
                            GeneralName::DirectoryName(name) => Some(canonical_name(name)),
                            _ => None,
                        })
                    });
                }
                ParsedExtension::IssuingDistributionPoint(idp) => {
                    out.idp = Some(Idp {
                        distribution_point: idp.distribution_point.as_ref().map(DpName::of),
                        only_user: idp.only_contains_user_certs,
                        only_ca: idp.only_contains_ca_certs,
                        only_attr: idp.only_contains_attribute_certs,
                        indirect: idp.indirect_crl,
                        reasons: idp
                            .only_some_reasons
                            .as_ref()
                            .map(|r| r.flags & ALL_REASONS),
                    });
                }
                ParsedExtension::ParseError { error } => {
                    return Err(format!("bad extension: {error}"));
                }
                _ => {}
            }
        }
        for entry in tbs.revoked_certificates.iter() {
            for ext in entry.extensions() {
                // certificateIssuer is the one entry extension OpenSSL handles.
                if ext.critical && ext.oid.as_bytes() != [0x55, 0x1d, 0x1d] {
                    out.critical = true;
                }
            }
            let remove = matches!(entry.reason_code(), Some((_, r)) if r.0 == 8);
            out.revoked.insert(entry.raw_serial().to_vec(), remove);
        }
        out.der = der;
        Ok(out)
    }

    fn time_ok(&self, now: i64) -> bool {
        now >= self.this_update && self.next_update.is_none_or(|n| now <= n)
    }
}

/// OpenSSL's `check_revocation` with `CRL_CHECK_ALL`: every certificate of the chain,
/// the self-signed root too (OpenSSL 3.0 wants a CRL from the root for the root itself;
/// later versions skip it).
pub(crate) fn check_revocation(
    chain: &[&Cert<'_>],
    crls: &[Crl],
    now: i64,
    algs: &[&dyn SignatureVerificationAlgorithm],
    verdict: &mut Verdict,
) {
    for depth in 0..chain.len() {
        check_cert(chain, depth, crls, now, algs, verdict);
    }
}

/// `check_cert` for the certificate at `depth`.
fn check_cert(
    chain: &[&Cert<'_>],
    depth: usize,
    crls: &[Crl],
    now: i64,
    algs: &[&dyn SignatureVerificationAlgorithm],
    verdict: &mut Verdict,
) {
    let cert = chain[depth];
    let mut reasons = 0u16;
    // Each pass must find a CRL that adds reasons; bounded by the number of CRLs.
    for _ in 0..=crls.len() {
        if reasons == ALL_REASONS {
            return;
        }
        let last = reasons;
        let Some(found) = best_crl(chain, depth, crls, reasons, now) else {
            verdict.fail(VerifyCode::UnableToGetCrl);
            return;
        };
        reasons = found.reasons;
        check_crl(chain, depth, &found, now, algs, verdict);
        cert_crl(cert, found.crl, verdict);
        if last == reasons {
            verdict.fail(VerifyCode::UnableToGetCrl);
            return;
        }
    }
}

struct Found<'c, 'a, 'b> {
    crl: &'c Crl,
    issuer: Option<&'b Cert<'a>>,
    score: u32,
    reasons: u16,
}

/// `get_crl_sk` over the CRLs named after the certificate's issuer: the best score
/// wins, a newer `thisUpdate` breaks ties. Any CRL with a score is used.
fn best_crl<'c, 'a, 'b>(
    chain: &[&'b Cert<'a>],
    depth: usize,
    crls: &'c [Crl],
    reasons: u16,
    now: i64,
) -> Option<Found<'c, 'a, 'b>> {
    let mut best: Option<Found<'c, 'a, 'b>> = None;
    for crl in crls {
        let Some((score, issuer, new_reasons)) = crl_score(chain, depth, crl, reasons, now) else {
            continue;
        };
        if let Some(b) = &best {
            if score < b.score || (score == b.score && crl.this_update <= b.crl.this_update) {
                continue;
            }
        }
        best = Some(Found {
            crl,
            issuer,
            score,
            reasons: new_reasons,
        });
    }
    best
}

/// `get_crl_score`: `None` when the CRL cannot apply to the certificate.
fn crl_score<'a, 'b>(
    chain: &[&'b Cert<'a>],
    depth: usize,
    crl: &Crl,
    reasons: u16,
    now: i64,
) -> Option<(u32, Option<&'b Cert<'a>>, u16)> {
    let cert = chain[depth];
    let idp = crl.idp.as_ref();
    if crl.delta || idp.is_some_and(|i| i.indirect || i.reasons.is_some()) {
        return None;
    }
    if cert.issuer != crl.issuer {
        return None;
    }
    let mut score = SCORE_ISSUER_NAME;
    if !crl.critical {
        score |= SCORE_NOCRITICAL;
    }
    if crl.time_ok(now) {
        score |= SCORE_TIME;
    }
    // crl_akid_check: the certificate's issuer on the path, else one further up.
    let mut index = if depth + 1 < chain.len() {
        depth + 1
    } else {
        depth
    };
    let mut issuer = None;
    if crl_issuer_matches(chain[index], crl) {
        score |= SCORE_AKID | SCORE_ISSUER_CERT;
        issuer = Some(chain[index]);
    } else {
        index += 1;
        while index < chain.len() {
            if crl_issuer_matches(chain[index], crl) {
                score |= SCORE_AKID | SCORE_SAME_PATH;
                issuer = Some(chain[index]);
                break;
            }
            index += 1;
        }
    }
    if score & SCORE_AKID == 0 {
        return None;
    }
    let mut new_reasons = reasons;
    if let Some(crl_reasons) = crldp_scope(cert, crl) {
        if crl_reasons & !reasons == 0 {
            return None;
        }
        new_reasons |= crl_reasons;
        score |= SCORE_SCOPE;
    }
    Some((score, issuer, new_reasons))
}

/// The CRL's issuer name and authority key identifier fit `candidate`.
fn crl_issuer_matches(candidate: &Cert<'_>, crl: &Crl) -> bool {
    if candidate.subject != crl.issuer {
        return false;
    }
    if let (Some(id), Some(skid)) = (&crl.akid_key_id, candidate.skid) {
        if id.as_slice() != skid {
            return false;
        }
    }
    if let Some(serial) = &crl.akid_serial {
        if serial.as_slice() != candidate.serial {
            return false;
        }
    }
    if let Some(name) = &crl.akid_issuer {
        if *name != candidate.issuer {
            return false;
        }
    }
    true
}

/// `crl_crldp_check`: the reasons the CRL covers for this certificate, `None` when
/// it is out of scope.
fn crldp_scope(cert: &Cert<'_>, crl: &Crl) -> Option<u16> {
    let idp = crl.idp.as_ref();
    if let Some(idp) = idp {
        if idp.only_attr || (cert.ca && idp.only_user) || (!cert.ca && idp.only_ca) {
            return None;
        }
    }
    let mut reasons = idp.and_then(|i| i.reasons).unwrap_or(ALL_REASONS);
    let idp_dp = idp.and_then(|i| i.distribution_point.as_ref());
    for dp in &cert.crl_dps {
        // A distribution point naming a CRL issuer needs that issuer to be the CRL's.
        let issuer_ok = match &dp.crl_issuer {
            None => true,
            Some(names) => names.iter().any(|n| match n {
                GeneralName::DirectoryName(name) => canonical_name(name) == crl.issuer,
                _ => false,
            }),
        };
        if !issuer_ok {
            continue;
        }
        let dp_name = dp.distribution_point.as_ref().map(DpName::of);
        let names_ok = match (idp_dp, &dp_name) {
            (None, _) | (_, None) => true,
            (Some(a), Some(b)) => a.matches(b),
        };
        if names_ok {
            reasons &= dp
                .reasons
                .as_ref()
                .map_or(ALL_REASONS, |r| r.flags & ALL_REASONS);
            return Some(reasons);
        }
    }
    idp_dp.is_none().then_some(reasons)
}

/// `check_crl`: the chosen CRL's issuer may sign CRLs, it covers the certificate, it
/// is current, and its signature verifies.
fn check_crl(
    chain: &[&Cert<'_>],
    depth: usize,
    found: &Found<'_, '_, '_>,
    now: i64,
    algs: &[&dyn SignatureVerificationAlgorithm],
    verdict: &mut Verdict,
) {
    let issuer = match found.issuer {
        Some(issuer) => issuer,
        None if depth + 1 < chain.len() => chain[depth + 1],
        None => chain[depth],
    };
    let crl = found.crl;
    if issuer.ku_rejects(ku::CRL_SIGN) {
        verdict.fail(VerifyCode::KeyUsageNoCrlSign);
    }
    if found.score & SCORE_SCOPE == 0 {
        verdict.fail(VerifyCode::DifferentCrlScope);
    }
    if found.score & SCORE_TIME == 0 {
        if now < crl.this_update {
            verdict.fail(VerifyCode::CrlNotYetValid);
        }
        if crl.next_update.is_some_and(|n| now > n) {
            verdict.fail(VerifyCode::CrlHasExpired);
        }
    }
    let signed = Signed::parse(&crl.der);
    if !signed.is_some_and(|s| signed_by(issuer, s.tbs, s.signature_alg, s.signature, algs)) {
        verdict.fail(VerifyCode::CrlSignatureFailure);
    }
}

/// `cert_crl`: a critical extension we cannot read voids the CRL; a listed serial
/// (not removeFromCRL) is revoked.
fn cert_crl(cert: &Cert<'_>, crl: &Crl, verdict: &mut Verdict) {
    if crl.critical {
        verdict.fail(VerifyCode::UnhandledCriticalCrlExtension);
    }
    if let Some(remove) = crl.revoked.get(cert.serial) {
        if !remove {
            verdict.fail(VerifyCode::CertRevoked);
        }
    }
}
