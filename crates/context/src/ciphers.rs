//! Node's `ciphers` option: OpenSSL cipher strings evaluated over the cipher
//! suites of rustls's *ring* provider.
//!
//! [`select`] takes the string that a Node program passes as the `ciphers`
//! option of `tls.createSecureContext()` (and of everything built on it), and
//! returns the rustls cipher suites it enables, in preference order. The model
//! is Node 20 on OpenSSL 3.0 with the default provider; the evaluation is a
//! port of OpenSSL's own `ssl_cipher_process_rulestr()` (`ssl/ssl_ciph.c`) and
//! is tested against `openssl ciphers`.
//!
//! # What is selected from
//!
//! rustls's *ring* provider implements nine suites
//! ([`rustls::crypto::ring::ALL_CIPHER_SUITES`]):
//!
//! | OpenSSL name | IANA name |
//! | --- | --- |
//! | `TLS_AES_256_GCM_SHA384` | `TLS_AES_256_GCM_SHA384` |
//! | `TLS_CHACHA20_POLY1305_SHA256` | `TLS_CHACHA20_POLY1305_SHA256` |
//! | `TLS_AES_128_GCM_SHA256` | `TLS_AES_128_GCM_SHA256` |
//! | `ECDHE-ECDSA-AES256-GCM-SHA384` | `TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384` |
//! | `ECDHE-RSA-AES256-GCM-SHA384` | `TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384` |
//! | `ECDHE-ECDSA-CHACHA20-POLY1305` | `TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256` |
//! | `ECDHE-RSA-CHACHA20-POLY1305` | `TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256` |
//! | `ECDHE-ECDSA-AES128-GCM-SHA256` | `TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256` |
//! | `ECDHE-RSA-AES128-GCM-SHA256` | `TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256` |
//!
//! The string is nevertheless evaluated over every suite that OpenSSL 3.0
//! offers (the 151 others are in a second table: the two TLS 1.3 CCM suites
//! and 149 TLS <= 1.2 suites such as `DHE-RSA-*`, static-RSA `AES128-SHA`,
//! CBC-mode `ECDHE-*-SHA*`, PSK, SRP, CAMELLIA, ARIA, CCM and NULL suites),
//! and only then restricted to the nine. Because every rule of the
//! grammar keeps the relative order of the suites it touches, the order of
//! the nine is exactly the one OpenSSL gives them; and the string fails or
//! succeeds exactly when OpenSSL's would: `DHE-RSA-AES128-GCM-SHA256` is a
//! valid list (it selects no rustls suite, so only TLS 1.3 remains), while
//! `RC4-SHA` is "no cipher match" (OpenSSL 3.0 does not offer RC4, 3DES or
//! DES suites in a default build, so like any unknown name they select
//! nothing).
//!
//! # Grammar (OpenSSL `ciphers(1)`, "CIPHER LIST FORMAT")
//!
//! * Elements are separated by `:`, `,`, `;` or spaces.
//! * An element is a cipher name (`ECDHE-RSA-AES128-GCM-SHA256`) or an alias
//!   (`HIGH`, `ECDHE`, `aRSA`, `AESGCM`, `TLSv1.2`, ...); several can be
//!   joined with `+` to take their intersection (`ECDHE+AESGCM`,
//!   `kECDHE+aRSA+AES256`). Names are case-sensitive; unknown names select
//!   nothing, and so does an intersection with an unknown part.
//! * No prefix adds the matching suites at the end of the list (those already
//!   in it keep their place); `-` removes them (a later element can add them
//!   back); `!` removes them for good; `+` moves those already in the list to
//!   its end.
//! * `@STRENGTH` sorts the list by strength bits, stably, strongest first;
//!   `@SECLEVEL=n` (n in 0..=5) sets the OpenSSL security level: it is
//!   returned in [`CipherSelection::security_level`], and levels 4 and 5
//!   remove the 128-bit suites (OpenSSL keeps them in the list, but never
//!   negotiates them). Any other `@` command is an error.
//! * `DEFAULT` at the very start of the list stands for OpenSSL's default
//!   list `ALL:!COMPLEMENTOFDEFAULT:!eNULL`; elsewhere it is an unknown name,
//!   as in OpenSSL. `SUITEB128`, `SUITEB128ONLY`, `SUITEB128C2` and
//!   `SUITEB192` at the start replace the whole list by the Suite B suites
//!   (the Suite B restrictions on curves and signature algorithms are not
//!   modelled here).
//! * A character that is neither a separator, a prefix nor part of a name
//!   (`A-Z a-z 0-9 - . =`), a dangling prefix or `+`, and a bad `@` command
//!   are syntax errors ([`CipherError::Syntax`], OpenSSL's "invalid
//!   command"), except inside an element that has already failed to match
//!   (OpenSSL skips the rest of such an element unread).
//!
//! # TLS 1.3: how Node splits the string
//!
//! OpenSSL sets TLS 1.2 (and older) suites with `SSL_CTX_set_cipher_list()`,
//! which ignores TLS 1.3 names, and TLS 1.3 suites with
//! `SSL_CTX_set_ciphersuites()`. Node 20 (`lib/internal/tls/secure-context.js`,
//! `processCiphers()`) splits the `ciphers` string on `:` only, sends the
//! elements that start with `TLS_` or `!TLS_` to `SSL_CTX_set_ciphersuites()`
//! and the others, joined with `:`, to `SSL_CTX_set_cipher_list()`. This
//! module does the same:
//!
//! * An empty string means [`DEFAULT_CIPHERS`] (Node: `ciphers ||
//!   getDefaultCiphers()`); a string with no element at all, like `":"`, is
//!   an error ([`CipherError::Empty`], Node's `ERR_INVALID_ARG_VALUE`).
//! * TLS 1.3 part: if it is empty, the three TLS 1.3 suites stay enabled in
//!   OpenSSL's default order (AES-256-GCM, CHACHA20-POLY1305, AES-128-GCM).
//!   Otherwise only the suites it names are enabled, in its order: each
//!   element is an exact, case-sensitive IANA name (OpenSSL trims spaces
//!   around it); `!TLS_...` and unknown names are ignored, and if no name is
//!   known the string is "no cipher match". As in OpenSSL, the IANA name of a
//!   TLS 1.2 suite is accepted there too (`TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`)
//!   and puts that suite in front of the TLS 1.2 list.
//! * TLS 1.2 part: evaluated with the grammar above. If it is not empty and
//!   the resulting list has no suite below TLS 1.3, the string is "no cipher
//!   match" (Node throws `ERR_SSL_NO_CIPHER_MATCH`). If it is empty (all
//!   elements start with `TLS_`), Node ignores OpenSSL's complaint and raises
//!   the minimum protocol to TLS 1.3: only TLS 1.3 suites are selected.
//!   A non-empty TLS 1.2 part that selects only suites rustls lacks is not an
//!   error: the TLS 1.3 suites remain.
//!
//! Finally, if none of the selected suites is one that rustls implements (for
//! example `TLS_AES_128_CCM_SHA256`, valid for Node), [`select`] returns
//! [`CipherError::NoSupportedCipher`]: Node would accept such a context, but
//! no handshake could succeed with it.

use std::fmt;

use rustls::{CipherSuite, SupportedCipherSuite};

mod openssl_only;
#[cfg(test)]
mod tests;

use openssl_only::OPENSSL_ONLY;

/// Node 20's default cipher list (`tls.DEFAULT_CIPHERS`, the
/// `--tls-cipher-list` default).
pub const DEFAULT_CIPHERS: &str = "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:\
TLS_AES_128_GCM_SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256:\
ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES256-GCM-SHA384:DHE-RSA-AES128-GCM-SHA256:\
ECDHE-RSA-AES128-SHA256:DHE-RSA-AES128-SHA256:ECDHE-RSA-AES256-SHA384:DHE-RSA-AES256-SHA384:\
ECDHE-RSA-AES256-SHA256:DHE-RSA-AES256-SHA256:HIGH:!aNULL:!eNULL:!EXPORT:!DES:!RC4:!MD5:!PSK:\
!SRP:!CAMELLIA";

/// OpenSSL's default TLS <= 1.2 rules (`OSSL_default_cipher_list()`).
const OPENSSL_DEFAULT_RULES: &str = "ALL:!COMPLEMENTOFDEFAULT:!eNULL";

/// OpenSSL's default TLS 1.3 suites (`OSSL_default_ciphersuites()`).
const OPENSSL_DEFAULT_TLS13: [u16; 3] = [0x1302, 0x1303, 0x1301];

// Algorithm bits, as in OpenSSL 3.0's `ssl/ssl_local.h`.

// Key exchange (`algorithm_mkey`).
const K_ANY: u32 = 0;
const K_RSA: u32 = 0x1;
const K_DHE: u32 = 0x2;
const K_ECDHE: u32 = 0x4;
const K_PSK: u32 = 0x8;
const K_GOST: u32 = 0x10;
const K_SRP: u32 = 0x20;
const K_RSAPSK: u32 = 0x40;
const K_ECDHEPSK: u32 = 0x80;
const K_DHEPSK: u32 = 0x100;
const K_GOST18: u32 = 0x200;
const K_PSK_ALL: u32 = K_PSK | K_RSAPSK | K_ECDHEPSK | K_DHEPSK;

// Authentication (`algorithm_auth`).
const A_ANY: u32 = 0;
const A_RSA: u32 = 0x1;
const A_DSS: u32 = 0x2;
const A_NULL: u32 = 0x4;
const A_ECDSA: u32 = 0x8;
const A_PSK: u32 = 0x10;
const A_GOST01: u32 = 0x20;
const A_SRP: u32 = 0x40;
const A_GOST12: u32 = 0x80;

// Encryption (`algorithm_enc`).
const E_DES: u32 = 0x1;
const E_3DES: u32 = 0x2;
const E_RC4: u32 = 0x4;
const E_RC2: u32 = 0x8;
const E_IDEA: u32 = 0x10;
const E_NULL: u32 = 0x20;
const E_AES128: u32 = 0x40;
const E_AES256: u32 = 0x80;
const E_CAMELLIA128: u32 = 0x100;
const E_CAMELLIA256: u32 = 0x200;
const E_GOST89CNT: u32 = 0x400;
const E_SEED: u32 = 0x800;
const E_AES128GCM: u32 = 0x1000;
const E_AES256GCM: u32 = 0x2000;
const E_AES128CCM: u32 = 0x4000;
const E_AES256CCM: u32 = 0x8000;
const E_AES128CCM8: u32 = 0x1_0000;
const E_AES256CCM8: u32 = 0x2_0000;
const E_GOST89CNT12: u32 = 0x4_0000;
const E_CHACHA20POLY1305: u32 = 0x8_0000;
const E_ARIA128GCM: u32 = 0x10_0000;
const E_ARIA256GCM: u32 = 0x20_0000;
const E_MAGMA: u32 = 0x40_0000;
const E_KUZNYECHIK: u32 = 0x80_0000;
const E_AESGCM: u32 = E_AES128GCM | E_AES256GCM;
const E_AESCCM: u32 = E_AES128CCM | E_AES256CCM | E_AES128CCM8 | E_AES256CCM8;
const E_AES: u32 = E_AES128 | E_AES256 | E_AESGCM | E_AESCCM;
const E_CAMELLIA: u32 = E_CAMELLIA128 | E_CAMELLIA256;
const E_ARIA: u32 = E_ARIA128GCM | E_ARIA256GCM;
const E_CBC: u32 =
    E_DES | E_3DES | E_RC2 | E_IDEA | E_AES128 | E_AES256 | E_CAMELLIA128 | E_CAMELLIA256 | E_SEED;

// MAC (`algorithm_mac`).
const M_MD5: u32 = 0x1;
const M_SHA1: u32 = 0x2;
const M_GOST94: u32 = 0x4;
const M_GOST89MAC: u32 = 0x8;
const M_SHA256: u32 = 0x10;
const M_SHA384: u32 = 0x20;
const M_AEAD: u32 = 0x40;
const M_GOST12_256: u32 = 0x80;
const M_GOST89MAC12: u32 = 0x100;
const M_GOST12_512: u32 = 0x200;
const M_MAGMAOMAC: u32 = 0x400;
const M_KUZNYECHIKOMAC: u32 = 0x800;

// Strength classes (`algo_strength`).
const STRONG_MASK: u32 = 0x1F;
const DEFAULT_MASK: u32 = 0x20;
const STRONG_NONE: u32 = 0x1;
const LOW: u32 = 0x2;
const MEDIUM: u32 = 0x4;
const HIGH: u32 = 0x8;
const FIPS: u32 = 0x10;
const NOT_DEFAULT: u32 = 0x20;

// Protocol versions (`min_tls`).
const SSL3: u16 = 0x0300;
const TLS1: u16 = 0x0301;
const TLS1_2: u16 = 0x0303;
const TLS1_3: u16 = 0x0304;

// What OpenSSL 3.0 with only the default provider cannot do
// (`ssl_load_ciphers()`): such aliases are unknown names, and such suites are
// not offered at all.
const DISABLED_MKEY: u32 = K_GOST | K_GOST18;
const DISABLED_AUTH: u32 = A_GOST01 | A_GOST12;
const DISABLED_ENC: u32 =
    E_DES | E_RC4 | E_RC2 | E_IDEA | E_SEED | E_GOST89CNT | E_GOST89CNT12 | E_MAGMA | E_KUZNYECHIK;
const DISABLED_MAC: u32 = M_GOST94
    | M_GOST89MAC
    | M_GOST12_256
    | M_GOST89MAC12
    | M_GOST12_512
    | M_MAGMAOMAC
    | M_KUZNYECHIKOMAC;

/// One cipher suite with its OpenSSL attributes (an OpenSSL `SSL_CIPHER`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Suite {
    /// OpenSSL name.
    name: &'static str,
    /// IANA (RFC) name.
    std_name: &'static str,
    /// IANA code point.
    id: u16,
    /// Key exchange bits (`K_*`).
    mkey: u32,
    /// Authentication bits (`A_*`).
    auth: u32,
    /// Encryption bits (`E_*`).
    enc: u32,
    /// MAC bits (`M_*`).
    mac: u32,
    /// Minimum protocol version (0 for signalling values).
    min_tls: u16,
    /// Strength class bits (`STRONG_NONE`, `LOW`, `MEDIUM`, `HIGH`, `FIPS`,
    /// `NOT_DEFAULT`).
    strength: u32,
    /// Strength bits (`@STRENGTH`, security levels).
    bits: u16,
}

/// Builds a [`Suite`] (keeps the tables one line per suite).
#[allow(clippy::too_many_arguments)]
const fn c(
    name: &'static str,
    std_name: &'static str,
    id: u16,
    mkey: u32,
    auth: u32,
    enc: u32,
    mac: u32,
    min_tls: u16,
    strength: u32,
    bits: u16,
) -> Suite {
    Suite {
        name,
        std_name,
        id,
        mkey,
        auth,
        enc,
        mac,
        min_tls,
        strength,
        bits,
    }
}

/// The nine suites of rustls's *ring* provider, with OpenSSL 3.0's
/// attributes for them. Columns: OpenSSL name, IANA name, code point, key
/// exchange, authentication, encryption, MAC, minimum protocol version,
/// strength class, strength bits.
#[rustfmt::skip]
static SUPPORTED: [Suite; 9] = [
    c("TLS_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256", 0x1301, K_ANY, A_ANY, E_AES128GCM, M_AEAD, TLS1_3, HIGH, 128),
    c("TLS_AES_256_GCM_SHA384", "TLS_AES_256_GCM_SHA384", 0x1302, K_ANY, A_ANY, E_AES256GCM, M_AEAD, TLS1_3, HIGH, 256),
    c("TLS_CHACHA20_POLY1305_SHA256", "TLS_CHACHA20_POLY1305_SHA256", 0x1303, K_ANY, A_ANY, E_CHACHA20POLY1305, M_AEAD, TLS1_3, HIGH, 256),
    c("ECDHE-ECDSA-AES128-GCM-SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 0xC02B, K_ECDHE, A_ECDSA, E_AES128GCM, M_AEAD, TLS1_2, HIGH | FIPS, 128),
    c("ECDHE-ECDSA-AES256-GCM-SHA384", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", 0xC02C, K_ECDHE, A_ECDSA, E_AES256GCM, M_AEAD, TLS1_2, HIGH | FIPS, 256),
    c("ECDHE-RSA-AES128-GCM-SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 0xC02F, K_ECDHE, A_RSA, E_AES128GCM, M_AEAD, TLS1_2, HIGH | FIPS, 128),
    c("ECDHE-RSA-AES256-GCM-SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", 0xC030, K_ECDHE, A_RSA, E_AES256GCM, M_AEAD, TLS1_2, HIGH | FIPS, 256),
    c("ECDHE-RSA-CHACHA20-POLY1305", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", 0xCCA8, K_ECDHE, A_RSA, E_CHACHA20POLY1305, M_AEAD, TLS1_2, HIGH, 256),
    c("ECDHE-ECDSA-CHACHA20-POLY1305", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", 0xCCA9, K_ECDHE, A_ECDSA, E_CHACHA20POLY1305, M_AEAD, TLS1_2, HIGH, 256),
];

/// Signalling values that `SSL_CTX_set_ciphersuites()` accepts by name (and
/// counts as TLS <= 1.2 entries of the list).
#[rustfmt::skip]
static SCSVS: [Suite; 2] = [
    c("TLS_EMPTY_RENEGOTIATION_INFO_SCSV", "TLS_EMPTY_RENEGOTIATION_INFO_SCSV", 0x00FF, 0, 0, 0, 0, 0, 0, 0),
    c("TLS_FALLBACK_SCSV", "TLS_FALLBACK_SCSV", 0x5600, 0, 0, 0, 0, 0, 0, 0),
];

/// IANA names of suites compiled into OpenSSL 3.0 whose algorithms the
/// default provider lacks: `SSL_CTX_set_ciphersuites()` knows the names, then
/// drops the suites.
static DISABLED_STD_NAMES: [&str; 7] = [
    "TLS_GOSTR341001_WITH_28147_CNT_IMIT",
    "TLS_GOSTR341001_WITH_NULL_GOSTR3411",
    "TLS_RSA_WITH_IDEA_CBC_SHA",
    "TLS_RSA_WITH_SEED_CBC_SHA",
    "TLS_DHE_DSS_WITH_SEED_CBC_SHA",
    "TLS_DHE_RSA_WITH_SEED_CBC_SHA",
    "TLS_DH_anon_WITH_SEED_CBC_SHA",
];

/// An OpenSSL cipher alias (`cipher_aliases[]` in `ssl/ssl_ciph.c`).
struct Alias {
    name: &'static str,
    mkey: u32,
    auth: u32,
    enc: u32,
    mac: u32,
    min_tls: u16,
    strength: u32,
}

/// Builds an [`Alias`].
const fn a(
    name: &'static str,
    mkey: u32,
    auth: u32,
    enc: u32,
    mac: u32,
    min_tls: u16,
    strength: u32,
) -> Alias {
    Alias {
        name,
        mkey,
        auth,
        enc,
        mac,
        min_tls,
        strength,
    }
}

/// OpenSSL 3.0's aliases, in its order. Those whose algorithms are all
/// unavailable (RC4, GOST, ...) are unknown names at run time, see
/// [`Alias::available`].
#[rustfmt::skip]
static ALIASES: &[Alias] = &[
    a("ALL", 0, 0, !E_NULL, 0, 0, 0),
    a("COMPLEMENTOFALL", 0, 0, E_NULL, 0, 0, 0),
    a("COMPLEMENTOFDEFAULT", 0, 0, 0, 0, 0, NOT_DEFAULT),
    // Key exchange.
    a("kRSA", K_RSA, 0, 0, 0, 0, 0),
    a("kEDH", K_DHE, 0, 0, 0, 0, 0),
    a("kDHE", K_DHE, 0, 0, 0, 0, 0),
    a("DH", K_DHE, 0, 0, 0, 0, 0),
    a("kEECDH", K_ECDHE, 0, 0, 0, 0, 0),
    a("kECDHE", K_ECDHE, 0, 0, 0, 0, 0),
    a("ECDH", K_ECDHE, 0, 0, 0, 0, 0),
    a("kPSK", K_PSK, 0, 0, 0, 0, 0),
    a("kRSAPSK", K_RSAPSK, 0, 0, 0, 0, 0),
    a("kECDHEPSK", K_ECDHEPSK, 0, 0, 0, 0, 0),
    a("kDHEPSK", K_DHEPSK, 0, 0, 0, 0, 0),
    a("kSRP", K_SRP, 0, 0, 0, 0, 0),
    a("kGOST", K_GOST, 0, 0, 0, 0, 0),
    a("kGOST18", K_GOST18, 0, 0, 0, 0, 0),
    // Authentication.
    a("aRSA", 0, A_RSA, 0, 0, 0, 0),
    a("aDSS", 0, A_DSS, 0, 0, 0, 0),
    a("DSS", 0, A_DSS, 0, 0, 0, 0),
    a("aNULL", 0, A_NULL, 0, 0, 0, 0),
    a("aECDSA", 0, A_ECDSA, 0, 0, 0, 0),
    a("ECDSA", 0, A_ECDSA, 0, 0, 0, 0),
    a("aPSK", 0, A_PSK, 0, 0, 0, 0),
    a("aGOST01", 0, A_GOST01, 0, 0, 0, 0),
    a("aGOST12", 0, A_GOST12, 0, 0, 0, 0),
    a("aGOST", 0, A_GOST01 | A_GOST12, 0, 0, 0, 0),
    a("aSRP", 0, A_SRP, 0, 0, 0, 0),
    // Key exchange and authentication.
    a("EDH", K_DHE, !A_NULL, 0, 0, 0, 0),
    a("DHE", K_DHE, !A_NULL, 0, 0, 0, 0),
    a("EECDH", K_ECDHE, !A_NULL, 0, 0, 0, 0),
    a("ECDHE", K_ECDHE, !A_NULL, 0, 0, 0, 0),
    a("NULL", 0, 0, E_NULL, 0, 0, 0),
    a("RSA", K_RSA, A_RSA, 0, 0, 0, 0),
    a("ADH", K_DHE, A_NULL, 0, 0, 0, 0),
    a("AECDH", K_ECDHE, A_NULL, 0, 0, 0, 0),
    a("PSK", K_PSK_ALL, 0, 0, 0, 0, 0),
    a("SRP", K_SRP, 0, 0, 0, 0, 0),
    // Encryption.
    a("3DES", 0, 0, E_3DES, 0, 0, 0),
    a("RC4", 0, 0, E_RC4, 0, 0, 0),
    a("RC2", 0, 0, E_RC2, 0, 0, 0),
    a("IDEA", 0, 0, E_IDEA, 0, 0, 0),
    a("SEED", 0, 0, E_SEED, 0, 0, 0),
    a("eNULL", 0, 0, E_NULL, 0, 0, 0),
    a("GOST89", 0, 0, E_GOST89CNT | E_GOST89CNT12 | E_MAGMA | E_KUZNYECHIK, 0, 0, 0),
    a("AES128", 0, 0, E_AES128 | E_AES128GCM | E_AES128CCM | E_AES128CCM8, 0, 0, 0),
    a("AES256", 0, 0, E_AES256 | E_AES256GCM | E_AES256CCM | E_AES256CCM8, 0, 0, 0),
    a("AES", 0, 0, E_AES, 0, 0, 0),
    a("AESGCM", 0, 0, E_AESGCM, 0, 0, 0),
    a("AESCCM", 0, 0, E_AESCCM, 0, 0, 0),
    a("AESCCM8", 0, 0, E_AES128CCM8 | E_AES256CCM8, 0, 0, 0),
    a("CAMELLIA128", 0, 0, E_CAMELLIA128, 0, 0, 0),
    a("CAMELLIA256", 0, 0, E_CAMELLIA256, 0, 0, 0),
    a("CAMELLIA", 0, 0, E_CAMELLIA, 0, 0, 0),
    a("CHACHA20", 0, 0, E_CHACHA20POLY1305, 0, 0, 0),
    a("GOST2012-GOST8912-GOST8912", 0, 0, E_GOST89CNT12, 0, 0, 0),
    a("ARIA", 0, 0, E_ARIA, 0, 0, 0),
    a("ARIAGCM", 0, 0, E_ARIA, 0, 0, 0),
    a("ARIA128", 0, 0, E_ARIA128GCM, 0, 0, 0),
    a("ARIA256", 0, 0, E_ARIA256GCM, 0, 0, 0),
    a("CBC", 0, 0, E_CBC, 0, 0, 0),
    // MAC.
    a("MD5", 0, 0, 0, M_MD5, 0, 0),
    a("SHA1", 0, 0, 0, M_SHA1, 0, 0),
    a("SHA", 0, 0, 0, M_SHA1, 0, 0),
    a("GOST94", 0, 0, 0, M_GOST94, 0, 0),
    a("GOST89MAC", 0, 0, 0, M_GOST89MAC | M_GOST89MAC12, 0, 0),
    a("SHA256", 0, 0, 0, M_SHA256, 0, 0),
    a("SHA384", 0, 0, 0, M_SHA384, 0, 0),
    a("GOST12", 0, 0, 0, M_GOST12_256, 0, 0),
    // Minimum protocol version (exact match).
    a("SSLv3", 0, 0, 0, 0, SSL3, 0),
    a("TLSv1", 0, 0, 0, 0, TLS1, 0),
    a("TLSv1.0", 0, 0, 0, 0, TLS1, 0),
    a("TLSv1.2", 0, 0, 0, 0, TLS1_2, 0),
    // Strength classes.
    a("LOW", 0, 0, 0, 0, 0, LOW),
    a("MEDIUM", 0, 0, 0, 0, 0, MEDIUM),
    a("HIGH", 0, 0, 0, 0, 0, HIGH),
    a("FIPS", 0, 0, !E_NULL, 0, 0, FIPS),
    // Old "EDH-" names of 3DES suites (which OpenSSL 3.0 does not offer).
    a("EDH-DSS-DES-CBC3-SHA", K_DHE, A_DSS, E_3DES, M_SHA1, 0, HIGH | FIPS),
    a("EDH-RSA-DES-CBC3-SHA", K_DHE, A_RSA, E_3DES, M_SHA1, 0, HIGH | FIPS),
];

impl Alias {
    /// Whether OpenSSL lists the alias (`ssl_cipher_collect_aliases()`):
    /// each algorithm field it constrains must keep an available bit.
    fn available(&self) -> bool {
        (self.mkey == 0 || self.mkey & !DISABLED_MKEY != 0)
            && (self.auth == 0 || self.auth & !DISABLED_AUTH != 0)
            && (self.enc == 0 || self.enc & !DISABLED_ENC != 0)
            && (self.mac == 0 || self.mac & !DISABLED_MAC != 0)
    }
}

/// The rustls suites, in preference order, that a cipher string enables.
///
/// TLS 1.3 suites come first, in OpenSSL's order, then TLS 1.2 suites in the
/// order of the evaluated list.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct CipherSelection {
    /// The enabled suites, most preferred first; never empty.
    pub suites: Vec<SupportedCipherSuite>,
    /// The security level set by the last `@SECLEVEL=n` of the string, if
    /// any (it also governs key sizes in OpenSSL; levels 4 and 5 have
    /// already removed the 128-bit suites from `suites`).
    pub security_level: Option<u8>,
}

impl CipherSelection {
    /// OpenSSL names of [`CipherSelection::suites`], in the same order.
    pub fn openssl_names(&self) -> Vec<&'static str> {
        self.suites
            .iter()
            .filter_map(|s| openssl_name(s.suite()))
            .collect()
    }
}

/// Why a cipher string was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CipherError {
    /// The string has no element at all once split on `:` (for example
    /// `":"`); Node throws `ERR_INVALID_ARG_VALUE`.
    Empty {
        /// The string as given.
        list: String,
    },
    /// OpenSSL selects nothing: the TLS 1.3 part names no known suite, or
    /// the TLS 1.2 part is not empty and leaves no TLS <= 1.2 suite in the
    /// list (for example `"RC4-SHA"`); Node throws `ERR_SSL_NO_CIPHER_MATCH`.
    NoCipherMatch {
        /// The string as given.
        list: String,
    },
    /// OpenSSL's "invalid command" (Node's `ERR_SSL_INVALID_COMMAND`): a
    /// character outside the grammar, a dangling `!`, `-`, `+` or `@`, or an
    /// unknown `@` command.
    Syntax {
        /// The string as given.
        list: String,
        /// What is wrong, and where.
        reason: String,
    },
    /// OpenSSL accepts the string, but it selects none of the suites that
    /// rustls implements (for example `"TLS_AES_128_CCM_SHA256"`, or every
    /// suite removed by `@SECLEVEL=5`), so no handshake could succeed.
    NoSupportedCipher {
        /// The string as given.
        list: String,
    },
}

impl CipherError {
    /// The Node error code that the same string raises in Node 20, if Node
    /// rejects it (`None` for [`CipherError::NoSupportedCipher`], which Node
    /// accepts).
    pub fn node_code(&self) -> Option<&'static str> {
        match self {
            Self::Empty { .. } => Some("ERR_INVALID_ARG_VALUE"),
            Self::NoCipherMatch { .. } => Some("ERR_SSL_NO_CIPHER_MATCH"),
            Self::Syntax { .. } => Some("ERR_SSL_INVALID_COMMAND"),
            Self::NoSupportedCipher { .. } => None,
        }
    }
}

impl fmt::Display for CipherError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty { list } => {
                write!(f, "invalid `ciphers`: {list:?} names no cipher suite")
            }
            Self::NoCipherMatch { list } => {
                write!(f, "invalid `ciphers`: no cipher match for {list:?}")
            }
            Self::Syntax { list, reason } => {
                write!(
                    f,
                    "invalid `ciphers`: invalid command in {list:?}: {reason}"
                )
            }
            Self::NoSupportedCipher { list } => write!(
                f,
                "invalid `ciphers`: no cipher match for {list:?} among the supported cipher suites"
            ),
        }
    }
}

impl std::error::Error for CipherError {}

/// Evaluates a Node `ciphers` string (see the [module documentation](self)).
///
/// An empty string means [`DEFAULT_CIPHERS`].
pub fn select(cipher_list: &str) -> Result<CipherSelection, CipherError> {
    let effective = if cipher_list.is_empty() {
        DEFAULT_CIPHERS
    } else {
        cipher_list
    };

    // Node's processCiphers(): split on ':' only.
    let mut tls13_parts = Vec::new();
    let mut tls12_parts = Vec::new();
    for part in effective.split(':').filter(|p| !p.is_empty()) {
        if part.starts_with("TLS_") || part.starts_with("!TLS_") {
            tls13_parts.push(part);
        } else {
            tls12_parts.push(part);
        }
    }
    if tls13_parts.is_empty() && tls12_parts.is_empty() {
        return Err(CipherError::Empty {
            list: cipher_list.to_owned(),
        });
    }
    let suites_str = tls13_parts.join(":");
    let list_str = tls12_parts.join(":");

    // context.setCipherSuites() (only when there is something to set).
    let tls13: Vec<&'static Suite> = if suites_str.is_empty() {
        OPENSSL_DEFAULT_TLS13
            .iter()
            .filter_map(|id| suite_by_id(*id))
            .collect()
    } else {
        set_ciphersuites(&suites_str).ok_or_else(|| CipherError::NoCipherMatch {
            list: cipher_list.to_owned(),
        })?
    };

    // context.setCiphers().
    let outcome = evaluate_rules(&list_str).map_err(|reason| CipherError::Syntax {
        list: cipher_list.to_owned(),
        reason,
    })?;
    let combined: Vec<&'static Suite> = tls13.into_iter().chain(outcome.suites).collect();
    // SSL_CTX_set_cipher_list() fails unless a TLS <= 1.2 entry is listed;
    // Node ignores that failure when the C string is empty (which includes a
    // string that starts with NUL), and sets the minimum protocol version to
    // TLS 1.3 when the JavaScript string is empty.
    let tls13_only = list_str.is_empty();
    let c_list_empty = list_str.split('\0').next().unwrap_or("").is_empty();
    if !c_list_empty && !combined.iter().any(|s| s.min_tls < TLS1_3) {
        return Err(CipherError::NoCipherMatch {
            list: cipher_list.to_owned(),
        });
    }

    let mut suites: Vec<SupportedCipherSuite> = Vec::new();
    for suite in combined {
        if tls13_only && suite.min_tls != TLS1_3 {
            continue;
        }
        if let Some(level) = outcome.security_level {
            if !allowed_at_level(suite, level) {
                continue;
            }
        }
        if let Some(rs) = rustls_suite(suite.id) {
            if !suites.iter().any(|s| s.suite() == rs.suite()) {
                suites.push(rs);
            }
        }
    }
    // rustls picks the protocol version first, so only the order within
    // each version matters; list TLS 1.3 first even when a TLS 1.2 suite was
    // named in the TLS 1.3 part (OpenSSL would list it first).
    suites.sort_by_key(|s| !matches!(s, SupportedCipherSuite::Tls13(_)));
    if suites.is_empty() {
        return Err(CipherError::NoSupportedCipher {
            list: cipher_list.to_owned(),
        });
    }
    Ok(CipherSelection {
        suites,
        security_level: outcome.security_level,
    })
}

/// The OpenSSL name of a suite (`"ECDHE-RSA-AES128-GCM-SHA256"`,
/// `"TLS_AES_128_GCM_SHA256"`), for the nine rustls suites and for the
/// other suites that OpenSSL 3.0 offers by default.
pub fn openssl_name(suite: CipherSuite) -> Option<&'static str> {
    suite_by_id(u16::from(suite)).map(|s| s.name)
}

/// The IANA name of a suite (`"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"`), for
/// the same suites as [`openssl_name`].
pub fn standard_name(suite: CipherSuite) -> Option<&'static str> {
    suite_by_id(u16::from(suite)).map(|s| s.std_name)
}

/// Node's `tls.getCiphers()` restricted to the suites rustls implements:
/// lowercase OpenSSL names, sorted as Node sorts them.
pub fn get_ciphers() -> Vec<&'static str> {
    NODE_CIPHER_NAMES.to_vec()
}

/// The lowercase OpenSSL names of [`SUPPORTED`], sorted (Node's
/// `tls.getCiphers()` lowercases and sorts).
static NODE_CIPHER_NAMES: [&str; 9] = [
    "ecdhe-ecdsa-aes128-gcm-sha256",
    "ecdhe-ecdsa-aes256-gcm-sha384",
    "ecdhe-ecdsa-chacha20-poly1305",
    "ecdhe-rsa-aes128-gcm-sha256",
    "ecdhe-rsa-aes256-gcm-sha384",
    "ecdhe-rsa-chacha20-poly1305",
    "tls_aes_128_gcm_sha256",
    "tls_aes_256_gcm_sha384",
    "tls_chacha20_poly1305_sha256",
];

/// All known suites: rustls's, then OpenSSL's others.
fn all_suites() -> impl Iterator<Item = &'static Suite> {
    SUPPORTED.iter().chain(OPENSSL_ONLY.iter())
}

fn suite_by_id(id: u16) -> Option<&'static Suite> {
    all_suites().find(|s| s.id == id)
}

/// The rustls *ring* suite with this code point, if rustls implements it.
fn rustls_suite(id: u16) -> Option<SupportedCipherSuite> {
    rustls::crypto::ring::ALL_CIPHER_SUITES
        .iter()
        .copied()
        .find(|s| u16::from(s.suite()) == id)
}

/// OpenSSL's default security callback for a cipher suite
/// (`ssl_security_default_callback()`, `SSL_SECOP_CIPHER_SUPPORTED`).
fn allowed_at_level(suite: &Suite, level: u8) -> bool {
    const MIN_BITS: [u16; 6] = [0, 80, 112, 128, 192, 256];
    if level == 0 {
        return true;
    }
    let min_bits = MIN_BITS.get(usize::from(level)).copied().unwrap_or(256);
    if suite.bits < min_bits
        || suite.auth & A_NULL != 0
        || suite.mac & M_MD5 != 0
        || (min_bits > 160 && suite.mac & M_SHA1 != 0)
        || (level >= 2 && suite.enc == E_RC4)
    {
        return false;
    }
    let pfs = K_DHE | K_ECDHE | K_DHEPSK | K_ECDHEPSK;
    !(level >= 3 && suite.min_tls != TLS1_3 && suite.mkey & pfs == 0)
}

/// `SSL_CTX_set_ciphersuites()`: the suites named (by IANA name) in a
/// `:`-separated list, or `None` if it names none.
fn set_ciphersuites(list: &str) -> Option<Vec<&'static Suite>> {
    // A C string ends at the first NUL.
    let list = list.split('\0').next().unwrap_or("");
    let mut found = false;
    let mut out = Vec::new();
    for elem in list.split(':') {
        // CONF_parse_list(.., nospc = 1, ..) trims C whitespace.
        let elem = elem.trim_matches(|c: char| c == ' ' || ('\t'..='\r').contains(&c));
        // ciphersuite_cb() skips names longer than its 80-byte buffer.
        if elem.is_empty() || elem.len() > 79 {
            continue;
        }
        if let Some(suite) = all_suites()
            .chain(SCSVS.iter())
            .find(|s| s.std_name == elem)
        {
            found = true;
            out.push(suite);
        } else if DISABLED_STD_NAMES.contains(&elem) {
            found = true;
        }
    }
    found.then_some(out)
}

/// The result of `SSL_CTX_set_cipher_list()` for the TLS <= 1.2 rules.
#[derive(Debug)]
struct RuleOutcome {
    /// The enabled TLS <= 1.2 suites (rustls's and OpenSSL's), in order.
    suites: Vec<&'static Suite>,
    /// The last `@SECLEVEL=n`.
    security_level: Option<u8>,
}

/// What an element does (`CIPHER_*` in `ssl/ssl_ciph.c`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// No prefix: append the matching disabled suites.
    Add,
    /// `!`: remove for good.
    Kill,
    /// `-`: disable (may be added again).
    Del,
    /// `+`: move the matching enabled suites to the end.
    Ord,
    /// `@`: a command.
    Special,
    /// Move the matching enabled suites to the front (internal).
    Bump,
}

/// What a rule applies to.
#[derive(Debug, Clone, Copy, Default)]
struct Pattern {
    cipher_id: Option<u16>,
    mkey: u32,
    auth: u32,
    enc: u32,
    mac: u32,
    min_tls: u16,
    strength: u32,
    /// Match on strength bits only (the `@STRENGTH` sort).
    bits: Option<u16>,
}

impl Pattern {
    fn matches(&self, s: &Suite) -> bool {
        if let Some(bits) = self.bits {
            return s.bits == bits;
        }
        if self.cipher_id.is_some_and(|id| id != s.id) {
            return false;
        }
        (self.mkey == 0 || self.mkey & s.mkey != 0)
            && (self.auth == 0 || self.auth & s.auth != 0)
            && (self.enc == 0 || self.enc & s.enc != 0)
            && (self.mac == 0 || self.mac & s.mac != 0)
            && (self.min_tls == 0 || self.min_tls == s.min_tls)
            && (self.strength & STRONG_MASK == 0 || self.strength & STRONG_MASK & s.strength != 0)
            && (self.strength & DEFAULT_MASK == 0 || self.strength & DEFAULT_MASK & s.strength != 0)
    }
}

/// OpenSSL's ordered cipher list (`CIPHER_ORDER`), over the TLS <= 1.2
/// suites.
struct CipherOrder {
    suites: Vec<&'static Suite>,
    active: Vec<bool>,
    /// Indices into `suites`, in list order; killed suites are gone.
    order: Vec<usize>,
}

impl CipherOrder {
    /// The list before any user rule: every offered suite, disabled, in
    /// OpenSSL's preference order (`ssl_create_cipher_list()`).
    fn new() -> Self {
        // ssl3_ciphers is sorted by code point, and collected backwards.
        let mut suites: Vec<&'static Suite> = all_suites().filter(|s| s.min_tls < TLS1_3).collect();
        suites.sort_by_key(|s| std::cmp::Reverse(s.id));
        let mut list = Self {
            active: vec![false; suites.len()],
            order: (0..suites.len()).collect(),
            suites,
        };
        let p = Pattern::default;
        let kx = |mkey| Pattern { mkey, ..p() };
        list.apply(
            &Pattern {
                mkey: K_ECDHE,
                auth: A_ECDSA,
                ..p()
            },
            Rule::Add,
        );
        list.apply(&kx(K_ECDHE), Rule::Add);
        list.apply(&kx(K_ECDHE), Rule::Del);
        list.apply(
            &Pattern {
                enc: E_AESGCM,
                ..p()
            },
            Rule::Add,
        );
        list.apply(
            &Pattern {
                enc: E_CHACHA20POLY1305,
                ..p()
            },
            Rule::Add,
        );
        list.apply(
            &Pattern {
                enc: E_AES ^ E_AESGCM,
                ..p()
            },
            Rule::Add,
        );
        list.apply(&p(), Rule::Add);
        list.apply(&Pattern { mac: M_MD5, ..p() }, Rule::Ord);
        list.apply(
            &Pattern {
                auth: A_NULL,
                ..p()
            },
            Rule::Ord,
        );
        list.apply(&kx(K_RSA), Rule::Ord);
        list.apply(&kx(K_PSK), Rule::Ord);
        list.apply(&Pattern { enc: E_RC4, ..p() }, Rule::Ord);
        list.strength_sort();
        list.apply(
            &Pattern {
                min_tls: TLS1_2,
                ..p()
            },
            Rule::Bump,
        );
        list.apply(&Pattern { mac: M_AEAD, ..p() }, Rule::Bump);
        list.apply(&kx(K_DHE | K_ECDHE), Rule::Bump);
        list.apply(
            &Pattern {
                mkey: K_DHE | K_ECDHE,
                mac: M_AEAD,
                ..p()
            },
            Rule::Bump,
        );
        list.apply(&p(), Rule::Del);
        list
    }

    /// `ssl_cipher_apply_rule()`.
    fn apply(&mut self, pattern: &Pattern, rule: Rule) {
        let mut moved = Vec::new();
        let order = std::mem::take(&mut self.order);
        let mut kept = Vec::with_capacity(order.len());
        for i in order {
            let Some(suite) = self.suites.get(i) else {
                continue;
            };
            if !pattern.matches(suite) {
                kept.push(i);
                continue;
            }
            let active = self.active.get(i).copied().unwrap_or(false);
            match rule {
                Rule::Add if !active => {
                    self.set_active(i, true);
                    moved.push(i);
                }
                Rule::Ord | Rule::Bump if active => moved.push(i),
                Rule::Del if active => {
                    self.set_active(i, false);
                    moved.push(i);
                }
                Rule::Kill => self.set_active(i, false),
                _ => kept.push(i),
            }
        }
        self.order = match rule {
            // Appended at the tail, in list order.
            Rule::Add | Rule::Ord => kept.into_iter().chain(moved).collect(),
            // Prepended at the head, keeping their order (OpenSSL walks the
            // list backwards for these).
            Rule::Del | Rule::Bump => moved.into_iter().chain(kept).collect(),
            Rule::Kill | Rule::Special => kept,
        };
    }

    fn set_active(&mut self, i: usize, value: bool) {
        if let Some(a) = self.active.get_mut(i) {
            *a = value;
        }
    }

    /// `ssl_cipher_strength_sort()`: `+` by strength bits, strongest first.
    fn strength_sort(&mut self) {
        let mut used: Vec<u16> = self
            .order
            .iter()
            .filter(|&&i| self.active.get(i).copied().unwrap_or(false))
            .filter_map(|&i| self.suites.get(i).map(|s| s.bits))
            .collect();
        used.sort_unstable_by(|x, y| y.cmp(x));
        used.dedup();
        for bits in used {
            self.apply(
                &Pattern {
                    bits: Some(bits),
                    ..Pattern::default()
                },
                Rule::Ord,
            );
        }
    }

    fn enabled(&self) -> Vec<&'static Suite> {
        self.order
            .iter()
            .filter(|&&i| self.active.get(i).copied().unwrap_or(false))
            .filter_map(|&i| self.suites.get(i).copied())
            .collect()
    }
}

/// A known name in a rule: an offered suite or an available alias.
#[derive(Debug, Clone, Copy)]
struct Known {
    cipher_id: Option<u16>,
    mkey: u32,
    auth: u32,
    enc: u32,
    mac: u32,
    min_tls: u16,
    strength: u32,
}

fn lookup(list: &CipherOrder, name: &[u8]) -> Option<Known> {
    if let Some(s) = list.suites.iter().find(|s| s.name.as_bytes() == name) {
        return Some(Known {
            cipher_id: Some(s.id),
            mkey: s.mkey,
            auth: s.auth,
            enc: s.enc,
            mac: s.mac,
            min_tls: s.min_tls,
            strength: s.strength,
        });
    }
    ALIASES
        .iter()
        .find(|a| a.available() && a.name.as_bytes() == name)
        .map(|a| Known {
            cipher_id: None,
            mkey: a.mkey,
            auth: a.auth,
            enc: a.enc,
            mac: a.mac,
            min_tls: a.min_tls,
            strength: a.strength,
        })
}

/// Intersects `pattern` with one `+`-joined part; `false` if it becomes
/// empty (the element then matches nothing).
fn intersect(pattern: &mut Pattern, k: &Known) -> bool {
    fn field(acc: &mut u32, v: u32) -> bool {
        if v != 0 {
            if *acc != 0 {
                *acc &= v;
                if *acc == 0 {
                    return false;
                }
            } else {
                *acc = v;
            }
        }
        true
    }
    if !field(&mut pattern.mkey, k.mkey)
        || !field(&mut pattern.auth, k.auth)
        || !field(&mut pattern.enc, k.enc)
        || !field(&mut pattern.mac, k.mac)
    {
        return false;
    }
    if k.strength & STRONG_MASK != 0 {
        if pattern.strength & STRONG_MASK != 0 {
            pattern.strength &= (k.strength & STRONG_MASK) | !STRONG_MASK;
            if pattern.strength & STRONG_MASK == 0 {
                return false;
            }
        } else {
            // As in OpenSSL, this assignment drops a NOT_DEFAULT bit set by
            // an earlier part.
            pattern.strength = k.strength & STRONG_MASK;
        }
    }
    if k.strength & DEFAULT_MASK != 0 {
        if pattern.strength & DEFAULT_MASK != 0 {
            pattern.strength &= (k.strength & DEFAULT_MASK) | !DEFAULT_MASK;
            if pattern.strength & DEFAULT_MASK == 0 {
                return false;
            }
        } else {
            pattern.strength |= k.strength & DEFAULT_MASK;
        }
    }
    if k.cipher_id.is_some() {
        // An explicit suite: its protocol version is not part of the
        // pattern.
        pattern.cipher_id = k.cipher_id;
    } else if k.min_tls != 0 {
        if pattern.min_tls != 0 && pattern.min_tls != k.min_tls {
            return false;
        }
        pattern.min_tls = k.min_tls;
    }
    true
}

fn is_separator(b: u8) -> bool {
    matches!(b, b':' | b' ' | b';' | b',')
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'=')
}

/// `SSL_CTX_set_cipher_list()` without the final emptiness check: the
/// enabled TLS <= 1.2 suites, or the reason for OpenSSL's "invalid command".
fn evaluate_rules(rule_str: &str) -> Result<RuleOutcome, String> {
    // A C string ends at the first NUL.
    let rule_str = rule_str.split('\0').next().unwrap_or("");
    // check_suiteb_cipher_list()
    let rule_str = if rule_str.starts_with("SUITEB128ONLY") {
        "ECDHE-ECDSA-AES128-GCM-SHA256"
    } else if rule_str.starts_with("SUITEB128C2") {
        "ECDHE-ECDSA-AES256-GCM-SHA384"
    } else if rule_str.starts_with("SUITEB128") {
        "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384"
    } else if rule_str.starts_with("SUITEB192") {
        "ECDHE-ECDSA-AES256-GCM-SHA384"
    } else {
        rule_str
    };
    let mut list = CipherOrder::new();
    let mut security_level = None;
    let rest = match rule_str.strip_prefix("DEFAULT") {
        Some(rest) => {
            process_rules(OPENSSL_DEFAULT_RULES, &mut list, &mut security_level)?;
            rest.strip_prefix(':').unwrap_or(rest)
        }
        None => rule_str,
    };
    process_rules(rest, &mut list, &mut security_level)?;
    Ok(RuleOutcome {
        suites: list.enabled(),
        security_level,
    })
}

/// Describes the byte at `pos` of `s` for an error message.
fn describe_at(s: &str, pos: usize) -> String {
    match s.get(pos..).and_then(|rest| rest.chars().next()) {
        Some(ch) => format!("unexpected {ch:?} at byte {pos} of {s:?}"),
        None => format!("missing cipher name at the end of {s:?}"),
    }
}

/// `ssl_cipher_process_rulestr()`.
fn process_rules(
    rules: &str,
    list: &mut CipherOrder,
    security_level: &mut Option<u8>,
) -> Result<(), String> {
    let bytes = rules.as_bytes();
    let at = |i: usize| bytes.get(i).copied().unwrap_or(0);
    let mut l = 0usize;
    loop {
        let ch = at(l);
        if ch == 0 {
            break;
        }
        let rule = match ch {
            b'-' => Rule::Del,
            b'+' => Rule::Ord,
            b'!' => Rule::Kill,
            b'@' => Rule::Special,
            _ => Rule::Add,
        };
        if rule != Rule::Add {
            l += 1;
        }
        if is_separator(ch) {
            l += 1;
            continue;
        }

        let mut pattern = Pattern::default();
        let mut found = false;
        let word_start;
        let mut word_len;
        loop {
            let start = l;
            while is_name_byte(at(l)) {
                l += 1;
            }
            word_len = l - start;
            if word_len == 0 {
                return Err(describe_at(rules, l));
            }
            if rule == Rule::Special {
                word_start = start;
                break;
            }
            let multi = at(l) == b'+';
            if multi {
                l += 1;
            }
            pattern.cipher_id = None;
            let word = bytes.get(start..start + word_len).unwrap_or(&[]);
            found = match lookup(list, word) {
                Some(known) => intersect(&mut pattern, &known),
                None => false,
            };
            if !found || !multi {
                word_start = start;
                break;
            }
        }

        if rule == Rule::Special {
            let word = rules.get(word_start..word_start + word_len).unwrap_or("");
            if word == "STRENGTH" {
                list.strength_sort();
            } else if let Some(level) = word.strip_prefix("SECLEVEL=") {
                match level.as_bytes() {
                    [d @ b'0'..=b'5'] => *security_level = Some(d - b'0'),
                    _ => {
                        return Err(format!(
                            "security level must be a digit from 0 to 5 in \"@{word}\""
                        ))
                    }
                }
            } else {
                return Err(format!("unknown command \"@{word}\""));
            }
            // The rest of the element is ignored.
            while at(l) != 0 && !is_separator(at(l)) {
                l += 1;
            }
        } else if found {
            list.apply(&pattern, rule);
        } else {
            while at(l) != 0 && !is_separator(at(l)) {
                l += 1;
            }
        }
        if at(l) == 0 {
            break;
        }
    }
    Ok(())
}
