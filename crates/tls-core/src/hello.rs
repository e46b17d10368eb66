//! Just enough of a ClientHello to see which protocol versions it offers.

/// Whether `flight` starts with a ClientHello that offers nothing from TLS 1.2 on: its
/// `client_version` is below 1.2 and it has no `supported_versions` listing 1.2 or 1.3.
/// `false` when it cannot tell (not a ClientHello, or cut short).
pub(crate) fn offers_only_old_versions(flight: &[u8]) -> bool {
    parse(flight).is_some_and(|(legacy, supported)| {
        legacy < 0x0303 && !supported.iter().any(|v| *v >= 0x0303)
    })
}

/// (client_version, supported_versions) of the first ClientHello in `flight`.
fn parse(flight: &[u8]) -> Option<(u16, Vec<u16>)> {
    let mut r = Reader(flight);
    // record header: type 22 (handshake), version, length
    if r.u8()? != 22 {
        return None;
    }
    r.take(4)?;
    // handshake header: type 1 (client_hello), 24-bit length
    if r.u8()? != 1 {
        return None;
    }
    r.take(3)?;
    let legacy = r.u16()?;
    r.take(32)?; // random
    let session_id = usize::from(r.u8()?);
    r.take(session_id)?;
    let suites = usize::from(r.u16()?);
    r.take(suites)?;
    let compression = usize::from(r.u8()?);
    r.take(compression)?;
    let mut supported = Vec::new();
    let Some(len) = r.u16() else {
        return Some((legacy, supported)); // no extensions at all
    };
    let mut exts = Reader(r.take(usize::from(len))?);
    while let (Some(kind), Some(len)) = (exts.u16(), exts.u16()) {
        let body = exts.take(usize::from(len))?;
        if kind == 0x002b {
            let mut list = Reader(body);
            let n = usize::from(list.u8()?);
            let mut versions = Reader(list.take(n)?);
            while let Some(v) = versions.u16() {
                supported.push(v);
            }
        }
    }
    Some((legacy, supported))
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(head)
    }

    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_be_bytes([b[0], b[1]]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ClientHello record with `legacy` and, optionally, a supported_versions list.
    fn hello(legacy: u16, supported: &[u16]) -> Vec<u8> {
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
        assert!(offers_only_old_versions(&hello(0x0302, &[])));
        assert!(offers_only_old_versions(&hello(0x0301, &[0x0302, 0x0301])));
        assert!(!offers_only_old_versions(&hello(0x0303, &[])));
        assert!(!offers_only_old_versions(&hello(0x0303, &[0x0304])));
        assert!(!offers_only_old_versions(&hello(0x0301, &[0x0304, 0x0303])));
        let whole = hello(0x0302, &[]);
        for cut in 0..whole.len() - 2 {
            assert!(!offers_only_old_versions(&whole[..cut]), "cut at {cut}");
        }
        assert!(!offers_only_old_versions(b"GET / HTTP/1.1\r\n"));
    }
}
