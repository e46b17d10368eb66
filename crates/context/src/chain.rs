//! One chain decision, OpenSSL 3.0's `X509_verify_cert` as Node runs it: purpose
//! `ssl_server` or `ssl_client`, trusted-first chain building, no partial chains,
//! `CRL_CHECK | CRL_CHECK_ALL` once a `crl` is given, and a verify callback that
//! accepts everything, so every check runs and the code Node reports is the last
//! error found (`SSL_get_verify_result`).
//!
//! The order of the checks is OpenSSL's `verify_chain`: build the chain (trust store
//! first, then what the peer sent), check extensions and purposes, key and digest
//! strength, revocation, then signatures and dates from the root down, then name
//! constraints. Each step is a port of the function of the same name in
//! `crypto/x509/x509_vfy.c` and `v3_purp.c`, on x509-parser's reading of each
//! certificate (v1, v2 and v3 alike) and ring's signature algorithms.

pub(crate) mod crl;
mod names;
pub(crate) mod x509;

use crate::cert::Aux;
use crate::{Purpose, VerifyCode};
use rustls::pki_types::{CertificateDer, SignatureVerificationAlgorithm};
use std::collections::HashMap;
use x509::{ku, likely_issued, ns, xku, AnchorDer, Cert};

/// The errors found so far; the last one is the verdict.
#[derive(Debug, Default)]
pub(crate) struct Verdict {
    error: Option<VerifyCode>,
}

impl Verdict {
    pub(crate) fn fail(&mut self, code: VerifyCode) {
        self.error = Some(code);
    }
}

/// The deepest chain OpenSSL builds (its default verify depth, 100, plus one).
const MAX_DEPTH: usize = 101;

/// What a context trusts: `ca` certificates (or the default roots) and CRLs.
#[derive(Debug)]
pub(crate) struct Store {
    /// Trusted certificates with their trust settings, in the order given.
    entries: Vec<(CertificateDer<'static>, Aux)>,
    /// The default roots, when no `ca` was given.
    anchors: &'static [AnchorDer],
    /// Canonical subject -> the `ca` entries of that name (the default roots have their
    /// own index, shared by every context).
    by_subject: HashMap<Vec<u8>, Vec<TrustedRef>>,
    crls: Vec<crl::Crl>,
    algs: &'static [&'static dyn SignatureVerificationAlgorithm],
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum TrustedRef {
    Entry(usize),
    Anchor(usize),
}

/// The default roots and their index by canonical subject.
type DefaultRoots = (Vec<AnchorDer>, HashMap<Vec<u8>, Vec<TrustedRef>>);

/// The default roots (webpki-roots) and their index by canonical subject, read once
/// for every context of the process.
fn default_anchors() -> &'static DefaultRoots {
    static ROOTS: std::sync::OnceLock<DefaultRoots> = std::sync::OnceLock::new();
    ROOTS.get_or_init(|| {
        let anchors: Vec<AnchorDer> = webpki_roots::TLS_SERVER_ROOTS
            .iter()
            .map(AnchorDer::new)
            .collect();
        let mut index: HashMap<Vec<u8>, Vec<TrustedRef>> = HashMap::new();
        for (i, anchor) in anchors.iter().enumerate() {
            index
                .entry(anchor.canonical_subject.clone())
                .or_default()
                .push(TrustedRef::Anchor(i));
        }
        (anchors, index)
    })
}

impl Store {
    pub(crate) fn new(
        entries: Vec<(CertificateDer<'static>, Aux)>,
        default_roots: bool,
        crls: Vec<crl::Crl>,
        algs: &'static [&'static dyn SignatureVerificationAlgorithm],
    ) -> Self {
        let anchors: &'static [AnchorDer] = if default_roots {
            &default_anchors().0
        } else {
            &[]
        };
        let mut by_subject: HashMap<Vec<u8>, Vec<TrustedRef>> = HashMap::new();
        for (i, (der, _)) in entries.iter().enumerate() {
            if let Some(cert) = Cert::parse(der.as_ref(), None) {
                by_subject
                    .entry(cert.subject)
                    .or_default()
                    .push(TrustedRef::Entry(i));
            }
        }
        Self {
            entries,
            anchors,
            by_subject,
            crls,
            algs,
        }
    }

    /// Judges `peer` (leaf first) at `now` (seconds since the epoch).
    pub(crate) fn verify(
        &self,
        peer: &[CertificateDer<'_>],
        now: i64,
        purpose: Purpose,
    ) -> Result<(), VerifyCode> {
        let Some(leaf) = peer.first() else {
            return Err(VerifyCode::UnableToGetIssuerCert);
        };
        let Some(leaf) = Cert::parse(leaf.as_ref(), None) else {
            return Err(VerifyCode::CertRejected);
        };
        let mut run = Run {
            store: self,
            now,
            purpose,
            peer: std::iter::once(leaf)
                .chain(
                    peer[1..]
                        .iter()
                        .filter_map(|c| Cert::parse(c.as_ref(), None)),
                )
                .collect(),
            trusted: Vec::new(),
            parsed: HashMap::new(),
            chain: vec![Ref::Peer(0)],
            num_untrusted: 1,
            verdict: Verdict::default(),
        };
        run.build_chain();
        let mut verdict = std::mem::take(&mut run.verdict);
        let chain: Vec<&Cert<'_>> = run.chain.iter().map(|r| run.cert(*r)).collect();
        check_extensions(&chain, run.num_untrusted, purpose, &mut verdict);
        check_auth_level(&chain, &mut verdict);
        if !self.crls.is_empty() {
            crl::check_revocation(&chain, &self.crls, now, self.algs, &mut verdict);
        }
        internal_verify(&chain, now, self.algs, &mut verdict);
        check_name_constraints(&chain, &mut verdict);
        if verdict.error.is_none() && chain.iter().any(|c| c.invalid) {
            verdict.fail(VerifyCode::Unspecified);
        }
        match verdict.error {
            Some(code) => Err(code),
            None => Ok(()),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ref {
    Peer(usize),
    Trusted(usize),
}

/// X509_TRUST_* results.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Trust {
    Trusted,
    Rejected,
    Untrusted,
}

/// One verification: the certificates read so far and the chain being built.
struct Run<'s, 'p> {
    store: &'s Store,
    now: i64,
    purpose: Purpose,
    peer: Vec<Cert<'p>>,
    trusted: Vec<Cert<'s>>,
    parsed: HashMap<TrustedRef, usize>,
    chain: Vec<Ref>,
    num_untrusted: usize,
    verdict: Verdict,
}

impl<'s: 'p, 'p> Run<'s, 'p> {
    fn cert(&self, r: Ref) -> &Cert<'p> {
        match r {
            Ref::Peer(i) => &self.peer[i],
            Ref::Trusted(i) => &self.trusted[i],
        }
    }

    fn time_ok(&self, cert: &Cert<'_>) -> bool {
        cert.not_before <= self.now && self.now <= cert.not_after
    }

    /// The trusted certificate `t`, read on first use.
    fn trusted_cert(&mut self, t: TrustedRef) -> Option<usize> {
        if let Some(&i) = self.parsed.get(&t) {
            return Some(i);
        }
        let cert = match t {
            TrustedRef::Entry(i) => {
                let (der, aux) = &self.store.entries[i];
                Cert::parse(der.as_ref(), Some(aux))?
            }
            TrustedRef::Anchor(i) => Cert::anchor(&self.store.anchors[i])?,
        };
        self.trusted.push(cert);
        let index = self.trusted.len() - 1;
        self.parsed.insert(t, index);
        Some(index)
    }

    /// `X509_STORE_CTX_get1_issuer`: among trusted certificates named as `subject`'s
    /// issuer, the first that issued it and is valid now, else the one that expires
    /// last.
    fn trusted_issuer(&mut self, subject: Ref) -> Option<usize> {
        let issuer_name = self.cert(subject).issuer.clone();
        // `ca` entries first, then the default roots (when no `ca` was given).
        let mut candidates = (self.store.by_subject.get(&issuer_name))
            .cloned()
            .unwrap_or_default();
        if !self.store.anchors.is_empty() {
            candidates.extend(default_anchors().1.get(&issuer_name).into_iter().flatten());
        }
        let mut best: Option<usize> = None;
        for t in candidates {
            let Some(i) = self.trusted_cert(t) else {
                continue;
            };
            let candidate = &self.trusted[i];
            if !likely_issued(candidate, self.cert(subject)) {
                continue;
            }
            if self.time_ok(candidate) {
                return Some(i);
            }
            if best.is_none_or(|b| candidate.not_after > self.trusted[b].not_after) {
                best = Some(i);
            }
        }
        best
    }

    /// `get0_best_issuer_sk` over the peer's certificates not yet used, without
    /// duplicates in the chain.
    fn untrusted_issuer(&self, left: &[usize], subject: Ref) -> Option<usize> {
        let x = self.cert(subject);
        let mut best: Option<usize> = None;
        for (pos, &i) in left.iter().enumerate() {
            let candidate = &self.peer[i];
            let in_chain = self.chain.iter().any(|r| self.cert(*r).same_as(candidate));
            if in_chain && !(x.self_issued && self.chain.len() == 1) {
                continue;
            }
            if !likely_issued(candidate, x) {
                continue;
            }
            if self.time_ok(candidate) {
                return Some(pos);
            }
            if best.is_none_or(|b| candidate.not_after > self.peer[left[b]].not_after) {
                best = Some(pos);
            }
        }
        best
    }

    /// `X509_check_trust(x, purpose's trust, flags)` for the SSL trust ids
    /// (`trust_1oidany`): trust settings decide when present (anyExtendedKeyUsage
    /// counts), else a self-signed certificate is trusted unless `no_ss_compat`.
    fn trust_of(&self, x: &Cert<'_>, no_ss_compat: bool) -> Trust {
        match x509::aux_trust(x, self.purpose) {
            Some(true) => Trust::Trusted,
            Some(false) => Trust::Rejected,
            None if !x.invalid && !no_ss_compat && x.self_signed => Trust::Trusted,
            None => Trust::Untrusted,
        }
    }

    /// `check_trust(ctx, start)`: a trusted certificate from `start` up decides.
    fn check_trust(&mut self, start: usize) -> Trust {
        for i in start..self.chain.len() {
            match self.trust_of(self.cert(self.chain[i]), false) {
                Trust::Trusted => return Trust::Trusted,
                Trust::Rejected => {
                    self.verdict.fail(VerifyCode::CertRejected);
                    return Trust::Untrusted;
                }
                Trust::Untrusted => {}
            }
        }
        Trust::Untrusted
    }

    /// `build_chain` with `X509_V_FLAG_TRUSTED_FIRST` (the default): an issuer is
    /// looked up in the trust store before the peer's certificates.
    fn build_chain(&mut self) {
        let mut left: Vec<usize> = (0..self.peer.len()).collect();
        let (mut do_untrusted, mut do_trusted) = (true, true);
        let mut trust = Trust::Untrusted;
        while do_untrusted || do_trusted {
            let num = self.chain.len();
            if do_trusted {
                let curr = self.chain[num - 1];
                let issuer = if num > MAX_DEPTH {
                    None
                } else {
                    self.trusted_issuer(curr)
                };
                if let Some(issuer) = issuer {
                    let mut self_signed = self.cert(curr).self_signed;
                    let mut ok = true;
                    let start;
                    if !self_signed {
                        self.chain.push(Ref::Trusted(issuer));
                        self_signed = self.trusted[issuer].self_signed;
                        start = num;
                    } else if !self.cert(curr).same_as(&self.trusted[issuer]) {
                        ok = false; // a self-signed mimic of a trusted certificate
                        start = num;
                    } else {
                        self.chain[num - 1] = Ref::Trusted(issuer);
                        self.num_untrusted = num - 1;
                        start = num - 1;
                    }
                    if ok {
                        do_untrusted = false;
                        trust = self.check_trust(start);
                        if trust != Trust::Untrusted {
                            break;
                        }
                        if !self_signed {
                            continue;
                        }
                    }
                }
                if !do_untrusted {
                    break;
                }
            }
            if do_untrusted {
                let curr = self.chain[self.chain.len() - 1];
                let found = if self.cert(curr).self_signed || self.chain.len() > MAX_DEPTH {
                    None
                } else {
                    self.untrusted_issuer(&left, curr)
                };
                match found {
                    None => {
                        do_untrusted = false;
                        do_trusted = true;
                    }
                    Some(pos) => {
                        let i = left.remove(pos);
                        self.chain.push(Ref::Peer(i));
                        self.num_untrusted += 1;
                    }
                }
            }
        }
        if trust == Trust::Trusted {
            return;
        }
        let num = self.chain.len();
        let top = self.cert(self.chain[num - 1]);
        let code = if num > MAX_DEPTH {
            VerifyCode::CertChainTooLong
        } else if top.self_signed {
            if num == 1 {
                VerifyCode::DepthZeroSelfSignedCert
            } else {
                VerifyCode::SelfSignedCertInChain
            }
        } else if self.num_untrusted < num {
            VerifyCode::UnableToGetIssuerCert
        } else {
            VerifyCode::UnableToGetIssuerCertLocally
        };
        self.verdict.fail(code);
    }
}

/// `check_extensions`: unhandled critical extensions, CA-ness of every issuer,
/// the purpose of each certificate, path length constraints.
fn check_extensions(
    chain: &[&Cert<'_>],
    num_untrusted: usize,
    purpose: Purpose,
    verdict: &mut Verdict,
) {
    let mut plen = 0u32;
    for (i, x) in chain.iter().enumerate() {
        if x.unhandled_critical {
            verdict.fail(VerifyCode::UnhandledCriticalExtension);
        }
        let must_be_ca = i > 0;
        if must_be_ca {
            let ret = x.check_ca();
            // X509_V_FLAG_X509_STRICT is implicit for intermediate CAs.
            if ret == 0 || (i + 1 < chain.len() && ret != 1) {
                verdict.fail(VerifyCode::InvalidCa);
            }
        }
        if !purpose_allowed(x, i, num_untrusted, purpose, must_be_ca) {
            verdict.fail(VerifyCode::InvalidPurpose);
        }
        if i > 1 && x.path_len.is_some_and(|max| plen > max) {
            verdict.fail(VerifyCode::PathLengthExceeded);
        }
        if i > 0 && !x.self_issued {
            plen += 1;
        }
    }
}

/// `check_purpose`: trust settings of a trusted certificate can override its EKU;
/// otherwise `X509_check_purpose` for `ssl_server` / `ssl_client`.
fn purpose_allowed(
    x: &Cert<'_>,
    depth: usize,
    num_untrusted: usize,
    purpose: Purpose,
    require_ca: bool,
) -> bool {
    if depth >= num_untrusted {
        if let Some(decided) = x509::aux_trust(x, purpose) {
            return decided;
        }
    }
    if x.invalid {
        // X509_check_purpose fails to cache the extensions: not an error unless strict.
        return true;
    }
    let ssl_ca = |x: &Cert<'_>| {
        let ret = x.check_ca();
        ret != 0 && (ret != 5 || x.ns_cert_type.is_some_and(|t| t & ns::SSL_CA != 0))
    };
    match purpose {
        Purpose::Server => {
            if x.xku_rejects(xku::SSL_SERVER | xku::SGC) {
                return false;
            }
            if require_ca {
                return ssl_ca(x);
            }
            !x.ns_rejects(ns::SSL_SERVER)
                && !x.ku_rejects(ku::DIGITAL_SIGNATURE | ku::KEY_ENCIPHERMENT | ku::KEY_AGREEMENT)
        }
        Purpose::Client => {
            if x.xku_rejects(xku::SSL_CLIENT) {
                return false;
            }
            if require_ca {
                return ssl_ca(x);
            }
            !x.ku_rejects(ku::DIGITAL_SIGNATURE | ku::KEY_AGREEMENT)
                && !x.ns_rejects(ns::SSL_CLIENT)
        }
    }
}

/// `check_auth_level` at security level 1 (Node's default): issuer keys of at least
/// 80 bits of strength, no SHA-1 or MD5 signatures below the top of the chain.
fn check_auth_level(chain: &[&Cert<'_>], verdict: &mut Verdict) {
    for (i, x) in chain.iter().enumerate() {
        if i > 0 && x.rsa_bits.is_some_and(|bits| bits < 1024) {
            verdict.fail(VerifyCode::CaKeyTooSmall);
        }
        if i + 1 < chain.len() && x.weak_digest {
            verdict.fail(VerifyCode::CaMdTooWeak);
        }
    }
}

/// `internal_verify`: from the top down, each certificate's signature by its issuer
/// (whose keyUsage, if any, must allow certificate signing) and its dates.
fn internal_verify(
    chain: &[&Cert<'_>],
    now: i64,
    algs: &[&dyn SignatureVerificationAlgorithm],
    verdict: &mut Verdict,
) {
    let mut n = chain.len() - 1;
    let mut xi = n;
    let mut xs = n;
    if !likely_issued(chain[n], chain[n]) {
        if n > 0 {
            n -= 1;
            xs = n;
        } else {
            verdict.fail(VerifyCode::UnableToVerifyLeafSignature);
        }
    }
    loop {
        let (subject, issuer) = (chain[xs], chain[xi]);
        if xs != xi {
            if issuer.ku_rejects(ku::KEY_CERT_SIGN) {
                verdict.fail(VerifyCode::KeyUsageNoCertSign);
            }
            // A SHA-1 or MD5 signature (ring has none) is already CA_MD_TOO_WEAK.
            if !subject.weak_digest && !signature_ok(subject, issuer, algs) {
                verdict.fail(VerifyCode::CertSignatureFailure);
            }
        }
        if now < subject.not_before {
            verdict.fail(VerifyCode::CertNotYetValid);
        } else if now > subject.not_after {
            verdict.fail(VerifyCode::CertHasExpired);
        }
        if n == 0 {
            break;
        }
        n -= 1;
        xi = xs;
        xs = n;
    }
}

/// `X509_verify(subject, issuer key)`: the two signature algorithm fields agree and
/// the issuer's key made the signature, with an algorithm ring has.
fn signature_ok(
    subject: &Cert<'_>,
    issuer: &Cert<'_>,
    algs: &[&dyn SignatureVerificationAlgorithm],
) -> bool {
    subject.signature_alg == subject.inner_signature_alg
        && x509::signed_by(
            issuer,
            subject.tbs,
            subject.signature_alg,
            subject.signature,
            algs,
        )
}

/// `check_name_constraints`: every certificate that is not self-issued (and the
/// leaf) against the constraints of every certificate above it.
fn check_name_constraints(chain: &[&Cert<'_>], verdict: &mut Verdict) {
    for i in (0..chain.len()).rev() {
        let x = chain[i];
        if i != 0 && x.self_issued {
            continue;
        }
        for j in (i + 1..chain.len()).rev() {
            if let Some(nc) = &chain[j].name_constraints {
                if let Err(code) = names::check(x, nc, i == 0) {
                    verdict.fail(code);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
