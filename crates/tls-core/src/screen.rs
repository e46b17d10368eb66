//! A server's first flight screened before rustls reads it, where OpenSSL 3 (Node 20)
//! answers otherwise and the RFCs agree with it: a record of another type before the
//! ClientHello is whole, a first handshake message that is not a ClientHello, and a
//! TLS 1.3 ClientHello whose extensions cannot work (RFC 8446 4.2.3, 4.2.8, 9.2).
//! Each answer was measured against Node 20's server.

use crate::hello::{self, Parsed, Reader};

/// How OpenSSL refuses a first flight: the alert it sends (record version and
/// description) and its reason.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Refusal {
    /// The alert record's version.
    pub(crate) version: [u8; 2],
    /// The alert's description.
    pub(crate) alert: u8,
    /// OpenSSL's reason text.
    pub(crate) reason: &'static str,
}

const UNEXPECTED_MESSAGE: u8 = 10;
const RECORD_OVERFLOW: u8 = 22;
const HANDSHAKE_FAILURE: u8 = 40;
const ILLEGAL_PARAMETER: u8 = 47;
const DECODE_ERROR: u8 = 50;
const MISSING_EXTENSION: u8 = 109;

/// The longest record OpenSSL reads before it judges the length (its read buffer;
/// longer is "packet length too long" from the header).
const READ_MAX: usize = 16_707;
/// The longest plaintext record (RFC 8446 5.1; longer: "data length too long").
const PLAINTEXT_MAX: usize = 16_384;
/// The longest handshake message rustls reads (OpenSSL's limit for a ClientHello is
/// 131,396 bytes; a longer claim there is "excessive message size").
const MESSAGE_MAX: usize = 0xffff;

/// A refusal in TLS 1.2's record version.
fn refusal(alert: u8, reason: &'static str) -> Option<Refusal> {
    Some(Refusal {
        version: [3, 3],
        alert,
        reason,
    })
}

/// The records of a first flight as received, up to the end of its ClientHello, judged
/// as they come: [`Records::check`] goes on from the last whole record, so a flight fed
/// a byte at a time costs no more than one fed whole.
#[derive(Debug, Default)]
pub(crate) struct Records {
    /// Where the next record starts in the flight.
    at: usize,
    /// The first handshake message's header, as far as it came.
    header: Vec<u8>,
    /// The handshake bytes read so far.
    seen: usize,
    /// The ClientHello is whole: what follows is rustls's.
    done: bool,
}

impl Records {
    /// `flight` (the records as received, growing between calls): a refusal for the
    /// first record out of place. A record still arriving is judged once whole, but
    /// for its header's length and the first message's header.
    pub(crate) fn check(&mut self, flight: &[u8]) -> Option<Refusal> {
        while !self.done {
            let rest = flight.get(self.at..)?;
            let head = rest.get(..5)?;
            let len = usize::from(u16::from_be_bytes([head[3], head[4]]));
            if len > READ_MAX {
                return refusal(RECORD_OVERFLOW, "packet length too long");
            }
            let Some(body) = rest.get(5..5 + len) else {
                // still arriving: a first message that is not a ClientHello, or claims
                // too much, is refused now
                let early = &rest[5..rest.len().min(9)];
                return (head[0] == 22 && self.header.is_empty())
                    .then(|| handshake_header(early))
                    .flatten();
            };
            if len > PLAINTEXT_MAX {
                return refusal(RECORD_OVERFLOW, "data length too long");
            }
            if head[0] != 22 {
                // OpenSSL calls any other record before the ClientHello is whole an
                // unexpected message (RFC 8446 5.1: handshake messages MUST NOT be
                // interleaved with other record types), in the record's own version; a
                // first record of change_cipher_spec in TLS 1.2's (measured)
                let version = if head[0] == 20 && self.at == 0 {
                    [3, 3]
                } else {
                    [head[1], head[2]]
                };
                return Some(Refusal {
                    version,
                    alert: UNEXPECTED_MESSAGE,
                    reason: "unexpected message",
                });
            }
            let missing = 4 - self.header.len();
            self.header.extend(body.iter().take(missing));
            self.seen += len;
            if let Some(refused) = handshake_header(&self.header) {
                return Some(refused);
            }
            if let [_, a, b, c] = self.header[..] {
                self.done = self.seen >= 4 + u24(a, b, c);
            }
            self.at += 5 + len;
        }
        None
    }
}

/// A 24-bit big-endian length.
fn u24(a: u8, b: u8, c: u8) -> usize {
    usize::from(a) << 16 | usize::from(b) << 8 | usize::from(c)
}

/// The first handshake message's header as far as it came: a refusal for one that is
/// not a ClientHello, or claims more than rustls reads.
fn handshake_header(header: &[u8]) -> Option<Refusal> {
    match *header {
        [kind, ..] if kind != 1 => refusal(UNEXPECTED_MESSAGE, "unexpected message"),
        // RFC 8446 4.1.2: a ClientHello's suites and extensions are at most 2^16 - 1
        // bytes each; rustls reads no message over 2^16 - 1 bytes and the buffer
        // for one stays bounded
        [_, a, b, c] if u24(a, b, c) > MESSAGE_MAX => {
            refusal(ILLEGAL_PARAMETER, "excessive message size")
        }
        _ => None,
    }
}

/// A whole ClientHello rustls could not decode (`flight`: the records as received),
/// with OpenSSL's answer where it names one, in its order: a field longer than what
/// holds it or a session id over 32 bytes ("length mismatch"), an extension twice
/// ("bad extension"), no cipher suites or an odd length of them, no null compression.
pub(crate) fn malformed_hello(flight: &[u8]) -> Option<Refusal> {
    let bytes = hello::handshake_bytes(flight);
    let mut r = Reader(&bytes);
    if r.u8()? != 1 {
        return None;
    }
    let (a, b, c) = (r.u8()?, r.u8()?, r.u8()?);
    let len = u24(a, b, c);
    let fields = (|| {
        let mut body = Reader(r.take(len)?);
        body.take(34)?; // version, random
        let session_id = usize::from(body.u8()?);
        body.take(session_id).filter(|_| session_id <= 32)?;
        let suites_len = usize::from(body.u16()?);
        let suites = body.take(suites_len)?;
        let compression_len = usize::from(body.u8()?);
        let compression = body.take(compression_len)?;
        let mut kinds = Vec::new();
        if !body.0.is_empty() {
            let exts_len = usize::from(body.u16()?);
            let mut exts = Reader(body.take(exts_len)?);
            while !exts.0.is_empty() {
                kinds.push(exts.u16()?);
                let n = usize::from(exts.u16()?);
                exts.take(n)?;
            }
        }
        body.0.is_empty().then_some((suites, compression, kinds))
    })();
    let Some((suites, compression, kinds)) = fields else {
        return refusal(DECODE_ERROR, "length mismatch");
    };
    if kinds
        .iter()
        .enumerate()
        .any(|(i, k)| kinds[..i].contains(k))
    {
        return refusal(ILLEGAL_PARAMETER, "bad extension");
    }
    if suites.is_empty() {
        return refusal(ILLEGAL_PARAMETER, "no ciphers specified");
    }
    if suites.len() % 2 != 0 {
        return refusal(DECODE_ERROR, "error in received cipher list");
    }
    if !compression.contains(&0) {
        return refusal(DECODE_ERROR, "no compression specified");
    }
    None
}

/// What a server can negotiate ([`client_hello`]'s view of its context).
pub(crate) struct Offer {
    /// Its TLS 1.3 suites (none: TLS 1.3 is off).
    pub(crate) tls13_suites: Vec<u16>,
    /// Its key exchange groups.
    pub(crate) groups: Vec<u16>,
}

/// A whole ClientHello that will negotiate TLS 1.3 with `offer` and cannot work,
/// refused as OpenSSL refuses it, in its order: no `signature_algorithms` where a
/// certificate will sign (no PSK offered), a key share of a group we speak that the
/// client's `supported_groups` does not list, no `key_share` at all, no group in
/// common. Anything else (no TLS 1.3 suite in common, a share to retry with
/// HelloRetryRequest) is rustls's to answer.
pub(crate) fn client_hello(hello: &Parsed, offer: &Offer) -> Option<Refusal> {
    if !hello.offers_tls13() || !hello.suites.iter().any(|s| offer.tls13_suites.contains(s)) {
        return None;
    }
    if hello.sigalgs.is_none() && hello.psk_identities.is_empty() {
        return refusal(MISSING_EXTENSION, "missing sigalgs extension");
    }
    let client_groups = hello.groups.as_deref().unwrap_or_default();
    let Some(shares) = &hello.key_shares else {
        return refusal(MISSING_EXTENSION, "no suitable key share");
    };
    if let Some(&(group, len)) = shares.iter().find(|(g, _)| offer.groups.contains(g)) {
        if !client_groups.contains(&group) {
            return refusal(ILLEGAL_PARAMETER, "bad key share");
        }
        // X25519's key is 32 bytes, P-256's and P-384's uncompressed points 65 and 97
        let wanted = match group {
            0x001d => 32,
            0x0017 => 65,
            0x0018 => 97,
            _ => len,
        };
        if len != wanted {
            return refusal(ILLEGAL_PARAMETER, "bad ecpoint");
        }
    }
    if !client_groups.iter().any(|g| offer.groups.contains(g)) {
        return refusal(HANDSHAKE_FAILURE, "no suitable key share");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`Records::check`] of a flight fed whole.
    fn records(flight: &[u8]) -> Option<Refusal> {
        Records::default().check(flight)
    }

    #[test]
    fn judges_a_flight_fed_a_byte_at_a_time_as_one_fed_whole() {
        let hello = message(1, 100);
        let (a, b) = hello.split_at(30);
        let flights = [
            [record(22, [3, 1], a), record(22, [3, 1], b)].concat(),
            [record(22, [3, 1], a), record(21, [3, 1], &[1, 0])].concat(),
            [record(22, [3, 1], a), vec![22, 3, 3, 0x41, 0x44]].concat(),
            record(22, [3, 1], &message(2, 40)),
        ];
        for flight in flights {
            let mut screen = Records::default();
            let mut got = None;
            for end in 1..=flight.len() {
                got = screen.check(&flight[..end]);
                if got.is_some() {
                    break;
                }
            }
            assert_eq!(got, records(&flight), "{flight:02x?}");
        }
    }

    fn record(kind: u8, version: [u8; 2], body: &[u8]) -> Vec<u8> {
        let mut r = vec![kind, version[0], version[1]];
        r.extend((body.len() as u16).to_be_bytes());
        r.extend(body);
        r
    }

    /// A handshake message of `kind` with a `len`-byte body of zeros.
    fn message(kind: u8, len: usize) -> Vec<u8> {
        let mut m = vec![kind, 0, (len >> 8) as u8, len as u8];
        m.extend(vec![0; len]);
        m
    }

    fn unexpected(version: [u8; 2]) -> Option<Refusal> {
        Some(Refusal {
            version,
            alert: UNEXPECTED_MESSAGE,
            reason: "unexpected message",
        })
    }

    #[test]
    fn refuses_records_out_of_place_until_the_hello_is_whole() {
        let hello = message(1, 100);
        let (a, b) = hello.split_at(30);
        // whole, split, cut short: nothing to say
        assert_eq!(records(&record(22, [3, 1], &hello)), None);
        let split = [record(22, [3, 1], a), record(22, [3, 1], b)].concat();
        assert_eq!(records(&split), None);
        assert_eq!(records(&split[..split.len() - 1]), None);
        // after the hello, other records are rustls's
        let after = [record(22, [3, 1], &hello), record(23, [3, 3], b"x")].concat();
        assert_eq!(records(&after), None);
        // before it: an alert, application data, a heartbeat in their own version, a
        // change_cipher_spec in TLS 1.2's; only once the record is whole
        for (kind, version) in [(21, [3, 1]), (23, [3, 0]), (24, [3, 3])] {
            let first = record(kind, version, &[2, 40]);
            assert_eq!(records(&first), unexpected(version), "type {kind}");
            assert_eq!(records(&first[..first.len() - 1]), None);
            let between = [record(22, [3, 1], a), first].concat();
            assert_eq!(records(&between), unexpected(version), "type {kind}");
        }
        assert_eq!(records(&record(20, [3, 1], &[1])), unexpected([3, 3]));
        // a first handshake message that is not a ClientHello
        assert_eq!(
            records(&record(22, [3, 1], &message(2, 40))),
            unexpected([3, 3])
        );
        assert_eq!(records(&record(22, [3, 1], &[2])), unexpected([3, 3]));
    }

    #[test]
    fn refuses_record_lengths_as_openssl_reads_them() {
        let overflow = |reason| refusal(RECORD_OVERFLOW, reason);
        let start = record(22, [3, 1], &message(1, 100)[..10]);
        // over its read buffer: at the header; over 2^14: once read
        let header = [start.clone(), vec![22, 3, 3, 0x41, 0x44]].concat();
        assert_eq!(records(&header), overflow("packet length too long"));
        let long = [start.clone(), record(22, [3, 1], &[0; 16_385])].concat();
        assert_eq!(records(&long), overflow("data length too long"));
        assert_eq!(records(&long[..long.len() - 1]), None);
        // a message claiming more than 2^16 - 1 bytes, even before its record is whole
        let claim = record(22, [3, 1], &[1, 1, 0, 0, 3, 3]);
        let excessive = refusal(ILLEGAL_PARAMETER, "excessive message size");
        assert_eq!(records(&claim), excessive);
        assert_eq!(records(&claim[..7]), None);
        assert_eq!(records(&claim[..9]), excessive);
    }

    #[test]
    fn names_what_is_wrong_in_a_hello_that_does_not_decode() {
        let hello = |sid: &[u8], suites: &[u8], compression: &[u8], exts: &[u8]| {
            let mut body = vec![3, 3];
            body.extend([0; 32]);
            body.push(sid.len() as u8);
            body.extend(sid);
            body.extend(suites);
            body.extend(compression);
            body.extend(exts);
            let mut m = vec![1, 0, 0, body.len() as u8];
            m.extend(body);
            record(22, [3, 1], &m)
        };
        let suite = [0, 2, 0xc0, 0x2f];
        let exts = [0, 8, 0, 10, 0, 0, 0, 13, 0, 0];
        assert_eq!(malformed_hello(&hello(&[], &suite, &[1, 0], &exts)), None);
        let mismatch = refusal(DECODE_ERROR, "length mismatch");
        assert_eq!(
            malformed_hello(&hello(&[0; 33], &suite, &[1, 0], &exts)),
            mismatch
        );
        assert_eq!(
            malformed_hello(&hello(&[], &suite, &[1, 0], &exts[..9])),
            mismatch
        );
        let twice = [0, 8, 0, 10, 0, 0, 0, 10, 0, 0];
        let bad = refusal(ILLEGAL_PARAMETER, "bad extension");
        assert_eq!(malformed_hello(&hello(&[], &[0, 0], &[1, 1], &twice)), bad);
        let none = refusal(ILLEGAL_PARAMETER, "no ciphers specified");
        assert_eq!(malformed_hello(&hello(&[], &[0, 0], &[1, 1], &exts)), none);
        let odd = refusal(DECODE_ERROR, "error in received cipher list");
        assert_eq!(
            malformed_hello(&hello(&[], &[0, 1, 0], &[1, 0], &exts)),
            odd
        );
        let no_null = refusal(DECODE_ERROR, "no compression specified");
        assert_eq!(
            malformed_hello(&hello(&[], &suite, &[1, 1], &exts)),
            no_null
        );
    }

    fn tls13_hello() -> Parsed {
        Parsed {
            supported: vec![0x0304, 0x0303],
            suites: vec![0x1301, 0xc02f],
            groups: Some(vec![0x001d, 0x0017]),
            key_shares: Some(vec![(0x001d, 32)]),
            sigalgs: Some(vec![0x0804]),
            ..Parsed::default()
        }
    }

    fn refused(alert: u8, reason: &'static str) -> Option<Refusal> {
        Some(Refusal {
            version: [3, 3],
            alert,
            reason,
        })
    }

    #[test]
    fn refuses_tls13_hellos_that_cannot_work() {
        let offer = Offer {
            tls13_suites: vec![0x1301, 0x1302],
            groups: vec![0x001d, 0x0017, 0x0018],
        };
        assert_eq!(client_hello(&tls13_hello(), &offer), None);
        let with = |f: fn(&mut Parsed)| {
            let mut h = tls13_hello();
            f(&mut h);
            client_hello(&h, &offer)
        };
        let missing = refused(MISSING_EXTENSION, "missing sigalgs extension");
        assert_eq!(with(|h| h.sigalgs = None), missing);
        // a PSK handshake signs nothing
        assert_eq!(
            with(|h| {
                h.sigalgs = None;
                h.psk_identities = vec![b"id".to_vec()];
            }),
            None
        );
        let no_share = refused(MISSING_EXTENSION, "no suitable key share");
        assert_eq!(with(|h| h.key_shares = None), no_share);
        assert_eq!(
            with(|h| {
                h.key_shares = None;
                h.groups = None;
            }),
            no_share
        );
        let bad = refused(ILLEGAL_PARAMETER, "bad key share");
        assert_eq!(with(|h| h.groups = Some(vec![0x0017])), bad);
        // a share of a group we do not speak is passed over: a HelloRetryRequest
        assert_eq!(with(|h| h.key_shares = Some(vec![(0x1234, 32)])), None);
        assert_eq!(with(|h| h.key_shares = Some(vec![])), None);
        let none_common = refused(HANDSHAKE_FAILURE, "no suitable key share");
        assert_eq!(
            with(|h| {
                h.groups = Some(vec![0x1234]);
                h.key_shares = Some(vec![(0x1234, 32)]);
            }),
            none_common
        );
        // TLS 1.2 hellos, or no TLS 1.3 suite in common: rustls's
        assert_eq!(
            with(|h| {
                h.supported = vec![0x0303];
                h.key_shares = None;
            }),
            None
        );
        assert_eq!(
            with(|h| {
                h.suites = vec![0xc02f];
                h.key_shares = None;
            }),
            None
        );
        let off = Offer {
            tls13_suites: vec![],
            groups: offer.groups.clone(),
        };
        let mut h = tls13_hello();
        h.key_shares = None;
        assert_eq!(client_hello(&h, &off), None);
    }
}
