//! `setEncoding`: Node's `StringDecoder`, which turns a byte stream into strings without
//! splitting a character (UTF-8) or a 3-byte group (base64) across chunks.

use base64::Engine as _;

/// The encodings of `socket.setEncoding(encoding)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Encoding {
    /// `'utf8'` (also `'utf-8'`): invalid bytes become U+FFFD, as in Node.
    Utf8,
    /// `'latin1'` (also `'binary'`): one character per byte.
    Latin1,
    /// `'hex'`: two lowercase hex digits per byte.
    Hex,
    /// `'base64'`: padded base64, 3-byte groups kept whole across chunks.
    Base64,
}

impl std::str::FromStr for Encoding {
    type Err = String;

    /// Node's names, case-insensitive: `utf8`, `utf-8`, `latin1`, `binary`, `hex`,
    /// `base64`.
    fn from_str(name: &str) -> Result<Self, String> {
        match name.to_ascii_lowercase().as_str() {
            "utf8" | "utf-8" => Ok(Self::Utf8),
            "latin1" | "binary" => Ok(Self::Latin1),
            "hex" => Ok(Self::Hex),
            "base64" => Ok(Self::Base64),
            _ => Err(format!("Unknown encoding: {name}")),
        }
    }
}

/// Decodes chunks in order, carrying an incomplete character (or base64 group) over.
#[derive(Debug)]
pub(crate) struct Decoder {
    encoding: Encoding,
    carry: Vec<u8>,
}

impl Decoder {
    pub(crate) fn new(encoding: Encoding) -> Self {
        Self {
            encoding,
            carry: Vec::new(),
        }
    }

    /// The text of `chunk`, with what the previous chunk left unfinished; the
    /// unfinished end of this one waits for the next.
    pub(crate) fn write(&mut self, chunk: &[u8]) -> String {
        match self.encoding {
            Encoding::Latin1 => chunk.iter().map(|&b| char::from(b)).collect(),
            Encoding::Hex => chunk.iter().map(|b| format!("{b:02x}")).collect(),
            Encoding::Base64 => {
                self.carry.extend_from_slice(chunk);
                let whole = self.carry.len() / 3 * 3;
                let text = base64::engine::general_purpose::STANDARD.encode(&self.carry[..whole]);
                self.carry.drain(..whole);
                text
            }
            Encoding::Utf8 => {
                self.carry.extend_from_slice(chunk);
                let keep = incomplete_tail(&self.carry);
                let cut = self.carry.len() - keep;
                let text = String::from_utf8_lossy(&self.carry[..cut]).into_owned();
                self.carry.drain(..cut);
                text
            }
        }
    }

    /// At the end of the stream: what was left (a lone partial character becomes
    /// U+FFFD; a base64 remainder is padded).
    pub(crate) fn end(&mut self) -> String {
        let rest = std::mem::take(&mut self.carry);
        match self.encoding {
            Encoding::Base64 => base64::engine::general_purpose::STANDARD.encode(rest),
            _ if rest.is_empty() => String::new(),
            _ => String::from_utf8_lossy(&rest).into_owned(),
        }
    }
}

/// How many bytes at the end of `bytes` start a UTF-8 character not yet complete.
fn incomplete_tail(bytes: &[u8]) -> usize {
    for back in 1..=bytes.len().min(3) {
        let b = bytes[bytes.len() - back];
        if b & 0xc0 == 0x80 {
            continue; // a continuation byte: look further back
        }
        let needed = match b {
            0xc0..=0xdf => 2,
            0xe0..=0xef => 3,
            0xf0..=0xf7 => 4,
            _ => return 0,
        };
        return if back < needed { back } else { 0 };
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split_everywhere(encoding: Encoding, data: &[u8], whole: &str) {
        for cut in 0..=data.len() {
            let mut d = Decoder::new(encoding);
            let mut text = d.write(&data[..cut]);
            text += &d.write(&data[cut..]);
            text += &d.end();
            assert_eq!(text, whole, "{encoding:?} cut at {cut}");
        }
    }

    #[test]
    fn utf8_never_splits_a_character() {
        let text = "héllo wörld ✓ 😀!";
        split_everywhere(Encoding::Utf8, text.as_bytes(), text);
        // byte by byte, each piece is whole characters
        let mut d = Decoder::new(Encoding::Utf8);
        let pieces: Vec<String> = text.bytes().map(|b| d.write(&[b])).collect();
        assert_eq!(pieces.concat(), text);
        assert!(pieces.iter().all(|p| p.chars().count() <= 1));
    }

    #[test]
    fn utf8_invalid_and_truncated_bytes_are_replacement_characters() {
        let mut d = Decoder::new(Encoding::Utf8);
        assert_eq!(d.write(b"a\xffb"), "a\u{fffd}b");
        assert_eq!(d.write(b"\xe2\x9c"), "");
        assert_eq!(d.end(), "\u{fffd}");
    }

    #[test]
    fn base64_latin1_and_hex() {
        let data = b"any carnal pleas\x00\xff";
        let b64 = base64::engine::general_purpose::STANDARD.encode(data);
        split_everywhere(Encoding::Base64, data, &b64);
        split_everywhere(Encoding::Latin1, b"caf\xe9", "café");
        split_everywhere(Encoding::Hex, b"\x00\xab\xff", "00abff");
        assert_eq!("UTF-8".parse(), Ok(Encoding::Utf8));
        assert_eq!("binary".parse(), Ok(Encoding::Latin1));
        assert!("ucs2".parse::<Encoding>().is_err());
    }
}
