//! Pairing by PIN without handing the PIN to whoever answers: SPAKE2 (RustCrypto's `spake2`,
//! Ed25519 group) from the PIN, bound to the TLS connection it runs on.
//!
//! The device opens TLS 1.3 to the hub, accepting its certificate provisionally, and a WebSocket
//! on `/api/v1/pair/spake2` over it. Both sides know the PIN's hash (the hub stores only that):
//! it is the SPAKE2 password.
//!
//! 1. device → hub: its name and SPAKE2 message A (a random-looking group element).
//! 2. hub → device: [`OFFERS`] offers, one per open PIN (the newest first), the rest decoys made
//!    from random passwords; each is a SPAKE2 message B and the hub's confirmation
//!    `HMAC(K, "hub" ‖ T)`, where K is that offer's SPAKE2 key and T the hash of the name,
//!    A, B and the TLS exporter of the connection *as the hub sees it*.
//! 3. The device finishes SPAKE2 against each offer and checks its confirmation (with the
//!    exporter *it* sees). None checks: not the hub that made this PIN (a fake hub, a relay,
//!    or a wrong or used PIN): the device sends nothing more. A relay has two TLS connections,
//!    so two exporters, and cannot make a confirmation that checks without the PIN.
//! 4. device → hub: the offer and its own confirmation `HMAC(K, "device" ‖ T)`.
//! 5. hub → device: the token, over the connection both have now proven is theirs. The device
//!    pins exactly the certificate of that connection.
//!
//! All a fake hub gets is message A: a uniformly random group element whatever the PIN, and
//! no answer to test a guess against (the device stops at step 3). A device playing stranger
//! tests one guess per attempt, counted by the hub's pairing limiter.
//!
//! No IO here: the messages, the keys and the checks, for both sides.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256, Sha512};
use spake2::{Ed25519Group, Identity, Password, Spake2};

/// Offers the hub makes per attempt (open PINs first, then decoys): a stranger cannot tell how
/// many PINs are open. With more open PINs than this, only the newest pair a device.
pub const OFFERS: usize = 4;
/// The TLS exporter's label (RFC 8446 §7.5) for pairing.
pub const EXPORTER_LABEL: &[u8] = b"EXPORTER-integra-pair-v1";
const PROTOCOL: &[u8] = b"integra-pair-v1";
const DEVICE_ID: &[u8] = b"integra-device";
const HUB_ID: &[u8] = b"integra-hub";

/// The TLS connection a pairing runs on, as one side sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// TLS 1.3, with its exporter's value under [`EXPORTER_LABEL`].
    Tls13([u8; 32]),
    /// An older TLS: its exporter does not bind the handshake for sure; pairing is refused.
    OlderTls,
}

impl Channel {
    /// What the confirmations bind: the exporter (TLS), or nothing (plain HTTP: a hub on
    /// loopback; tests). `None` for a connection pairing refuses.
    pub fn binding(channel: Option<Channel>) -> Option<Vec<u8>> {
        match channel {
            None => Some(Vec::new()),
            Some(Channel::Tls13(e)) => Some(e.to_vec()),
            Some(Channel::OlderTls) => None,
        }
    }

    /// The channel of a finished TLS handshake (hub or device side).
    pub fn of<D>(conn: &rustls::ConnectionCommon<D>) -> Channel {
        match conn.protocol_version() {
            Some(rustls::ProtocolVersion::TLSv1_3) => conn
                .export_keying_material([0u8; 32], EXPORTER_LABEL, None)
                .map_or(Channel::OlderTls, Channel::Tls13),
            _ => Channel::OlderTls,
        }
    }
}

/// Step 1, device → hub.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hello {
    pub name: String,
    /// SPAKE2 message A, hex.
    pub spake2: String,
}

/// One offer of step 2.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Offer {
    /// SPAKE2 message B, hex.
    pub spake2: String,
    /// The hub's confirmation, hex.
    pub confirm: String,
}

/// Step 2, hub → device.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Offers {
    pub offers: Vec<Offer>,
    /// Pairing attempts this address has left after this one (so a device can say how many
    /// tries remain when none of the offers checks).
    #[serde(default)]
    pub left: Option<usize>,
}

/// Step 4, device → hub.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Proof {
    pub offer: usize,
    /// The device's confirmation, hex.
    pub confirm: String,
}

/// Why a pairing message does not do.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PakeError {
    #[error("a pairing message does not read (not a SPAKE2 message in hex)")]
    Malformed,
    #[error("no offer of this hub checks with the PIN on this connection")]
    NoMatch,
}

/// The SPAKE2 password for a PIN: its hash, which is all the hub keeps.
fn password(pin_hash: &str) -> Password {
    Password::new(pin_hash.as_bytes())
}

fn ids() -> (Identity, Identity) {
    (Identity::new(DEVICE_ID), Identity::new(HUB_ID))
}

/// What both confirmations cover: the device's name, both SPAKE2 messages and the channel.
fn transcript(name: &str, a: &[u8], b: &[u8], binding: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(PROTOCOL);
    for part in [name.as_bytes(), a, b, binding] {
        h.update((part.len() as u32).to_be_bytes());
        h.update(part);
    }
    h.finalize().into()
}

/// HMAC-SHA256 under `key` of `side ‖ t` (HMAC takes a key of any length: the error is the
/// crate's type, never met).
fn mac(key: &[u8], side: &[u8], t: &[u8; 32]) -> Result<Hmac<Sha256>, PakeError> {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).map_err(|_| PakeError::Malformed)?;
    m.update(side);
    m.update(t);
    Ok(m)
}

/// The device's side: message A from the PIN, made again for each offer from the same seed
/// (a SPAKE2 state finishes once).
pub struct Device {
    seed: [u8; 32],
    pin_hash: String,
}

impl Device {
    pub fn new(pin_hash: &str, seed: [u8; 32]) -> Device {
        Device {
            seed,
            pin_hash: pin_hash.to_string(),
        }
    }

    fn start(&self) -> (Spake2<Ed25519Group>, Vec<u8>) {
        let (a, b) = ids();
        Spake2::<Ed25519Group>::start_a_with_rng(
            &password(&self.pin_hash),
            &a,
            &b,
            Seeded::new(self.seed),
        )
    }

    pub fn hello(&self, name: &str) -> Hello {
        Hello {
            name: name.to_string(),
            spake2: hex(&self.start().1),
        }
    }

    /// Step 3: the first offer whose confirmation checks on `binding`, and the device's proof.
    pub fn check(&self, name: &str, offers: &Offers, binding: &[u8]) -> Result<Proof, PakeError> {
        let a = self.start().1;
        for (i, offer) in offers.offers.iter().enumerate() {
            let (Some(b), Some(confirm)) = (unhex(&offer.spake2), unhex(&offer.confirm)) else {
                return Err(PakeError::Malformed);
            };
            let Ok(key) = self.start().0.finish(&b) else {
                continue;
            };
            let t = transcript(name, &a, &b, binding);
            if mac(&key, b"hub", &t)?.verify_slice(&confirm).is_ok() {
                return Ok(Proof {
                    offer: i,
                    confirm: hex(&mac(&key, b"device", &t)?.finalize().into_bytes()),
                });
            }
        }
        Err(PakeError::NoMatch)
    }
}

/// The hub's side of one attempt: the offers made, and what checks the device's proof.
pub struct Hub {
    /// Per offer: the key and transcript, and the PIN's hash (`None`: a decoy).
    slots: Vec<([u8; 32], Vec<u8>, Option<String>)>,
}

impl Hub {
    /// Step 2: answer `hello` for the open PINs (`pin_hashes`, newest first); `decoy_seed`
    /// gives the decoys their random passwords.
    pub fn answer(
        hello: &Hello,
        pin_hashes: &[String],
        binding: &[u8],
        mut rng: impl rand_core::CryptoRng + rand_core::RngCore,
    ) -> Result<(Hub, Offers), PakeError> {
        let a = unhex(&hello.spake2).ok_or(PakeError::Malformed)?;
        let (id_a, id_b) = ids();
        let mut slots = Vec::with_capacity(OFFERS);
        let mut offers = Vec::with_capacity(OFFERS);
        for i in 0..OFFERS {
            let real = pin_hashes.get(i).cloned();
            let pw = match &real {
                Some(h) => password(h),
                None => {
                    let mut decoy = [0u8; 32];
                    rng.fill_bytes(&mut decoy);
                    Password::new(decoy)
                }
            };
            let (state, b) = Spake2::<Ed25519Group>::start_b_with_rng(&pw, &id_a, &id_b, &mut rng);
            let key = state.finish(&a).map_err(|_| PakeError::Malformed)?;
            let t = transcript(&hello.name, &a, &b, binding);
            offers.push(Offer {
                spake2: hex(&b),
                confirm: hex(&mac(&key, b"hub", &t)?.finalize().into_bytes()),
            });
            slots.push((t, key, real));
        }
        Ok((Hub { slots }, Offers { offers, left: None }))
    }

    /// Step 4: the PIN (its hash) the device proved it knows, or `None`.
    pub fn verify(&self, proof: &Proof) -> Option<&str> {
        let (t, key, real) = self.slots.get(proof.offer)?;
        let confirm = unhex(&proof.confirm)?;
        mac(key, b"device", t).ok()?.verify_slice(&confirm).ok()?;
        real.as_deref()
    }
}

/// A deterministic CSPRNG from a 32-byte secret seed (SHA-512 in counter mode): lets the
/// device make the same SPAKE2 state once per offer.
struct Seeded {
    seed: [u8; 32],
    counter: u64,
    buf: Vec<u8>,
}

impl Seeded {
    fn new(seed: [u8; 32]) -> Seeded {
        Seeded {
            seed,
            counter: 0,
            buf: Vec::new(),
        }
    }
}

impl rand_core::RngCore for Seeded {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        self.fill_bytes(&mut b);
        u32::from_le_bytes(b)
    }

    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.fill_bytes(&mut b);
        u64::from_le_bytes(b)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for d in dest {
            if self.buf.is_empty() {
                let mut h = Sha512::new();
                h.update(b"integra-pair-seed");
                h.update(self.seed);
                h.update(self.counter.to_be_bytes());
                self.counter += 1;
                self.buf = h.finalize().to_vec();
            }
            *d = self.buf.remove(0);
        }
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl rand_core::CryptoRng for Seeded {}

/// The system's randomness, as the SPAKE2 crate takes it.
pub fn os_rng() -> rand_core::OsRng {
    rand_core::OsRng
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || text.len() > 256 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(device_pin: &str, hub_pins: &[&str], device_bind: &[u8], hub_bind: &[u8]) -> bool {
        let hashes: Vec<String> = hub_pins
            .iter()
            .map(|p| crate::hub::auth::pin_hash(p))
            .collect();
        let d = Device::new(&crate::hub::auth::pin_hash(device_pin), [7; 32]);
        let hello = d.hello("Desk");
        let Ok((hub, offers)) = Hub::answer(&hello, &hashes, hub_bind, os_rng()) else {
            return false;
        };
        match d.check("Desk", &offers, device_bind) {
            Ok(proof) => hub.verify(&proof).is_some(),
            Err(_) => false,
        }
    }

    #[test]
    fn the_same_pin_on_the_same_channel_pairs_and_nothing_else_does() {
        assert!(run("12345678", &["12345678"], b"x", b"x"));
        assert!(run("12345678", &["00000000", "12345678"], b"x", b"x"));
        assert!(!run("12345678", &["12345679"], b"x", b"x"));
        assert!(!run("12345678", &[], b"x", b"x"));
        // A relay: two connections, two exporters.
        assert!(!run("12345678", &["12345678"], b"device side", b"hub side"));
    }

    #[test]
    fn a_proof_for_a_decoy_or_forged_pairs_nothing() {
        let d = Device::new(&crate::hub::auth::pin_hash("1"), [1; 32]);
        let (hub, _) = Hub::answer(&d.hello("n"), &[], b"", os_rng()).expect("answer");
        for offer in 0..OFFERS + 1 {
            let forged = Proof {
                offer,
                confirm: "00".repeat(32),
            };
            assert_eq!(hub.verify(&forged), None);
        }
    }
}
