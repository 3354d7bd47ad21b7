//! Seeds and the seed contract.
//!
//! Every random draw in Synthgate comes from a named stream derived from a master [`Seed`], a
//! purpose and a shard index, never from ambient randomness. The derivation is frozen: changing
//! it changes every synthetic file ever produced, so it is versioned by the domain tag below.
//!
//! **Contract (v1).** The 32-byte ChaCha key of stream (`master`, `purpose`, `shard`) is
//!
//! ```text
//! SHA-256( "synthgate/seed/v1" || 0x00 || le_u64(master) || le_u64(len(purpose)) || purpose_utf8 || le_u64(shard) )
//! ```
//!
//! and the stream is `rand_chacha::ChaCha8Rng::from_seed(key)` (8-round ChaCha, stream 0, word
//! position 0). Because each shard owns its stream, work split across any number of threads
//! produces the same bytes as long as shards are assigned by index, not by which thread runs
//! first. Purposes are plain strings such as `"split"` or `"sample/column/age"`; the length
//! prefix keeps (`"ab"`, shard) and (`"a"`, …) from ever colliding.

use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};
use sha2::{Digest, Sha256};

/// The random generator every stream uses: ChaCha with 8 rounds, from `rand_chacha` 0.10.
pub type SeedRng = ChaCha8Rng;

const DOMAIN_TAG: &[u8] = b"synthgate/seed/v1\0";

/// A master seed chosen by the user (or recorded in a model file or manifest).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Seed(pub u64);

impl Seed {
    /// The 32-byte key of stream (`self`, `purpose`, `shard`), as the contract above defines it.
    pub fn stream_key(self, purpose: &str, shard: u64) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update(DOMAIN_TAG);
        hasher.update(self.0.to_le_bytes());
        hasher.update((purpose.len() as u64).to_le_bytes());
        hasher.update(purpose.as_bytes());
        hasher.update(shard.to_le_bytes());
        hasher.finalize().into()
    }

    /// The random stream for `purpose` and `shard`.
    pub fn stream(self, purpose: &str, shard: u64) -> SeedRng {
        SeedRng::from_seed(self.stream_key(purpose, shard))
    }

    /// A child seed for a sub-task, derived from the first eight bytes of the stream key of
    /// (`purpose`, shard 0). Use it to hand a component its own master seed.
    pub fn derive(self, purpose: &str) -> Seed {
        let key = self.stream_key(purpose, 0);
        let mut first = [0u8; 8];
        first.copy_from_slice(&key[..8]);
        Seed(u64::from_le_bytes(first))
    }
}

/// A uniform draw in `[0, 1)` with 53 random bits, identical on every platform.
pub fn unit_f64(rng: &mut SeedRng) -> f64 {
    // The top 53 bits of a u64 scaled by 2^-53: exact in f64, no platform maths involved.
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A source of secret randomness (signing keys today; differential-privacy noise next), given
/// by the front end as a value, so nothing below it reads ambient randomness and no secret ever
/// comes from a public [`Seed`]. The CLI's fills from the operating system.
#[derive(Clone, Copy)]
pub struct Entropy {
    fill: fn(&mut [u8]) -> crate::Result<()>,
}

impl Entropy {
    /// The source that fills buffers with `fill`.
    pub const fn new(fill: fn(&mut [u8]) -> crate::Result<()>) -> Entropy {
        Entropy { fill }
    }

    /// Fill `bytes` with secret random bytes.
    pub fn fill(&self, bytes: &mut [u8]) -> crate::Result<()> {
        (self.fill)(bytes)
    }
}

impl std::fmt::Debug for Entropy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Entropy")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first_draws(seed: Seed, purpose: &str, shard: u64) -> Vec<u64> {
        let mut rng = seed.stream(purpose, shard);
        (0..4).map(|_| rng.next_u64()).collect()
    }

    /// Freezes the seed contract: these numbers were produced by the v1 derivation when it was
    /// written. If this test fails, every recorded synthetic file would change: bump the domain
    /// tag and the format versions instead of editing the numbers. The key was cross-checked
    /// with Python's `hashlib.sha256` over the same bytes.
    #[test]
    fn contract_v1_is_frozen() {
        let key = Seed(42).stream_key("split", 0);
        assert_eq!(
            hex(&key),
            "a67ab515780dbb4f5dcbc20c8bfb7e7109ffbc9fce8db87f33bb0ecf307cc857",
        );
        assert_eq!(first_draws(Seed(42), "split", 0), GOLDEN_DRAWS);
    }

    const GOLDEN_DRAWS: [u64; 4] = [
        14857385541252577696,
        4191262197455377985,
        8042333766802766012,
        3371887551536715725,
    ];

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn streams_differ_by_purpose_shard_and_master() {
        let base = first_draws(Seed(7), "sample", 0);
        assert_ne!(base, first_draws(Seed(7), "sample", 1));
        assert_ne!(base, first_draws(Seed(7), "sampl", 0));
        assert_ne!(base, first_draws(Seed(8), "sample", 0));
        assert_eq!(base, first_draws(Seed(7), "sample", 0));
        // The length prefix keeps concatenations apart.
        assert_ne!(
            Seed(1).stream_key("ab", 0),
            Seed(1).stream_key("a", u64::from_le_bytes(*b"b\0\0\0\0\0\0\0"))
        );
    }

    #[test]
    fn unit_draws_stay_in_range() {
        let mut rng = Seed(3).stream("unit", 0);
        for _ in 0..10_000 {
            let u = unit_f64(&mut rng);
            assert!((0.0..1.0).contains(&u));
        }
    }
}
