//! Random credentials and their stored form.
//!
//! A credential is `PREFIX_ID_SECRET`: the id (8 bytes, hex) names it in
//! listings, revocation and the audit log; the secret (32 bytes from the
//! operating system's generator via `rand`'s thread RNG, hex) is shown once
//! and kept only as its SHA-256. Secrets have 256 bits of entropy, so a fast
//! hash is enough (passwords, chosen by people, get argon2id instead).

use rand::RngCore;
use sha2::{Digest, Sha256};

/// A new credential: what to show once, its id and the hash to keep.
#[derive(Debug, Clone)]
pub struct Minted {
    pub shown: String,
    pub id: String,
    pub hash: String,
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Mint a credential with the given prefix (`wgt` tokens, `wgs` sessions).
pub fn mint(prefix: &str) -> Minted {
    let mut rng = rand::rng();
    let mut id = [0u8; 8];
    let mut secret = [0u8; 32];
    rng.fill_bytes(&mut id);
    rng.fill_bytes(&mut secret);
    let (id, secret) = (hex(&id), hex(&secret));
    Minted { shown: format!("{prefix}_{id}_{secret}"), hash: digest(&secret), id }
}

/// The stored form of a secret.
pub fn digest(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// Split a presented credential into its id and secret; `None` when it is not one of ours.
pub fn split<'a>(prefix: &str, presented: &'a str) -> Option<(&'a str, &'a str)> {
    let rest = presented.strip_prefix(prefix)?.strip_prefix('_')?;
    let (id, secret) = rest.split_once('_')?;
    let hexish = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    (hexish(id, 16) && hexish(secret, 64)).then_some((id, secret))
}

/// Compare two stored hashes in time independent of where they differ.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_credentials_split_and_match_only_themselves() {
        let m = mint("wgt");
        let (id, secret) = split("wgt", &m.shown).expect("ours");
        assert_eq!(id, m.id);
        assert!(same(&digest(secret), &m.hash));
        let other = mint("wgt");
        assert_ne!(other.shown, m.shown);
        assert!(!same(&digest(split("wgt", &other.shown).expect("ours").1), &m.hash));
        assert!(split("wgs", &m.shown).is_none());
        assert!(split("wgt", "wgt_zz_yy").is_none());
        assert!(split("wgt", "").is_none());
    }
}
