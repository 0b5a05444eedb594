// SPDX-License-Identifier: GPL-2.0
//! SMB 3.1.1 preauthentication integrity hash (MS-SMB2 §3.2.5.2,
//! §3.2.4.2.3, §3.2.5.3.1).
//!
//! `H(0)` is 64 zero bytes and `H(i) = SHA-512(H(i-1) ‖ message)`, where a
//! message is the raw bytes of the whole SMB2 PDU (header and body, as sent
//! or received, without the transport framing).
//!
//! The client keeps two chains:
//!
//! * `Connection.PreauthIntegrityHashValue`: start with [`PreauthHash::new`],
//!   then [`PreauthHash::update`] with the NEGOTIATE request and the
//!   NEGOTIATE response (when the dialect is 3.1.1).
//! * `Session.PreauthIntegrityHashValue`: [`PreauthHash::begin_session`]
//!   copies the connection value, then every SESSION_SETUP request and every
//!   SESSION_SETUP response **except** the final one with STATUS_SUCCESS is
//!   added. The value after the last request is the KDF context
//!   ([`super::kdf::KeySchedule::Smb311`]).
//!
//! Only SHA-512 (HashAlgorithm 0x0001) is defined.

use super::crypto::{update_segments, CryptoProvider, IncrementalDigest, Segments};

/// Length of a preauth integrity hash value (SHA-512).
pub const PREAUTH_HASH_LEN: usize = 64;

/// The SMB2_PREAUTH_INTEGRITY_CAPABILITIES HashAlgorithm id of SHA-512
/// (MS-SMB2 §2.2.3.1.1).
pub const HASH_ALGORITHM_SHA512: u16 = 0x0001;

/// One preauth integrity hash chain.
#[derive(Clone, PartialEq, Eq)]
pub struct PreauthHash {
    value: [u8; PREAUTH_HASH_LEN],
}

impl PreauthHash {
    /// A new chain: 64 zero bytes.
    pub const fn new() -> Self {
        Self {
            value: [0; PREAUTH_HASH_LEN],
        }
    }

    /// A chain whose current value is `value` (a connection's hash after
    /// NEGOTIATE, as the transport reports it).
    pub const fn from_value(value: [u8; PREAUTH_HASH_LEN]) -> Self {
        Self { value }
    }

    /// A session chain starting from this connection chain's current value.
    pub fn begin_session(&self) -> Self {
        self.clone()
    }

    /// Adds one message: `H = SHA-512(H ‖ message)`. The message is given as
    /// segments (header first, then payload) and is not copied.
    pub fn update<P: CryptoProvider, S: Segments + ?Sized>(&mut self, provider: &P, message: &S) {
        let mut sha = provider.sha512();
        sha.update(&self.value);
        update_segments(&mut sha, &message);
        self.value = sha.finish();
    }

    /// The current hash value.
    pub fn value(&self) -> &[u8; PREAUTH_HASH_LEN] {
        &self.value
    }
}

impl Default for PreauthHash {
    fn default() -> Self {
        Self::new()
    }
}

impl core::fmt::Debug for PreauthHash {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PreauthHash").finish_non_exhaustive()
    }
}
