//! [`SecureContextOptions`]: Node's `createSecureContext` details (and the server-only
//! options that shape a context), in Node's names, snake_case.

use crate::protocol::ProtocolOptions;
use crate::ContextError;

/// The options of `tls.createSecureContext(details)`.
///
/// Byte inputs are what Node takes as a string or a Buffer; call a method several times
/// where Node takes an array. Nothing is checked until
/// [`create_secure_context`](crate::create_secure_context), which reports the first bad
/// option by its Node name.
#[derive(Clone, Debug, Default)]
pub struct SecureContextOptions {
    pub(crate) keys: Vec<WithPassphrase>,
    pub(crate) certs: Vec<Vec<u8>>,
    pub(crate) ca: Option<Vec<Vec<u8>>>,
    pub(crate) pfx: Vec<WithPassphrase>,
    pub(crate) crl: Vec<Vec<u8>>,
    pub(crate) passphrase: Option<String>,
    pub(crate) protocol: ProtocolOptions,
    pub(crate) honor_cipher_order: Option<bool>,
    pub(crate) session_timeout: Option<u64>,
    pub(crate) ticket_keys: Option<Vec<u8>>,
    pub(crate) session_id_context: Option<String>,
}

/// A `key` or `pfx` entry with, optionally, its own passphrase (Node's
/// `{pem, passphrase}` / `{buf, passphrase}` object forms).
#[derive(Clone, Debug)]
pub(crate) struct WithPassphrase {
    pub(crate) data: Vec<u8>,
    pub(crate) passphrase: Option<String>,
}

impl SecureContextOptions {
    /// No options: Node's defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// `key`: a PEM private key (PKCS#1, PKCS#8, SEC1; encrypted ones need
    /// `passphrase`); repeat for several keys (Node's array form).
    pub fn key(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.keys.push(WithPassphrase {
            data: pem.into(),
            passphrase: None,
        });
        self
    }

    /// `key: [{pem, passphrase}]`: a PEM private key with its own passphrase.
    pub fn key_with_passphrase(
        mut self,
        pem: impl Into<Vec<u8>>,
        passphrase: impl Into<String>,
    ) -> Self {
        self.keys.push(WithPassphrase {
            data: pem.into(),
            passphrase: Some(passphrase.into()),
        });
        self
    }

    /// `cert`: a PEM certificate, or a chain (leaf first); repeat for several. Keys and
    /// certificates are paired by public key, whatever their order.
    pub fn cert(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.certs.push(pem.into());
        self
    }

    /// `ca`: PEM certificates to trust (one text may hold several); repeat for more.
    /// Given at all, it replaces the default Mozilla roots, as in Node.
    pub fn ca(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.ca.get_or_insert_with(Vec::new).push(pem.into());
        self
    }

    /// `pfx`: a DER PKCS#12 file (key, certificate, CA certificates); repeat for several.
    /// Its CA certificates complete the chain and are trusted too, as in Node.
    pub fn pfx(mut self, der: impl Into<Vec<u8>>) -> Self {
        self.pfx.push(WithPassphrase {
            data: der.into(),
            passphrase: None,
        });
        self
    }

    /// `pfx: [{buf, passphrase}]`: a PKCS#12 file with its own passphrase.
    pub fn pfx_with_passphrase(
        mut self,
        der: impl Into<Vec<u8>>,
        passphrase: impl Into<String>,
    ) -> Self {
        self.pfx.push(WithPassphrase {
            data: der.into(),
            passphrase: Some(passphrase.into()),
        });
        self
    }

    /// `passphrase`: for encrypted keys and `pfx` entries without their own.
    pub fn passphrase(mut self, passphrase: impl Into<String>) -> Self {
        self.passphrase = Some(passphrase.into());
        self
    }

    /// `crl`: certificate revocation lists, PEM (`X509 CRL`, several per text) or DER;
    /// repeat for more. As in Node (OpenSSL's `CRL_CHECK | CRL_CHECK_ALL`), once any
    /// CRL is given every certificate of a peer's chain below the trusted root needs a
    /// CRL from its issuer (`UNABLE_TO_GET_CRL` otherwise).
    pub fn crl(mut self, crl: impl Into<Vec<u8>>) -> Self {
        self.crl.push(crl.into());
        self
    }

    /// `ciphers`: an OpenSSL cipher-list string (Node's split: `TLS_*` names choose the
    /// TLS 1.3 suites, the rest the TLS 1.2 list). Default: Node's `DEFAULT_CIPHERS`,
    /// which enables all nine suites rustls (ring) offers.
    pub fn ciphers(mut self, list: impl Into<String>) -> Self {
        self.protocol.ciphers = Some(list.into());
        self
    }

    /// `honorCipherOrder`: the server picks by its own `ciphers` order.
    pub fn honor_cipher_order(mut self, yes: bool) -> Self {
        self.honor_cipher_order = Some(yes);
        self
    }

    /// `ecdhCurve`: `auto` (default: X25519, P-256, P-384) or a colon list of
    /// `X25519`, `prime256v1`/`P-256`, `secp384r1`/`P-384`.
    pub fn ecdh_curve(mut self, curves: impl Into<String>) -> Self {
        self.protocol.ecdh_curve = Some(curves.into());
        self
    }

    /// `dhparam`: accepted when it is a valid `DH PARAMETERS` PEM of 1024 bits or more,
    /// and unused: rustls has no DHE cipher suites.
    pub fn dhparam(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.protocol.dhparam = Some(pem.into());
        self
    }

    /// `minVersion`: `TLSv1.2` (default) or `TLSv1.3`; `TLSv1`/`TLSv1.1` are accepted
    /// and raised to TLS 1.2, the lowest rustls speaks.
    pub fn min_version(mut self, version: impl Into<String>) -> Self {
        self.protocol.min_version = Some(version.into());
        self
    }

    /// `maxVersion`: `TLSv1.3` (default) or `TLSv1.2`.
    pub fn max_version(mut self, version: impl Into<String>) -> Self {
        self.protocol.max_version = Some(version.into());
        self
    }

    /// `secureProtocol`: an OpenSSL method name: `TLS_method`/`SSLv23_method` (any
    /// version), `TLSv1_2_method`, `TLSv1_3_method`, or their `_client_`/`_server_`
    /// forms. SSLv2/3 and TLS 1.0/1.1 methods are errors naming the protocol.
    pub fn secure_protocol(mut self, method: impl Into<String>) -> Self {
        self.protocol.secure_protocol = Some(method.into());
        self
    }

    /// `secureOptions`: OpenSSL `SSL_OP_*` bits. Honoured: `SSL_OP_NO_TLSv1_2`,
    /// `SSL_OP_NO_TLSv1_3` (and the lower `NO_*` bits), `SSL_OP_CIPHER_SERVER_PREFERENCE`,
    /// `SSL_OP_NO_TICKET`.
    /// Other bits have no rustls counterpart and no effect.
    pub fn secure_options(mut self, bits: u64) -> Self {
        self.protocol.secure_options = bits;
        self
    }

    /// `sessionTimeout`: seconds a server's tickets stay valid (default 300, as in Node).
    pub fn session_timeout(mut self, seconds: u64) -> Self {
        self.session_timeout = Some(seconds);
        self
    }

    /// `ticketKeys`: 48 bytes (16-byte name, 16-byte HMAC key, 16-byte AES key) that
    /// servers sharing them use to accept each other's tickets.
    pub fn ticket_keys(mut self, keys: impl Into<Vec<u8>>) -> Self {
        self.ticket_keys = Some(keys.into());
        self
    }

    /// `sessionIdContext`: at most 32 bytes; tickets only resume between contexts with
    /// the same one (and the same `ticketKeys`), as in OpenSSL.
    pub fn session_id_context(mut self, context: impl Into<String>) -> Self {
        self.session_id_context = Some(context.into());
        self
    }

    /// Adds `other`'s options to these, whichever were given first: its `key`, `cert`,
    /// `ca`, `pfx` and `crl` entries follow these ones, its `secureOptions` bits are
    /// added, and each other option it sets replaces this one's.
    pub fn merge(mut self, other: SecureContextOptions) -> Self {
        self.keys.extend(other.keys);
        self.certs.extend(other.certs);
        if let Some(ca) = other.ca {
            self.ca.get_or_insert_with(Vec::new).extend(ca);
        }
        self.pfx.extend(other.pfx);
        self.crl.extend(other.crl);
        let (mine, theirs) = (&mut self.protocol, other.protocol);
        mine.secure_options |= theirs.secure_options;
        replace(&mut mine.min_version, theirs.min_version);
        replace(&mut mine.max_version, theirs.max_version);
        replace(&mut mine.secure_protocol, theirs.secure_protocol);
        replace(&mut mine.ciphers, theirs.ciphers);
        replace(&mut mine.ecdh_curve, theirs.ecdh_curve);
        replace(&mut mine.dhparam, theirs.dhparam);
        replace(&mut self.passphrase, other.passphrase);
        replace(&mut self.honor_cipher_order, other.honor_cipher_order);
        replace(&mut self.session_timeout, other.session_timeout);
        replace(&mut self.ticket_keys, other.ticket_keys);
        replace(&mut self.session_id_context, other.session_id_context);
        self
    }

    /// The Node names of the options given, in Node's order of the docs (for an
    /// error that must name them, such as options given beside a `secureContext`).
    pub fn given(&self) -> Vec<&'static str> {
        let p = &self.protocol;
        [
            ("pfx", !self.pfx.is_empty()),
            ("key", !self.keys.is_empty()),
            ("passphrase", self.passphrase.is_some()),
            ("cert", !self.certs.is_empty()),
            ("ca", self.ca.is_some()),
            ("crl", !self.crl.is_empty()),
            ("ciphers", p.ciphers.is_some()),
            ("honorCipherOrder", self.honor_cipher_order.is_some()),
            ("ecdhCurve", p.ecdh_curve.is_some()),
            ("dhparam", p.dhparam.is_some()),
            ("minVersion", p.min_version.is_some()),
            ("maxVersion", p.max_version.is_some()),
            ("secureProtocol", p.secure_protocol.is_some()),
            ("secureOptions", p.secure_options != 0),
            ("sessionTimeout", self.session_timeout.is_some()),
            ("ticketKeys", self.ticket_keys.is_some()),
            ("sessionIdContext", self.session_id_context.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, set)| set.then_some(name))
        .collect()
    }

    /// Checks the server-only options that are plain values.
    pub(crate) fn check_server_values(&self) -> Result<(), ContextError> {
        if let Some(keys) = &self.ticket_keys {
            if keys.len() != 48 {
                return Err(ContextError::new(
                    "ticketKeys",
                    format!("must be exactly 48 bytes (got {})", keys.len()),
                ));
            }
        }
        if let Some(ctx) = &self.session_id_context {
            if ctx.len() > 32 {
                return Err(ContextError::new(
                    "sessionIdContext",
                    format!("must be at most 32 bytes (got {})", ctx.len()),
                ));
            }
        }
        if let Some(secs) = self.session_timeout {
            if secs > u64::from(u32::MAX) {
                return Err(ContextError::new(
                    "sessionTimeout",
                    format!("{secs} seconds is out of range (at most {})", u32::MAX),
                ));
            }
        }
        Ok(())
    }
}

/// `slot = value` when `value` is given.
fn replace<T>(slot: &mut Option<T>, value: Option<T>) {
    if value.is_some() {
        *slot = value;
    }
}
