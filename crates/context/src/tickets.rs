//! `ticketKeys` and `sessionTimeout`: stateless session tickets that every server
//! holding the same 48 bytes can decrypt, valid for `sessionTimeout` seconds.
//!
//! Node's 48 bytes are a 16-byte key name, a 16-byte HMAC key and a 16-byte AES key
//! (OpenSSL's ticket format). Our tickets are ours (they resume between our servers, not
//! with Node's): `name || nonce || AES-256-GCM(issued_at || state)`, the AEAD key
//! derived from the two secret halves with HKDF-SHA256, the name bound as associated
//! data. rustls never checks a ticket's age outside 0-RTT, so `decrypt` enforces
//! `sessionTimeout` itself.

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::hkdf;
use ring::rand::{SecureRandom, SystemRandom};
use rustls::server::ProducesTickets;

/// Node's default `sessionTimeout`: 300 seconds.
pub(crate) const DEFAULT_SESSION_TIMEOUT: u32 = 300;

const NAME_LEN: usize = 16;

/// A ticket key set (Node's `ticketKeys`), replaceable while servers use it
/// (`setTicketKeys`): tickets sealed under the old keys then fail to open, and those
/// clients get a full handshake.
pub(crate) struct Ticketer {
    keys: std::sync::RwLock<Keys>,
    id_context: Vec<u8>,
    lifetime: u32,
    rng: SystemRandom,
}

/// The 48 bytes and what is derived from them.
struct Keys {
    material: [u8; 48],
    name: [u8; NAME_LEN],
    key: LessSafeKey,
}

impl Keys {
    /// `id_context` (`sessionIdContext`) is bound into the key: as in OpenSSL, a session
    /// only resumes in a context with the same one.
    fn derive(material: [u8; 48], id_context: &[u8]) -> Option<Self> {
        let mut name = [0u8; NAME_LEN];
        name.copy_from_slice(&material[..NAME_LEN]);
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, &name).extract(&material[NAME_LEN..]);
        let mut raw = [0u8; 32];
        prk.expand(&[b"node-tls ticket key", id_context], &AES_256_GCM)
            .ok()?
            .fill(&mut raw)
            .ok()?;
        let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &raw).ok()?);
        Some(Self {
            material,
            name,
            key,
        })
    }
}

impl std::fmt::Debug for Ticketer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.debug_struct("Ticketer")
            .field("lifetime", &self.lifetime)
            .finish_non_exhaustive()
    }
}

impl Ticketer {
    /// From Node's 48 bytes (checked by the caller) or, without them, random ones (as
    /// Node does per server). `id_context` (`sessionIdContext`) is bound into the key:
    /// as in OpenSSL, a session only resumes in a context with the same one.
    pub(crate) fn new(keys: Option<&[u8]>, lifetime: u32, id_context: &[u8]) -> Option<Self> {
        let rng = SystemRandom::new();
        let mut material = [0u8; 48];
        match keys {
            Some(keys) => material.copy_from_slice(keys.get(..48)?),
            None => rng.fill(&mut material).ok()?,
        }
        Some(Self {
            keys: std::sync::RwLock::new(Keys::derive(material, id_context)?),
            id_context: id_context.to_vec(),
            lifetime,
            rng,
        })
    }

    fn keys(&self) -> std::sync::RwLockReadGuard<'_, Keys> {
        self.keys.read().unwrap_or_else(|p| p.into_inner())
    }

    /// `getTicketKeys()`: the 48 bytes in use.
    pub(crate) fn material(&self) -> [u8; 48] {
        self.keys().material
    }

    /// `setTicketKeys(keys)`: from now on tickets are sealed and opened with these.
    pub(crate) fn set_material(&self, material: [u8; 48]) -> Option<()> {
        let keys = Keys::derive(material, &self.id_context)?;
        *self.keys.write().unwrap_or_else(|p| p.into_inner()) = keys;
        Some(())
    }

    /// The connection's clock (see [`crate::reports`]).
    fn now() -> u64 {
        crate::reports::now().as_secs()
    }
}

impl ProducesTickets for Ticketer {
    fn enabled(&self) -> bool {
        true
    }

    fn lifetime(&self) -> u32 {
        self.lifetime
    }

    fn encrypt(&self, plain: &[u8]) -> Option<Vec<u8>> {
        let mut nonce = [0u8; NONCE_LEN];
        self.rng.fill(&mut nonce).ok()?;
        let mut sealed = Vec::with_capacity(8 + plain.len() + 16);
        sealed.extend_from_slice(&Self::now().to_be_bytes());
        sealed.extend_from_slice(plain);
        let keys = self.keys();
        keys.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(keys.name),
                &mut sealed,
            )
            .ok()?;
        let mut ticket = Vec::with_capacity(NAME_LEN + NONCE_LEN + sealed.len());
        ticket.extend_from_slice(&keys.name);
        ticket.extend_from_slice(&nonce);
        ticket.extend_from_slice(&sealed);
        Some(ticket)
    }

    fn decrypt(&self, ticket: &[u8]) -> Option<Vec<u8>> {
        let (name, rest) = ticket.split_at_checked(NAME_LEN)?;
        let keys = self.keys();
        if name != keys.name {
            return None;
        }
        let (nonce, sealed) = rest.split_at_checked(NONCE_LEN)?;
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut sealed = sealed.to_vec();
        let plain = keys
            .key
            .open_in_place(nonce, Aad::from(keys.name), &mut sealed)
            .ok()?;
        let (issued, state) = plain.split_at_checked(8)?;
        let issued = u64::from_be_bytes(issued.try_into().ok()?);
        let age = Self::now().checked_sub(issued)?;
        (age <= u64::from(self.lifetime)).then(|| state.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_keys_decrypt_each_others_tickets() {
        let keys = [7u8; 48];
        let a = Ticketer::new(Some(&keys), 300, b"").unwrap();
        let b = Ticketer::new(Some(&keys), 300, b"").unwrap();
        let ticket = a.encrypt(b"session state").unwrap();
        assert_eq!(b.decrypt(&ticket).unwrap(), b"session state");
        let other = Ticketer::new(Some(&[8u8; 48]), 300, b"").unwrap();
        assert!(other.decrypt(&ticket).is_none());
        let random = Ticketer::new(None, 300, b"").unwrap();
        assert!(random.decrypt(&ticket).is_none());
        let other_context = Ticketer::new(Some(&keys), 300, b"another app").unwrap();
        assert!(other_context.decrypt(&ticket).is_none());
        // setTicketKeys: new tickets under the new keys only; back again, old ones open
        assert_eq!(a.material(), keys);
        a.set_material([8u8; 48]).unwrap();
        assert!(a.decrypt(&ticket).is_none());
        assert!(other.decrypt(&a.encrypt(b"s").unwrap()).is_some());
        a.set_material(keys).unwrap();
        assert_eq!(a.decrypt(&ticket).unwrap(), b"session state");
    }

    #[test]
    fn tampered_truncated_and_expired_tickets_are_refused() {
        let t = Ticketer::new(Some(&[1u8; 48]), 300, b"").unwrap();
        let ticket = t.encrypt(b"state").unwrap();
        for i in 0..ticket.len() {
            let mut bad = ticket.clone();
            bad[i] ^= 0x80;
            assert!(t.decrypt(&bad).is_none(), "byte {i}");
            assert!(t.decrypt(&ticket[..i]).is_none(), "cut at {i}");
        }
        let expired = Ticketer::new(Some(&[1u8; 48]), 0, b"").unwrap();
        // issued this second: age 0 is still inside a 0-second lifetime...
        let fresh = expired.encrypt(b"x").unwrap();
        let _ = expired.decrypt(&fresh);
        // ...but a ticket stamped long ago is not.
        let mut old = Vec::new();
        old.extend_from_slice(&0u64.to_be_bytes());
        old.extend_from_slice(b"x");
        let nonce = [0u8; NONCE_LEN];
        let keys = t.keys();
        keys.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(keys.name),
                &mut old,
            )
            .unwrap();
        let mut ticket = keys.name.to_vec();
        ticket.extend_from_slice(&nonce);
        ticket.extend_from_slice(&old);
        assert!(t.decrypt(&ticket).is_none());
    }
}
