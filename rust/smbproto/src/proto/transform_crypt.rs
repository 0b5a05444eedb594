// SPDX-License-Identifier: GPL-2.0
//! SMB 3.x message encryption with the SMB2 TRANSFORM_HEADER (MS-SMB2
//! §2.2.41, §3.1.4.3 encrypting, §3.2.5.1.1.1 / §3.3.5.2.1.1 decrypting).
//!
//! ```text
//!  0..4   ProtocolId 0xFD 'S' 'M' 'B'
//!  4..20  Signature: the AEAD tag
//! 20..36  Nonce: 11 bytes (CCM) or 12 bytes (GCM), the rest reserved
//! 36..40  OriginalMessageSize
//! 40..42  Reserved
//! 42..44  Flags/EncryptionAlgorithm = 0x0001 (encrypted)
//! 44..52  SessionId
//! ```
//!
//! The additional authenticated data is bytes 20..52; the whole SMB2 message
//! (one PDU or a compound chain) is the plaintext. Both directions work in
//! place over the message's segments. The nonce comes from the caller: it
//! must never repeat under one key (this crate has no RNG or counter).

use super::crypto::{Cipher, CryptoProvider, SegmentsMut, AEAD_TAG_LEN};
use super::error::{Error, Result};

// Offsets within the header; the public layout and a parsed view live in
// the `transform` module. This module works on raw bytes only.
const HEADER_LEN: usize = 52;
const PROTOCOL_ID: [u8; 4] = [0xFD, b'S', b'M', b'B'];
const FLAG_ENCRYPTED: u16 = 0x0001;
const NONCE_FIELD_LEN: usize = 16;
const SIGNATURE: usize = 4;
const NONCE: usize = 20;
const ORIGINAL_MESSAGE_SIZE: usize = 36;
const FLAGS: usize = 42;
const SESSION_ID: usize = 44;
/// Start of the additional authenticated data (Nonce onwards).
const AAD: usize = NONCE;

/// The fields decryption needs, read from a checked header.
struct CheckedHeader<'a> {
    aad: &'a [u8],
    signature: [u8; AEAD_TAG_LEN],
    nonce_field: [u8; NONCE_FIELD_LEN],
    original_message_size: u32,
    session_id: u64,
}

impl<'a> CheckedHeader<'a> {
    /// Checks length ([`Error::Truncated`]), ProtocolId ([`Error::Malformed`])
    /// and Flags (anything but 0x0001 is [`Error::Unsupported`]).
    fn new(buf: &'a [u8]) -> Result<Self> {
        let header = buf.get(..HEADER_LEN).ok_or(Error::Truncated)?;
        if header.get(..4) != Some(&PROTOCOL_ID[..]) {
            return Err(Error::Malformed);
        }
        if u16::from_le_bytes(field(header, FLAGS)?) != FLAG_ENCRYPTED {
            return Err(Error::Unsupported);
        }
        Ok(Self {
            aad: header.get(AAD..).ok_or(Error::Truncated)?,
            signature: field(header, SIGNATURE)?,
            nonce_field: field(header, NONCE)?,
            original_message_size: u32::from_le_bytes(field(header, ORIGINAL_MESSAGE_SIZE)?),
            session_id: u64::from_le_bytes(field(header, SESSION_ID)?),
        })
    }
}

fn field<const N: usize>(buf: &[u8], off: usize) -> Result<[u8; N]> {
    buf.get(off..off.saturating_add(N))
        .and_then(|b| b.try_into().ok())
        .ok_or(Error::Truncated)
}

/// Encrypts `message` in place and writes the TRANSFORM_HEADER into the
/// first 52 bytes (`transform::TRANSFORM_HEADER_LEN`) of `header_out`
/// (MS-SMB2 §3.1.4.3).
///
/// `key` must be `cipher.key_len()` bytes. `nonce` is either the AEAD nonce
/// (`cipher.nonce_len()` bytes; the rest of the field is zeroed) or the full
/// 16-byte Nonce field (written as is, AEAD nonce first). Other lengths are
/// [`Error::Malformed`]; a message over 4 GiB is [`Error::Oversized`].
pub fn encrypt_in_place<P: CryptoProvider, M: SegmentsMut + ?Sized>(
    provider: &P,
    cipher: Cipher,
    key: &[u8],
    nonce: &[u8],
    session_id: u64,
    header_out: &mut [u8],
    message: &mut M,
) -> Result<()> {
    if key.len() != cipher.key_len() {
        return Err(Error::Malformed);
    }
    let mut nonce_field = [0u8; NONCE_FIELD_LEN];
    if nonce.len() == cipher.nonce_len() || nonce.len() == NONCE_FIELD_LEN {
        nonce_field
            .get_mut(..nonce.len())
            .ok_or(Error::Malformed)?
            .copy_from_slice(nonce);
    } else {
        return Err(Error::Malformed);
    }
    let size = u32::try_from(message.total_len()).map_err(|_| Error::Oversized)?;
    let header = header_out
        .get_mut(..HEADER_LEN)
        .ok_or(Error::BufferTooSmall)?;
    header.fill(0);
    put(header, 0, &PROTOCOL_ID)?;
    put(header, NONCE, &nonce_field)?;
    put(header, ORIGINAL_MESSAGE_SIZE, &size.to_le_bytes())?;
    put(header, FLAGS, &FLAG_ENCRYPTED.to_le_bytes())?;
    put(header, SESSION_ID, &session_id.to_le_bytes())?;
    let aead_nonce = nonce_field
        .get(..cipher.nonce_len())
        .ok_or(Error::Malformed)?;
    let aad = header.get(AAD..).ok_or(Error::BufferTooSmall)?;
    let mut tag = [0u8; AEAD_TAG_LEN];
    let mut data = message;
    provider.aead_seal(cipher, key, aead_nonce, &aad, &mut data, &mut tag)?;
    put(header, SIGNATURE, &tag)
}

/// Checks a TRANSFORM_HEADER against the caller's session, then decrypts
/// `message` (the bytes after the header) in place and verifies the tag
/// (MS-SMB2 §3.2.5.1.1.1). To pick the session (and key) first, read the
/// SessionId with the `transform` module's parser.
///
/// Errors, checked in this order: a short header [`Error::Truncated`]; wrong
/// ProtocolId [`Error::Malformed`]; Flags other than 0x0001
/// [`Error::Unsupported`]; SessionId not `expected_session_id`
/// [`Error::Malformed`]; OriginalMessageSize larger than `message`
/// [`Error::Truncated`], smaller [`Error::Malformed`]; a key of the wrong
/// length [`Error::Malformed`]; a tag that does not verify
/// [`Error::BadSignature`], in which case `message` is zeroed so no
/// unauthenticated plaintext survives.
pub fn decrypt_in_place<P: CryptoProvider, M: SegmentsMut + ?Sized>(
    provider: &P,
    cipher: Cipher,
    key: &[u8],
    expected_session_id: u64,
    header: &[u8],
    message: &mut M,
) -> Result<()> {
    let view = CheckedHeader::new(header)?;
    if view.session_id != expected_session_id {
        return Err(Error::Malformed);
    }
    let size = usize::try_from(view.original_message_size).map_err(|_| Error::Oversized)?;
    let available = message.total_len();
    if size > available {
        return Err(Error::Truncated);
    }
    if size < available {
        return Err(Error::Malformed);
    }
    if key.len() != cipher.key_len() {
        return Err(Error::Malformed);
    }
    let aead_nonce = view
        .nonce_field
        .get(..cipher.nonce_len())
        .ok_or(Error::Malformed)?;
    let mut data = message;
    let opened = provider.aead_open(
        cipher,
        key,
        aead_nonce,
        &view.aad,
        &mut data,
        &view.signature,
    );
    if opened.is_err() {
        data.for_each_segment_mut(&mut |seg| seg.fill(0));
    }
    opened
}

fn put(buf: &mut [u8], off: usize, src: &[u8]) -> Result<()> {
    buf.get_mut(off..off.saturating_add(src.len()))
        .ok_or(Error::BufferTooSmall)?
        .copy_from_slice(src);
    Ok(())
}
