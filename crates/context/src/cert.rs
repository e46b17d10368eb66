//! Just enough DER to read what trust decisions need from an X.509 certificate
//! (any version, v1 included): the signed bytes, names, key and validity.
//!
//! webpki refuses X.509 v1 certificates and CA certificates used as end entities; Node
//! (OpenSSL) accepts both, and the spec's own `openssl x509 -req -signkey` recipe makes
//! such certificates. This module is what lets us check them ourselves, safely.

use rustls::pki_types::SignatureVerificationAlgorithm;
use x509_parser::prelude::{FromDer as _, X509Certificate};

/// One DER element: its tag, its contents, and the whole encoding.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tlv<'a> {
    pub(crate) tag: u8,
    pub(crate) contents: &'a [u8],
    pub(crate) full: &'a [u8],
}

/// Splits the first DER element off `input`.
pub(crate) fn next_tlv(input: &[u8]) -> Option<(Tlv<'_>, &[u8])> {
    let tag = *input.first()?;
    let first_len = *input.get(1)?;
    let (len, header) = if first_len < 0x80 {
        (usize::from(first_len), 2)
    } else {
        let n = usize::from(first_len & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | usize::from(*input.get(2 + i)?);
        }
        (len, 2 + n)
    };
    let end = header.checked_add(len)?;
    if end > input.len() {
        return None;
    }
    Some((
        Tlv {
            tag,
            contents: &input[header..end],
            full: &input[..end],
        },
        &input[end..],
    ))
}

/// The first whole DER element of `input` (drops OpenSSL's trailing "trusted" data).
pub(crate) fn first_element(input: &[u8]) -> Option<&[u8]> {
    next_tlv(input).map(|(tlv, _)| tlv.full)
}

/// A signed DER object: a certificate or a CRL (both are `SEQUENCE { tbs,
/// signatureAlgorithm, signatureValue }`).
#[derive(Debug)]
pub(crate) struct Signed<'a> {
    pub(crate) tbs: &'a [u8],
    pub(crate) signature_alg: &'a [u8],
    pub(crate) signature: &'a [u8],
}

impl<'a> Signed<'a> {
    /// Splits a signed object; `None` when it has another shape.
    pub(crate) fn parse(der: &'a [u8]) -> Option<Self> {
        let (outer, _) = next_tlv(der)?;
        let (tbs, rest) = next_tlv(outer.contents)?;
        let (alg, rest) = next_tlv(rest)?;
        let (sig, _) = next_tlv(rest)?;
        (outer.tag == 0x30 && tbs.tag == 0x30 && alg.tag == 0x30 && sig.tag == 0x03).then_some(
            Self {
                tbs: tbs.full,
                signature_alg: alg.contents,
                signature: sig.contents.get(1..)?,
            },
        )
    }

    /// Whether `issuer`'s key made this signature, with an algorithm ring supports.
    pub(crate) fn is_signed_by(
        &self,
        issuer: &CertView<'_>,
        algs: &[&dyn SignatureVerificationAlgorithm],
    ) -> bool {
        algs.iter().any(|alg| {
            *alg.public_key_alg_id() == *issuer.spki_alg
                && *alg.signature_alg_id() == *self.signature_alg
                && alg
                    .verify_signature(issuer.spki_key, self.tbs, self.signature)
                    .is_ok()
        })
    }
}

/// The parts of a certificate used to check who signed it and what it vouches for.
#[derive(Debug)]
pub(crate) struct CertView<'a> {
    pub(crate) der: &'a [u8],
    /// The whole `tbsCertificate` element: what the issuer signed.
    pub(crate) tbs: &'a [u8],
    /// Contents of the outer `signatureAlgorithm` AlgorithmIdentifier.
    pub(crate) signature_alg: &'a [u8],
    /// Contents of the TBS's own `signature` AlgorithmIdentifier (must equal the outer).
    pub(crate) inner_signature_alg: &'a [u8],
    /// The signature bits.
    pub(crate) signature: &'a [u8],
    /// The serial number's INTEGER contents.
    pub(crate) serial: &'a [u8],
    /// The whole issuer Name element.
    pub(crate) issuer: &'a [u8],
    /// The whole subject Name element.
    pub(crate) subject: &'a [u8],
    /// The whole SubjectPublicKeyInfo element.
    pub(crate) spki: &'a [u8],
    /// Contents of the SPKI's AlgorithmIdentifier.
    pub(crate) spki_alg: &'a [u8],
    /// The public key bits of the SPKI.
    pub(crate) spki_key: &'a [u8],
}

impl<'a> CertView<'a> {
    /// Parses `der`; `None` when it is not a certificate.
    pub(crate) fn parse(der: &'a [u8]) -> Option<Self> {
        let (cert, rest) = next_tlv(der)?;
        if cert.tag != 0x30 || !rest.is_empty() {
            return None;
        }
        let (tbs, rest) = next_tlv(cert.contents)?;
        let (sig_alg, rest) = next_tlv(rest)?;
        let (sig, _) = next_tlv(rest)?;
        if tbs.tag != 0x30 || sig_alg.tag != 0x30 || sig.tag != 0x03 {
            return None;
        }
        let signature = sig.contents.get(1..)?;

        // tbsCertificate: [0] version OPTIONAL, serial, signature, issuer, validity, subject, spki
        let mut fields = tbs.contents;
        let (first, rest) = next_tlv(fields)?;
        fields = if first.tag == 0xa0 { rest } else { fields };
        let (serial, rest) = next_tlv(fields)?;
        let (inner_alg, rest) = next_tlv(rest)?;
        let (issuer, rest) = next_tlv(rest)?;
        let (_validity, rest) = next_tlv(rest)?;
        let (subject, rest) = next_tlv(rest)?;
        let (spki, _) = next_tlv(rest)?;
        let (spki_alg, rest) = next_tlv(spki.contents)?;
        let (spki_bits, _) = next_tlv(rest)?;

        Some(Self {
            der,
            tbs: tbs.full,
            signature_alg: sig_alg.contents,
            inner_signature_alg: inner_alg.contents,
            signature,
            serial: serial.contents,
            issuer: issuer.full,
            subject: subject.full,
            spki: spki.full,
            spki_alg: spki_alg.contents,
            spki_key: spki_bits.contents.get(1..)?,
        })
    }

    /// Subject and issuer are the same name (a self-issued certificate).
    pub(crate) fn is_self_issued(&self) -> bool {
        self.subject == self.issuer
    }

    /// Whether `issuer`'s key made this certificate's signature.
    pub(crate) fn is_signed_by(
        &self,
        issuer: &CertView<'_>,
        algs: &[&dyn SignatureVerificationAlgorithm],
    ) -> bool {
        Signed {
            tbs: self.tbs,
            signature_alg: self.signature_alg,
            signature: self.signature,
        }
        .is_signed_by(issuer, algs)
    }

    /// A full X.509 parse (x509-parser): `None` when the certificate is not well formed.
    /// The fields above only need a DER walk; this is for validity and key details.
    fn parsed(&self) -> Option<X509Certificate<'a>> {
        X509Certificate::from_der(self.der).ok().map(|(_, c)| c)
    }

    /// Whether x509-parser reads the whole certificate.
    pub(crate) fn is_well_formed(&self) -> bool {
        self.parsed().is_some()
    }

    /// The RSA modulus size, for keys rustls refuses.
    pub(crate) fn rsa_bits(&self) -> Option<usize> {
        match self.parsed()?.public_key().parsed() {
            Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => Some(rsa.key_size()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;

/// OpenSSL's auxiliary trust settings (`X509_CERT_AUX`), which follow the certificate
/// in a `TRUSTED CERTIFICATE` PEM block: purposes trusted and rejected, as OIDs (DER
/// contents).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Aux {
    pub(crate) trust: Vec<Vec<u8>>,
    pub(crate) reject: Vec<Vec<u8>>,
}

impl Aux {
    /// Reads the settings after the certificate element of `block`; none when absent
    /// or malformed (OpenSSL ignores what it cannot read there too).
    pub(crate) fn parse(block: &[u8]) -> Self {
        let Some((_, rest)) = next_tlv(block) else {
            return Self::default();
        };
        let Some((aux, _)) = next_tlv(rest).filter(|(t, _)| t.tag == 0x30) else {
            return Self::default();
        };
        let oids = |list: &[u8]| -> Vec<Vec<u8>> {
            let mut out = Vec::new();
            let mut rest = list;
            while let Some((oid, more)) = next_tlv(rest) {
                if oid.tag == 0x06 {
                    out.push(oid.contents.to_vec());
                }
                rest = more;
            }
            out
        };
        let mut settings = Self::default();
        let mut fields = aux.contents;
        while let Some((field, more)) = next_tlv(fields) {
            match field.tag {
                0x30 => settings.trust = oids(field.contents),
                0xa0 => settings.reject = oids(field.contents),
                _ => {}
            }
            fields = more;
        }
        settings
    }
}
