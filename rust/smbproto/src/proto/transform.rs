// SPDX-License-Identifier: GPL-2.0
//! The SMB2 TRANSFORM_HEADER that precedes an encrypted message
//! (MS-SMB2 §2.2.41).
//!
//! | off | size | field |
//! |----:|----:|-------|
//! | 0 | 4 | ProtocolId `0xFD 'S' 'M' 'B'` |
//! | 4 | 16 | Signature (the AEAD tag) |
//! | 20 | 16 | Nonce (11 bytes used by CCM, 12 by GCM, rest zero) |
//! | 36 | 4 | OriginalMessageSize |
//! | 40 | 2 | Reserved |
//! | 42 | 2 | Flags (3.1.1) / EncryptionAlgorithm (3.0): `0x0001` |
//! | 44 | 8 | SessionId |
//!
//! The AEAD additional data is bytes 20..52 (§3.1.4.3); the ciphertext of
//! OriginalMessageSize bytes follows the header. The cipher itself lives in
//! the `transform_crypt` module.

use super::error::{Error, Result};
use super::wire;

/// Length of the transform header.
pub const TRANSFORM_HEADER_LEN: usize = 52;
/// ProtocolId of the transform header.
pub const TRANSFORM_PROTOCOL_ID: [u8; 4] = [0xFD, b'S', b'M', b'B'];
/// Bytes of the header that form the AEAD additional authenticated data:
/// Nonce through SessionId (§3.1.4.3).
pub const TRANSFORM_AAD_RANGE: core::ops::Range<usize> = 20..52;
/// Bytes of the Signature (AEAD tag) field.
pub const TRANSFORM_SIGNATURE_RANGE: core::ops::Range<usize> = 4..20;
/// Bytes of the Nonce field.
pub const TRANSFORM_NONCE_RANGE: core::ops::Range<usize> = 20..36;
/// Flags value "encrypted" (3.1.1); the same value means AES-128-CCM in the
/// 3.0 EncryptionAlgorithm field.
pub const TRANSFORM_FLAG_ENCRYPTED: u16 = 0x0001;
/// Nonce bytes an AES-CCM key uses (§2.2.41).
pub const CCM_NONCE_LEN: usize = 11;
/// Nonce bytes an AES-GCM key uses (§2.2.41).
pub const GCM_NONCE_LEN: usize = 12;

const OFF_SIGNATURE: usize = 4;
const OFF_NONCE: usize = 20;
const OFF_ORIGINAL_SIZE: usize = 36;
const OFF_FLAGS: usize = 42;
const OFF_SESSION_ID: usize = 44;

/// A parsed transform header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransformHeader {
    /// The AEAD authentication tag.
    pub signature: [u8; 16],
    /// The nonce (unused trailing bytes zero).
    pub nonce: [u8; 16],
    /// Length of the plaintext message (and of the ciphertext).
    pub original_message_size: u32,
    /// Flags / EncryptionAlgorithm; `TRANSFORM_FLAG_ENCRYPTED` in practice.
    pub flags: u16,
    /// SessionId whose keys encrypt the message.
    pub session_id: u64,
}

impl TransformHeader {
    /// Parses the first 52 bytes of `msg`.
    ///
    /// `Truncated` if shorter than 52 bytes; `Malformed` on a wrong
    /// ProtocolId.
    pub fn parse(msg: &[u8]) -> Result<Self> {
        let h = msg.get(..TRANSFORM_HEADER_LEN).ok_or(Error::Truncated)?;
        if h.get(..4) != Some(&TRANSFORM_PROTOCOL_ID[..]) {
            return Err(Error::Malformed);
        }
        let mut signature = [0u8; 16];
        signature.copy_from_slice(wire::slice(h, OFF_SIGNATURE, 16)?);
        let mut nonce = [0u8; 16];
        nonce.copy_from_slice(wire::slice(h, OFF_NONCE, 16)?);
        Ok(Self {
            signature,
            nonce,
            original_message_size: wire::get_u32(h, OFF_ORIGINAL_SIZE)?,
            flags: wire::get_u16(h, OFF_FLAGS)?,
            session_id: wire::get_u64(h, OFF_SESSION_ID)?,
        })
    }

    /// Writes the header into `out[..52]`; returns 52.
    pub fn emit(&self, out: &mut [u8]) -> Result<usize> {
        let h = out
            .get_mut(..TRANSFORM_HEADER_LEN)
            .ok_or(Error::BufferTooSmall)?;
        h.fill(0);
        wire::put_bytes(h, 0, &TRANSFORM_PROTOCOL_ID)?;
        wire::put_bytes(h, OFF_SIGNATURE, &self.signature)?;
        wire::put_bytes(h, OFF_NONCE, &self.nonce)?;
        wire::put_u32(h, OFF_ORIGINAL_SIZE, self.original_message_size)?;
        wire::put_u16(h, OFF_FLAGS, self.flags)?;
        wire::put_u64(h, OFF_SESSION_ID, self.session_id)?;
        Ok(TRANSFORM_HEADER_LEN)
    }

    /// Length of the whole framed message: 52 + OriginalMessageSize.
    pub fn message_len(&self) -> Result<usize> {
        usize::try_from(self.original_message_size)
            .map_err(|_| Error::Overflow)?
            .checked_add(TRANSFORM_HEADER_LEN)
            .ok_or(Error::Overflow)
    }
}

/// The AEAD additional data of the transform header at the start of `msg`
/// (bytes 20..52).
pub fn transform_aad(msg: &[u8]) -> Result<&[u8]> {
    msg.get(TRANSFORM_AAD_RANGE).ok_or(Error::Truncated)
}

/// The 16-byte Nonce field of the transform header at the start of `msg`.
pub fn transform_nonce(msg: &[u8]) -> Result<&[u8]> {
    msg.get(TRANSFORM_NONCE_RANGE).ok_or(Error::Truncated)
}

/// Writes the Nonce field (bytes 20..36); `nonce` is at most 16 bytes and the
/// rest of the field is zeroed.
pub fn set_transform_nonce(msg: &mut [u8], nonce: &[u8]) -> Result<()> {
    if nonce.len() > 16 {
        return Err(Error::Oversized);
    }
    let f = msg
        .get_mut(TRANSFORM_NONCE_RANGE)
        .ok_or(Error::BufferTooSmall)?;
    f.fill(0);
    wire::put_bytes(f, 0, nonce)
}

/// The Signature (AEAD tag) field of the transform header at the start of
/// `msg`.
pub fn transform_signature(msg: &[u8]) -> Result<&[u8]> {
    msg.get(TRANSFORM_SIGNATURE_RANGE).ok_or(Error::Truncated)
}

/// Writes the Signature (AEAD tag) field.
pub fn set_transform_signature(msg: &mut [u8], tag: &[u8; 16]) -> Result<()> {
    wire::put_bytes(msg, OFF_SIGNATURE, tag)
}

/// The encrypted payload following the header, checked to be exactly
/// OriginalMessageSize bytes.
///
/// `Truncated` if shorter, `Oversized` if longer, `Malformed` on a wrong
/// ProtocolId.
pub fn transform_payload(msg: &[u8]) -> Result<&[u8]> {
    let h = TransformHeader::parse(msg)?;
    let want = h.message_len()?;
    match msg.len().cmp(&want) {
        core::cmp::Ordering::Less => Err(Error::Truncated),
        core::cmp::Ordering::Greater => Err(Error::Oversized),
        core::cmp::Ordering::Equal => msg.get(TRANSFORM_HEADER_LEN..).ok_or(Error::Truncated),
    }
}

/// Mutable access to the payload following the header (for in-place
/// encryption and decryption), checked as in [`transform_payload`].
pub fn transform_payload_mut(msg: &mut [u8]) -> Result<&mut [u8]> {
    transform_payload(msg)?;
    msg.get_mut(TRANSFORM_HEADER_LEN..).ok_or(Error::Truncated)
}

#[cfg(test)]
#[cfg_attr(
    test,
    allow(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::arithmetic_side_effects
    )
)]
mod tests {
    use super::*;

    fn sample() -> TransformHeader {
        TransformHeader {
            signature: [0x11; 16],
            nonce: [
                0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2A, 0x2B, 0x2C, 0, 0, 0, 0, 0,
            ],
            original_message_size: 3,
            flags: TRANSFORM_FLAG_ENCRYPTED,
            session_id: 0x0102_0304_0506_0708,
        }
    }

    #[test]
    fn layout() {
        // MS-SMB2 §2.2.41 field offsets.
        let mut b = [0u8; 55];
        assert_eq!(sample().emit(&mut b).unwrap(), 52);
        assert_eq!(&b[0..4], &[0xFD, b'S', b'M', b'B']);
        assert_eq!(&b[4..20], &[0x11; 16]);
        assert_eq!(b[20], 0x22);
        assert_eq!(&b[36..40], &[3, 0, 0, 0]);
        assert_eq!(&b[40..42], &[0, 0]);
        assert_eq!(&b[42..44], &[1, 0]);
        assert_eq!(&b[44..52], &[8, 7, 6, 5, 4, 3, 2, 1]);
        assert_eq!(TransformHeader::parse(&b).unwrap(), sample());
        assert_eq!(transform_aad(&b).unwrap(), &b[20..52]);
        assert_eq!(
            transform_nonce(&b).unwrap()[..11],
            sample().nonce[..CCM_NONCE_LEN]
        );
        assert_eq!(transform_payload(&b).unwrap().len(), 3);
        assert_eq!(transform_payload(&b[..54]), Err(Error::Truncated));
        let mut longer = [0u8; 56];
        longer[..55].copy_from_slice(&b);
        assert_eq!(transform_payload(&longer), Err(Error::Oversized));
    }

    #[test]
    fn accessors_write() {
        let mut b = [0u8; 52];
        sample().emit(&mut b).unwrap();
        set_transform_signature(&mut b, &[9; 16]).unwrap();
        assert_eq!(transform_signature(&b).unwrap(), &[9; 16]);
        set_transform_nonce(&mut b, &[1; GCM_NONCE_LEN]).unwrap();
        assert_eq!(&b[20..32], &[1; 12]);
        assert_eq!(&b[32..36], &[0; 4]);
        assert_eq!(set_transform_nonce(&mut b, &[0; 17]), Err(Error::Oversized));
    }

    #[test]
    fn bad_input() {
        let mut b = [0u8; 52];
        sample().emit(&mut b).unwrap();
        assert_eq!(TransformHeader::parse(&b[..51]), Err(Error::Truncated));
        assert_eq!(transform_aad(&b[..51]), Err(Error::Truncated));
        b[0] = 0xFE;
        assert_eq!(TransformHeader::parse(&b), Err(Error::Malformed));
        let h = TransformHeader {
            original_message_size: u32::MAX,
            ..sample()
        };
        assert!(h.message_len().is_ok());
    }
}
