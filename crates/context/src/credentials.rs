//! `key`, `cert`, `ca` (and `passphrase`): our own certificates and keys, paired by
//! public key, plus the trusted CA list.

use crate::cert::{first_element, next_tlv, Aux, CertView};
use crate::keys::KeyError;
use crate::pem;
use crate::{ContextError, SecureContextOptions};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::CertifiedKey;
use rustls::SignatureScheme;
use std::sync::Arc;

/// Our certificate chains with their keys, in the order the keys were given (`key`
/// entries, then `pfx` entries).
#[derive(Debug)]
pub(crate) struct Credentials {
    pub(crate) keys: Vec<Arc<CertifiedKey>>,
    /// The CA certificates found in `pfx` files: Node trusts them too.
    pub(crate) pfx_ca: Vec<CertificateDer<'static>>,
}

impl Credentials {
    /// Pairs every `key` with the `cert` chain whose leaf holds its public key.
    pub(crate) fn load(
        options: &SecureContextOptions,
        ca: &[CertificateDer<'static>],
    ) -> Result<Self, ContextError> {
        let mut chains = Vec::new();
        for text in &options.certs {
            let chain = certificates(text, "cert")?;
            if chain.is_empty() {
                return Err(ContextError::new("cert", "no PEM certificate found"));
            }
            chains.push(chain);
        }
        let mut keys = Vec::new();
        for input in &options.keys {
            let passphrase = input
                .passphrase
                .as_deref()
                .or(options.passphrase.as_deref());
            let der = private_key(&input.data, passphrase)?;
            let signing_key = signing_key(&der, "key")?;
            let public = signing_key.public_key().ok_or_else(|| {
                ContextError::new("key", "cannot derive the public key of this private key")
            })?;
            if chains.is_empty() {
                continue;
            }
            let Some(chain) = chains.iter().find(|chain| {
                CertView::parse(chain[0].as_ref()).is_some_and(|v| v.spki == public.as_ref())
            }) else {
                return Err(ContextError::new(
                    "key",
                    "key values mismatch: no `cert` holds this key's public key",
                )
                .with_code("ERR_OSSL_X509_KEY_VALUES_MISMATCH"));
            };
            let chain = complete_chain(chain.clone(), ca);
            keys.push(Arc::new(CertifiedKey::new(chain, signing_key)));
        }
        let mut pfx_ca = Vec::new();
        for input in &options.pfx {
            let passphrase = input
                .passphrase
                .as_deref()
                .or(options.passphrase.as_deref())
                .unwrap_or_default();
            let contents = crate::pfx::parse_pfx(&input.data, passphrase)
                .map_err(|e| ContextError::with_source("pfx", e.to_string(), e))?;
            let signing_key = signing_key(&contents.key, "pfx")?;
            let mut trusted = ca.to_vec();
            trusted.extend(contents.ca.iter().cloned());
            let chain = complete_chain(vec![contents.cert.clone()], &trusted);
            chains.push(vec![contents.cert]);
            keys.push(Arc::new(CertifiedKey::new(chain, signing_key)));
            pfx_ca.extend(contents.ca);
        }
        for chain in &chains {
            if let Some(bits) = CertView::parse(chain[0].as_ref()).and_then(|v| v.rsa_bits()) {
                if bits < 2048 {
                    return Err(ContextError::new(
                        "cert",
                        format!(
                            "RSA key of {bits} bits is too small: rustls (ring) needs 2048 bits or more"
                        ),
                    )
                    .with_code("ERR_SSL_EE_KEY_TOO_SMALL"));
                }
            }
            // OpenSSL's security level 1 refuses SHA-1 and MD5 signatures on the
            // certificates we would send (all but a self-signed one).
            let weak = chain.iter().any(|c| {
                crate::chain::x509::Cert::parse(c.as_ref(), None)
                    .is_some_and(|c| c.weak_digest && !c.self_signed)
            });
            if weak {
                return Err(ContextError::new(
                    "cert",
                    "ca md too weak: a certificate is signed with SHA-1 or MD5",
                )
                .with_code("ERR_SSL_CA_MD_TOO_WEAK"));
            }
        }
        Ok(Self { keys, pfx_ca })
    }

    /// The first credential whose key can sign with one of `schemes`.
    pub(crate) fn choose(&self, schemes: &[SignatureScheme]) -> Option<Arc<CertifiedKey>> {
        self.keys
            .iter()
            .find(|ck| ck.key.choose_scheme(schemes).is_some())
            .cloned()
    }
}

/// ring's signing key for `der`; ring refuses RSA keys under 2048 bits, which we say.
fn signing_key(
    der: &PrivateKeyDer<'_>,
    option: &'static str,
) -> Result<Arc<dyn rustls::sign::SigningKey>, ContextError> {
    rustls::crypto::ring::sign::any_supported_type(der).map_err(|e| match rsa_modulus_bits(der) {
        Some(bits) if bits < 2048 => ContextError::new(
            option,
            format!("RSA key of {bits} bits is too small: rustls (ring) needs 2048 bits or more"),
        )
        .with_code("ERR_SSL_EE_KEY_TOO_SMALL"),
        _ => ContextError::with_source(option, "unsupported private key type", e),
    })
}

/// Appends issuers from `ca` while the chain's top is not self-issued: Node (OpenSSL)
/// sends the chain it can build from the trusted certificates when `cert` is a leaf.
fn complete_chain(
    mut chain: Vec<CertificateDer<'static>>,
    ca: &[CertificateDer<'static>],
) -> Vec<CertificateDer<'static>> {
    while chain.len() < 10 {
        let Some(top) = chain.last().and_then(|c| CertView::parse(c.as_ref())) else {
            break;
        };
        if top.is_self_issued() {
            break;
        }
        let issuer = ca.iter().find(|c| {
            CertView::parse(c.as_ref()).is_some_and(|v| v.subject == top.issuer)
                && !chain.contains(c)
        });
        match issuer {
            Some(issuer) => chain.push(issuer.clone()),
            None => break,
        }
    }
    chain
}

/// Every certificate of a PEM text, in order.
pub(crate) fn certificates(
    text: &[u8],
    option: &'static str,
) -> Result<Vec<CertificateDer<'static>>, ContextError> {
    Ok(certificates_with_aux(text, option)?
        .into_iter()
        .map(|(cert, _)| cert)
        .collect())
}

/// Every certificate of a PEM text with its OpenSSL trust settings (those of a
/// `TRUSTED CERTIFICATE` block; none for the other labels).
fn certificates_with_aux(
    text: &[u8],
    option: &'static str,
) -> Result<Vec<(CertificateDer<'static>, Aux)>, ContextError> {
    let blocks = pem::parse(text).map_err(|e| ContextError::with_source(option, "bad PEM", e))?;
    blocks
        .iter()
        .filter(|b| pem::is_certificate_label(&b.label))
        .map(|b| {
            let der = first_element(&b.der)
                .filter(|der| CertView::parse(der).is_some_and(|v| v.is_well_formed()))
                .ok_or_else(|| ContextError::new(option, "PEM certificate is not valid X.509"))?;
            let aux = match b.label.as_str() {
                "TRUSTED CERTIFICATE" => Aux::parse(&b.der),
                _ => Aux::default(),
            };
            Ok((CertificateDer::from(der.to_vec()), aux))
        })
        .collect()
}

/// `ca`: every certificate of every text, with the trust settings of `TRUSTED
/// CERTIFICATE` blocks.
pub(crate) fn load_ca(
    texts: &[Vec<u8>],
) -> Result<Vec<(CertificateDer<'static>, Aux)>, ContextError> {
    let mut all = Vec::new();
    for text in texts {
        let certs = certificates_with_aux(text, "ca")?;
        if certs.is_empty() {
            return Err(ContextError::new("ca", "no PEM certificate found"));
        }
        all.extend(certs);
    }
    Ok(all)
}

/// `crl`: every CRL of every input, PEM (`X509 CRL` blocks) or DER.
pub(crate) fn load_crls(inputs: &[Vec<u8>]) -> Result<Vec<crate::chain::crl::Crl>, ContextError> {
    let mut crls = Vec::new();
    for input in inputs {
        let ders: Vec<Vec<u8>> = if input.first() == Some(&0x30) {
            vec![input.clone()]
        } else {
            let blocks =
                pem::parse(input).map_err(|e| ContextError::with_source("crl", "bad PEM", e))?;
            blocks
                .into_iter()
                .filter(|b| b.label == "X509 CRL")
                .map(|b| b.der)
                .collect()
        };
        if ders.is_empty() {
            return Err(ContextError::new("crl", "no X509 CRL found (PEM or DER)"));
        }
        for der in ders {
            let crl = crate::chain::crl::Crl::parse(der).map_err(|e| {
                ContextError::new(
                    "crl",
                    format!("not a valid certificate revocation list: {e}"),
                )
            })?;
            crls.push(crl);
        }
    }
    Ok(crls)
}

/// The private key of a PEM text, decrypted with `passphrase` when it is encrypted.
fn private_key(
    text: &[u8],
    passphrase: Option<&str>,
) -> Result<PrivateKeyDer<'static>, ContextError> {
    crate::keys::parse_private_key_pem(text, passphrase.map(str::as_bytes)).map_err(|e| {
        let code = match e {
            // Node (OpenSSL 3) says "bad decrypt" for a missing passphrase too.
            KeyError::BadDecrypt | KeyError::NeedPassphrase => "ERR_OSSL_BAD_DECRYPT",
            _ => "ERR_OSSL_UNSUPPORTED",
        };
        ContextError::with_source("key", e.to_string(), e).with_code(code)
    })
}

/// The modulus size of an RSA private key, to explain why ring refused it.
fn rsa_modulus_bits(key: &PrivateKeyDer<'_>) -> Option<usize> {
    let pkcs1 = match key {
        PrivateKeyDer::Pkcs1(k) => k.secret_pkcs1_der(),
        PrivateKeyDer::Pkcs8(k) => {
            // PrivateKeyInfo ::= SEQUENCE { version, algorithm, privateKey OCTET STRING }
            let (info, _) = next_tlv(k.secret_pkcs8_der())?;
            let (_version, rest) = next_tlv(info.contents)?;
            let (_alg, rest) = next_tlv(rest)?;
            let (octets, _) = next_tlv(rest)?;
            octets.contents
        }
        _ => return None,
    };
    // RSAPrivateKey ::= SEQUENCE { version, modulus INTEGER, ... }
    let (seq, _) = next_tlv(pkcs1)?;
    let (_version, rest) = next_tlv(seq.contents)?;
    let (modulus, _) = next_tlv(rest)?;
    let digits = modulus.contents;
    let leading = digits.iter().take_while(|b| **b == 0).count();
    let significant = &digits[leading..];
    let top = *significant.first()?;
    Some((significant.len() - 1) * 8 + (8 - top.leading_zeros() as usize))
}
