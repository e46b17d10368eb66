//! Just enough of a ClientHello for what rustls's `Acceptor` does not show: the
//! protocol versions offered, whether an OCSP staple is asked for, and the sessions
//! offered (TLS 1.2 session id and ticket, TLS 1.3 PSK identities).

/// What the first ClientHello of a flight says, as far as we read it.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Parsed {
    /// `client_version`.
    pub(crate) legacy: u16,
    /// `supported_versions`, in order.
    pub(crate) supported: Vec<u16>,
    /// A `status_request` extension of type OCSP (Node's `info.OCSPRequest`).
    pub(crate) ocsp_request: bool,
    /// `legacy_session_id` (a TLS 1.3 client sends 32 random bytes here).
    pub(crate) session_id: Vec<u8>,
    /// The `session_ticket` extension: `None` absent, else whether it holds a ticket.
    pub(crate) session_ticket: Option<bool>,
    /// The identities of a `pre_shared_key` extension, in order.
    pub(crate) psk_identities: Vec<Vec<u8>>,
    /// `cipher_suites`, in order.
    pub(crate) suites: Vec<u16>,
    /// `supported_groups`, when sent.
    pub(crate) groups: Option<Vec<u16>>,
    /// `key_share`'s entries (group, key length), when sent.
    pub(crate) key_shares: Option<Vec<(u16, usize)>>,
    /// `signature_algorithms`, when sent.
    pub(crate) sigalgs: Option<Vec<u16>>,
}

impl Parsed {
    /// Whether the client offers TLS 1.3 (in `supported_versions`).
    pub(crate) fn offers_tls13(&self) -> bool {
        self.supported.contains(&0x0304)
    }
}

/// A list of big-endian `u16`s.
fn u16s(bytes: &[u8]) -> Vec<u16> {
    bytes
        .chunks_exact(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect()
}

/// The `client_version` of a ClientHello at the start of `flight` that offers nothing
/// from TLS 1.2 on: its `client_version` is below 1.2 and it has no
/// `supported_versions` listing 1.2 or 1.3. `None` when it offers more, or when it
/// cannot tell (not a ClientHello, or cut short).
pub(crate) fn old_client_version(flight: &[u8]) -> Option<u16> {
    parse(flight)
        .filter(|p| p.legacy < 0x0303 && !p.supported.iter().any(|v| *v >= 0x0303))
        .map(|p| p.legacy)
}

/// The handshake bytes at the start of `flight`: the payloads of its leading
/// handshake records, joined (a ClientHello may span records).
pub(crate) fn handshake_bytes(flight: &[u8]) -> Vec<u8> {
    let mut r = Reader(flight);
    let mut out = Vec::new();
    while let (Some(22), Some(_version), Some(len)) = (r.u8(), r.u16(), r.u16()) {
        match r.take(usize::from(len)) {
            Some(body) => out.extend_from_slice(body),
            None => {
                out.extend_from_slice(r.0); // the record so far
                break;
            }
        }
    }
    out
}

/// The first ClientHello in `flight` (records as received).
pub(crate) fn parse(flight: &[u8]) -> Option<Parsed> {
    let bytes = handshake_bytes(flight);
    let mut r = Reader(&bytes);
    // handshake header: type 1 (client_hello), 24-bit length
    if r.u8()? != 1 {
        return None;
    }
    r.take(3)?;
    let mut parsed = Parsed {
        legacy: r.u16()?,
        ..Parsed::default()
    };
    r.take(32)?; // random
    let session_id = usize::from(r.u8()?);
    parsed.session_id = r.take(session_id)?.to_vec();
    let suites = usize::from(r.u16()?);
    parsed.suites = u16s(r.take(suites)?);
    let compression = usize::from(r.u8()?);
    r.take(compression)?;
    let Some(len) = r.u16() else {
        return Some(parsed); // no extensions at all
    };
    let mut exts = Reader(r.take(usize::from(len))?);
    while let (Some(kind), Some(len)) = (exts.u16(), exts.u16()) {
        let body = exts.take(usize::from(len))?;
        match kind {
            0x002b => {
                let mut list = Reader(body);
                let n = usize::from(list.u8()?);
                let mut versions = Reader(list.take(n)?);
                while let Some(v) = versions.u16() {
                    parsed.supported.push(v);
                }
            }
            0x000a => {
                let mut list = Reader(body);
                let n = usize::from(list.u16()?);
                parsed.groups = Some(u16s(list.take(n)?));
            }
            0x000d => {
                let mut list = Reader(body);
                let n = usize::from(list.u16()?);
                parsed.sigalgs = Some(u16s(list.take(n)?));
            }
            0x0033 => {
                let mut list = Reader(body);
                let n = usize::from(list.u16()?);
                let mut entries = Reader(list.take(n)?);
                let mut shares = Vec::new();
                while let (Some(group), Some(len)) = (entries.u16(), entries.u16()) {
                    entries.take(usize::from(len))?;
                    shares.push((group, usize::from(len)));
                }
                parsed.key_shares = Some(shares);
            }
            // status_request: status_type 1 is ocsp
            0x0005 => parsed.ocsp_request = body.first() == Some(&1),
            0x0023 => parsed.session_ticket = Some(!body.is_empty()),
            0x0029 => {
                // pre_shared_key: identities<7..2^16-1>, each identity<1..2^16-1> and
                // a 4-byte obfuscated age; the binders follow
                let mut psk = Reader(body);
                let len = usize::from(psk.u16()?);
                let mut ids = Reader(psk.take(len)?);
                while let Some(n) = ids.u16() {
                    parsed
                        .psk_identities
                        .push(ids.take(usize::from(n))?.to_vec());
                    ids.take(4)?;
                }
            }
            _ => {}
        }
    }
    Some(parsed)
}

pub(crate) struct Reader<'a>(pub(crate) &'a [u8]);

impl<'a> Reader<'a> {
    pub(crate) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(head)
    }

    pub(crate) fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    pub(crate) fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_be_bytes([b[0], b[1]]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ClientHello record with `legacy` and, optionally, a supported_versions list.
    fn hello(legacy: u16, supported: &[u16]) -> Vec<u8> {
        hello_with(legacy, supported, &[])
    }

    /// [`hello`] with `extra` extensions (raw) after supported_versions.
    fn hello_with(legacy: u16, supported: &[u16], extra: &[u8]) -> Vec<u8> {
        let mut body = legacy.to_be_bytes().to_vec();
        body.extend([0u8; 32]);
        body.push(0); // session id
        body.extend([0, 2, 0x13, 0x01]); // one suite
        body.extend([1, 0]); // null compression
        let mut exts = Vec::new();
        if !supported.is_empty() {
            exts.extend([0x00, 0x2b]);
            let n = (supported.len() * 2) as u8;
            exts.extend([0, n + 1, n]);
            for v in supported {
                exts.extend(v.to_be_bytes());
            }
        }
        exts.extend(extra);
        body.extend((exts.len() as u16).to_be_bytes());
        body.extend(exts);
        let mut hs = vec![1, 0, 0, body.len() as u8];
        hs.extend(body);
        let mut record = vec![22, 3, 1, 0, hs.len() as u8];
        record.extend(hs);
        record
    }

    #[test]
    fn tells_old_hellos_apart() {
        assert_eq!(old_client_version(&hello(0x0302, &[])), Some(0x0302));
        assert_eq!(
            old_client_version(&hello(0x0301, &[0x0302, 0x0301])),
            Some(0x0301)
        );
        assert_eq!(old_client_version(&hello(0x0303, &[])), None);
        assert_eq!(old_client_version(&hello(0x0303, &[0x0304])), None);
        assert_eq!(old_client_version(&hello(0x0301, &[0x0304, 0x0303])), None);
        let whole = hello(0x0302, &[]);
        for cut in 0..whole.len() - 2 {
            assert_eq!(old_client_version(&whole[..cut]), None, "cut at {cut}");
        }
        assert_eq!(old_client_version(b"GET / HTTP/1.1\r\n"), None);
    }

    #[test]
    fn sees_an_ocsp_request_even_across_records() {
        // status_request: type ocsp, empty responder list and extensions
        let status = [0x00, 0x05, 0x00, 0x05, 0x01, 0x00, 0x00, 0x00, 0x00];
        let whole = hello_with(0x0303, &[0x0304], &status);
        assert!(parse(&whole).unwrap().ocsp_request);
        assert!(!parse(&hello(0x0303, &[0x0304])).unwrap().ocsp_request);
        let other_type = [0x00, 0x05, 0x00, 0x05, 0x02, 0x00, 0x00, 0x00, 0x00];
        assert!(
            !parse(&hello_with(0x0303, &[], &other_type))
                .unwrap()
                .ocsp_request
        );
        // the same handshake message split over two records
        let hs = &whole[5..];
        let (a, b) = hs.split_at(20);
        let mut split = vec![22, 3, 1, 0, a.len() as u8];
        split.extend(a);
        split.extend([22, 3, 1, 0, b.len() as u8]);
        split.extend(b);
        assert!(parse(&split).unwrap().ocsp_request);
        assert!(parse(&split[..split.len() - 1]).is_none());
    }

    #[test]
    fn reads_the_sessions_offered() {
        // session_ticket with a 3-byte ticket; pre_shared_key with identities "ab" and
        // "cde" (each with a 4-byte age), then binders (not read)
        let mut exts = vec![0x00, 0x23, 0x00, 0x03, 1, 2, 3];
        let ids = [
            0, 2, b'a', b'b', 0, 0, 0, 0, 0, 3, b'c', b'd', b'e', 0, 0, 0, 0,
        ];
        let binders = [0, 2, 1, 0];
        let len = 2 + ids.len() + binders.len();
        exts.extend([0x00, 0x29, 0, len as u8, 0, ids.len() as u8]);
        exts.extend(ids);
        exts.extend(binders);
        let parsed = parse(&hello_with(0x0303, &[0x0304], &exts)).unwrap();
        assert_eq!(parsed.session_ticket, Some(true));
        assert_eq!(parsed.psk_identities, [b"ab".to_vec(), b"cde".to_vec()]);
        assert!(parsed.session_id.is_empty());
        let empty_ticket = [0x00, 0x23, 0x00, 0x00];
        let parsed = parse(&hello_with(0x0303, &[], &empty_ticket)).unwrap();
        assert_eq!(parsed.session_ticket, Some(false));
        assert!(parsed.psk_identities.is_empty());
        assert_eq!(parse(&hello(0x0303, &[])).unwrap().session_ticket, None);
    }
}
