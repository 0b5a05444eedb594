// SPDX-License-Identifier: GPL-2.0
//! The cryptographic primitives the codec needs, as a trait its user
//! implements.
//!
//! The codec never implements a cipher or a hash itself: the kernel modules
//! implement [`CryptoProvider`] on top of lib/crypto (`cifs_md4_*`,
//! `hmac_md5_*`, `hmac_sha256_*`, `sha512_*`, `aes_cmac_*`, the AES-GCM and
//! AES-CCM library calls and `arc4_*`), and the host tests implement it with
//! the RustCrypto crates. Everything above this module (NTLMv2, the SMB3 KDF,
//! the preauth hash, signing, encryption) is written against the trait only.
//!
//! # Why a generic trait and not a trait object
//!
//! The incremental hashes and MACs are associated types, so their state lives
//! by value on the caller's stack (`struct hmac_sha256_ctx` and friends in the
//! kernel), with no allocation, no boxing and no vtable. That makes the trait
//! not object-safe; callers use it as `P: CryptoProvider`. There is exactly one
//! implementation per build, so monomorphisation costs nothing. The message
//! bodies, on the other hand, are passed as `&dyn Segments` /
//! `&mut dyn SegmentsMut`, so one instance of each AEAD method serves every
//! kind of buffer (a header array, a page list, a bio_vec walk).
//!
//! # Multi-segment input
//!
//! Every primitive that sees a whole PDU takes it as a sequence of segments
//! (the header first, then the payload pages) so a 4 MiB WRITE living in many
//! pages is processed without copying it into one buffer. The AEAD methods
//! take the additional authenticated data and the in-place data both as
//! segments; an implementation over a one-shot, contiguous-buffer library API
//! may gather them into a scratch buffer, the trait permits that, but one over
//! an incremental API (or a scatterlist) need not.

pub mod ct;
pub mod segments;

pub use self::ct::constant_time_eq;
pub use self::segments::{Segments, SegmentsMut};

use super::error::{Error, Result};

/// Length of the authentication tag of every SMB3 AEAD cipher and of
/// AES-GMAC (MS-SMB2 §2.2.41, §3.1.4.1).
pub const AEAD_TAG_LEN: usize = 16;

/// An incremental hash or MAC producing `N` bytes: `update` any number of
/// times, then `finish`.
///
/// Implemented by the provider's associated types; the state is owned by
/// value so it can live on the stack.
pub trait IncrementalDigest<const N: usize> {
    /// Absorbs `data`.
    fn update(&mut self, data: &[u8]);
    /// Consumes the state and returns the digest.
    fn finish(self) -> [u8; N];
}

/// An SMB 3.x encryption cipher (MS-SMB2 §2.2.3.1.2, `Ciphers`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cipher {
    /// AES-128-CCM, cipher id 0x0001: the only cipher of SMB 3.0 and 3.0.2.
    Aes128Ccm,
    /// AES-128-GCM, cipher id 0x0002.
    Aes128Gcm,
    /// AES-256-CCM, cipher id 0x0003.
    Aes256Ccm,
    /// AES-256-GCM, cipher id 0x0004.
    Aes256Gcm,
}

impl Cipher {
    /// The cipher's id in SMB2_ENCRYPTION_CAPABILITIES (MS-SMB2 §2.2.3.1.2).
    pub const fn id(self) -> u16 {
        match self {
            Cipher::Aes128Ccm => 0x0001,
            Cipher::Aes128Gcm => 0x0002,
            Cipher::Aes256Ccm => 0x0003,
            Cipher::Aes256Gcm => 0x0004,
        }
    }

    /// The cipher with the given id, or [`Error::Unsupported`].
    pub const fn from_id(id: u16) -> Result<Self> {
        match id {
            0x0001 => Ok(Cipher::Aes128Ccm),
            0x0002 => Ok(Cipher::Aes128Gcm),
            0x0003 => Ok(Cipher::Aes256Ccm),
            0x0004 => Ok(Cipher::Aes256Gcm),
            _ => Err(Error::Unsupported),
        }
    }

    /// Key length in bytes: 16 for AES-128, 32 for AES-256.
    pub const fn key_len(self) -> usize {
        match self {
            Cipher::Aes128Ccm | Cipher::Aes128Gcm => 16,
            Cipher::Aes256Ccm | Cipher::Aes256Gcm => 32,
        }
    }

    /// AEAD nonce length in bytes: 11 for CCM, 12 for GCM (MS-SMB2 §2.2.41).
    pub const fn nonce_len(self) -> usize {
        if self.is_gcm() {
            12
        } else {
            11
        }
    }

    /// True for the GCM ciphers.
    pub const fn is_gcm(self) -> bool {
        matches!(self, Cipher::Aes128Gcm | Cipher::Aes256Gcm)
    }
}

/// The primitives the codec needs, implemented by the kernel over lib/crypto
/// and by the host tests over RustCrypto.
///
/// No method may panic. Key and nonce lengths passed by this codec always
/// match the algorithm (checked before the call); an implementation may still
/// return [`Error::Malformed`] if they do not.
pub trait CryptoProvider {
    /// HMAC-MD5 state (RFC 2104 over MD5), 16-byte output.
    type HmacMd5: IncrementalDigest<16>;
    /// HMAC-SHA256 state, 32-byte output.
    type HmacSha256: IncrementalDigest<32>;
    /// SHA-512 state, 64-byte output.
    type Sha512: IncrementalDigest<64>;
    /// AES-128-CMAC state (RFC 4493), 16-byte output.
    type AesCmac: IncrementalDigest<16>;

    /// MD4 of `data` in one shot (RFC 1320), for the NT hash (MS-NLMP §3.3.1).
    fn md4(&self, data: &[u8]) -> [u8; 16];

    /// Starts an HMAC-MD5 with `key` (any length).
    fn hmac_md5(&self, key: &[u8]) -> Self::HmacMd5;

    /// Starts an HMAC-SHA256 with `key` (any length).
    fn hmac_sha256(&self, key: &[u8]) -> Self::HmacSha256;

    /// Starts a SHA-512.
    fn sha512(&self) -> Self::Sha512;

    /// Starts an AES-128-CMAC with `key`.
    fn aes_cmac(&self, key: &[u8; 16]) -> Self::AesCmac;

    /// AEAD encryption in place.
    ///
    /// `key` is `cipher.key_len()` bytes and `nonce` is `cipher.nonce_len()`
    /// bytes. `aad` is authenticated only; `data` is encrypted in place,
    /// segment by segment, as if the segments were one contiguous buffer.
    /// The 16-byte tag is written to `tag`. With an empty `data` and
    /// [`Cipher::Aes128Gcm`] this is AES-GMAC (RFC 4543), used for signing.
    fn aead_seal(
        &self,
        cipher: Cipher,
        key: &[u8],
        nonce: &[u8],
        aad: &dyn Segments,
        data: &mut dyn SegmentsMut,
        tag: &mut [u8; AEAD_TAG_LEN],
    ) -> Result<()>;

    /// AEAD decryption in place and tag check.
    ///
    /// Same layout as [`CryptoProvider::aead_seal`]. Returns
    /// [`Error::BadSignature`] if `tag` does not verify; the contents of
    /// `data` are then unspecified (the codec wipes them).
    fn aead_open(
        &self,
        cipher: Cipher,
        key: &[u8],
        nonce: &[u8],
        aad: &dyn Segments,
        data: &mut dyn SegmentsMut,
        tag: &[u8; AEAD_TAG_LEN],
    ) -> Result<()>;

    /// RC4 (ARC4) keystream XOR over `data` in place, from a fresh key
    /// schedule of `key`. Used once per session for NTLM key exchange
    /// (MS-NLMP §3.1.5.1.2).
    fn arc4(&self, key: &[u8], data: &mut [u8]);
}

/// Feeds every segment of `input` to `digest`.
pub(crate) fn update_segments<const N: usize, D: IncrementalDigest<N>>(
    digest: &mut D,
    input: &dyn Segments,
) {
    input.for_each_segment(&mut |seg| digest.update(seg));
}
