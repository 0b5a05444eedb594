// SPDX-License-Identifier: GPL-2.0
//! SMB2 message signing and verification (MS-SMB2 §3.1.4.1, §3.1.5.1).
//!
//! Both work on the raw bytes of one PDU before any decoding, given as a
//! header segment (at least the 64-byte SMB2 header; it may carry the body
//! too) followed by any number of payload segments. For a compounded
//! request or response each PDU is signed on its own, including its padding.
//!
//! * SMB 2.0.2 / 2.1: HMAC-SHA256 with `Session.SessionKey`, truncated to 16
//!   bytes.
//! * SMB 3.x: AES-128-CMAC with the derived signing key.
//! * SMB 3.1.1 with SMB2_SIGNING_CAPABILITIES selecting it: AES-128-GMAC,
//!   i.e. AES-128-GCM over an empty plaintext with the whole PDU as the
//!   additional data and a nonce of MessageId (8 bytes) followed by a
//!   little-endian 32-bit word whose bit 0 is set for a message sent by the
//!   server and bit 1 for an SMB2 CANCEL request.
//!
//! Verification never writes the input: it feeds header bytes 0..48, sixteen
//! zero bytes, then the rest, and compares in constant time.

use super::crypto::segments::Chain3;
use super::crypto::{
    constant_time_eq, update_segments, Cipher, CryptoProvider, IncrementalDigest, Segments,
    AEAD_TAG_LEN,
};
use super::error::{Error, Result};

/// Length of the SMB2 header.
const HEADER_LEN: usize = 64;
/// Offset of Flags in the SMB2 header.
const FLAGS_OFFSET: usize = 16;
/// Offset of Command in the SMB2 header.
const COMMAND_OFFSET: usize = 12;
/// Offset of MessageId in the SMB2 header.
const MESSAGE_ID_OFFSET: usize = 24;
/// Offset of the 16-byte Signature in the SMB2 header.
const SIGNATURE_OFFSET: usize = 48;
/// SMB2_FLAGS_SERVER_TO_REDIR: the message is a response.
const FLAG_SERVER_TO_REDIR: u32 = 0x0000_0001;
/// SMB2_FLAGS_SIGNED.
const FLAG_SIGNED: u32 = 0x0000_0008;
/// SMB2 CANCEL command code.
const COMMAND_CANCEL: u16 = 0x000C;
/// ProtocolId of an SMB2 header.
const PROTOCOL_ID: [u8; 4] = [0xFE, b'S', b'M', b'B'];

/// Length of an SMB2 signature and of every signing key.
pub const SIGNATURE_LEN: usize = 16;

/// A signing algorithm (MS-SMB2 §2.2.3.1.7 ids, §3.1.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigningAlgorithm {
    /// HMAC-SHA256 truncated to 16 bytes: SMB 2.0.2 and 2.1 (id 0x0000).
    HmacSha256,
    /// AES-128-CMAC: SMB 3.x default (id 0x0001).
    AesCmac,
    /// AES-128-GMAC: SMB 3.1.1 when negotiated (id 0x0002).
    AesGmac,
}

impl SigningAlgorithm {
    /// The SMB2_SIGNING_CAPABILITIES id.
    pub const fn id(self) -> u16 {
        match self {
            SigningAlgorithm::HmacSha256 => 0x0000,
            SigningAlgorithm::AesCmac => 0x0001,
            SigningAlgorithm::AesGmac => 0x0002,
        }
    }

    /// The algorithm with the given id, or [`Error::Unsupported`].
    pub const fn from_id(id: u16) -> Result<Self> {
        match id {
            0x0000 => Ok(SigningAlgorithm::HmacSha256),
            0x0001 => Ok(SigningAlgorithm::AesCmac),
            0x0002 => Ok(SigningAlgorithm::AesGmac),
            _ => Err(Error::Unsupported),
        }
    }
}

/// Signs a PDU in place: sets SMB2_FLAGS_SIGNED in the header, then writes
/// the signature computed over the PDU (signature field zeroed) into it.
///
/// `header` must start with an SMB2 header ([`Error::Truncated`] if shorter
/// than 64 bytes, [`Error::Malformed`] if the ProtocolId is not 0xFE 'SMB').
pub fn sign<P: CryptoProvider, S: Segments + ?Sized>(
    provider: &P,
    algorithm: SigningAlgorithm,
    key: &[u8; SIGNATURE_LEN],
    header: &mut [u8],
    rest: &S,
) -> Result<()> {
    check_header(header)?;
    let flags = read_u32(header, FLAGS_OFFSET)?;
    write_bytes(header, FLAGS_OFFSET, &(flags | FLAG_SIGNED).to_le_bytes())?;
    let signature = compute_signature(provider, algorithm, key, header, rest)?;
    write_bytes(header, SIGNATURE_OFFSET, &signature)
}

/// Verifies a PDU's signature without modifying it. Returns
/// [`Error::BadSignature`] on mismatch.
///
/// The SIGNED flag is not required here: whether a message must be signed
/// is the caller's policy, and the flag is covered by the signature.
pub fn verify<P: CryptoProvider, S: Segments + ?Sized>(
    provider: &P,
    algorithm: SigningAlgorithm,
    key: &[u8; SIGNATURE_LEN],
    header: &[u8],
    rest: &S,
) -> Result<()> {
    check_header(header)?;
    let expected = compute_signature(provider, algorithm, key, header, rest)?;
    let received = header
        .get(SIGNATURE_OFFSET..HEADER_LEN)
        .ok_or(Error::Truncated)?;
    if constant_time_eq(&expected, received) {
        Ok(())
    } else {
        Err(Error::BadSignature)
    }
}

/// The signature of a PDU, computed as if its signature field were zero.
pub fn compute_signature<P: CryptoProvider, S: Segments + ?Sized>(
    provider: &P,
    algorithm: SigningAlgorithm,
    key: &[u8; SIGNATURE_LEN],
    header: &[u8],
    rest: &S,
) -> Result<[u8; SIGNATURE_LEN]> {
    check_header(header)?;
    let before = header.get(..SIGNATURE_OFFSET).ok_or(Error::Truncated)?;
    let after = header.get(HEADER_LEN..).ok_or(Error::Truncated)?;
    let tail = Chain3 {
        first: &after,
        second: &rest,
        third: &[0u8; 0],
    };
    let pdu = Chain3 {
        first: &before,
        second: &[0u8; SIGNATURE_LEN],
        third: &tail,
    };
    match algorithm {
        SigningAlgorithm::HmacSha256 => {
            let mut mac = provider.hmac_sha256(key);
            update_segments(&mut mac, &pdu);
            let full = mac.finish();
            let mut signature = [0u8; SIGNATURE_LEN];
            signature.copy_from_slice(full.get(..SIGNATURE_LEN).ok_or(Error::Truncated)?);
            Ok(signature)
        }
        SigningAlgorithm::AesCmac => {
            let mut mac = provider.aes_cmac(key);
            update_segments(&mut mac, &pdu);
            Ok(mac.finish())
        }
        SigningAlgorithm::AesGmac => {
            let nonce = gmac_nonce(header)?;
            let mut tag = [0u8; AEAD_TAG_LEN];
            provider.aead_seal(
                Cipher::Aes128Gcm,
                key,
                &nonce,
                &pdu,
                &mut [0u8; 0],
                &mut tag,
            )?;
            Ok(tag)
        }
    }
}

/// The AES-GMAC nonce of a PDU (MS-SMB2 §3.1.4.1): MessageId, then a
/// little-endian word with bit 0 = sent by the server, bit 1 = CANCEL.
pub fn gmac_nonce(header: &[u8]) -> Result<[u8; 12]> {
    check_header(header)?;
    let flags = read_u32(header, FLAGS_OFFSET)?;
    let command = header
        .get(COMMAND_OFFSET..COMMAND_OFFSET.saturating_add(2))
        .ok_or(Error::Truncated)?;
    let is_cancel = command == COMMAND_CANCEL.to_le_bytes();
    let mut role: u32 = 0;
    if flags & FLAG_SERVER_TO_REDIR != 0 {
        role |= 1;
    }
    if is_cancel {
        role |= 2;
    }
    let mut nonce = [0u8; 12];
    let message_id = header
        .get(MESSAGE_ID_OFFSET..MESSAGE_ID_OFFSET.saturating_add(8))
        .ok_or(Error::Truncated)?;
    write_bytes(&mut nonce, 0, message_id)?;
    write_bytes(&mut nonce, 8, &role.to_le_bytes())?;
    Ok(nonce)
}

fn check_header(header: &[u8]) -> Result<()> {
    let magic = header.get(..4).ok_or(Error::Truncated)?;
    if header.len() < HEADER_LEN {
        return Err(Error::Truncated);
    }
    if magic != PROTOCOL_ID {
        return Err(Error::Malformed);
    }
    Ok(())
}

fn read_u32(buf: &[u8], off: usize) -> Result<u32> {
    let b = buf
        .get(off..off.saturating_add(4))
        .ok_or(Error::Truncated)?;
    let mut a = [0u8; 4];
    a.copy_from_slice(b);
    Ok(u32::from_le_bytes(a))
}

fn write_bytes(buf: &mut [u8], off: usize, src: &[u8]) -> Result<()> {
    buf.get_mut(off..off.saturating_add(src.len()))
        .ok_or(Error::Truncated)?
        .copy_from_slice(src);
    Ok(())
}
