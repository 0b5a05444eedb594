// SPDX-License-Identifier: GPL-2.0
//! Direct-TCP framing (MS-SMB2 §2.1, RFC 1002 session message header) and
//! recognition of what an SMB2 message starts with.
//!
//! Over TCP port 445 every SMB2 message is preceded by 4 bytes: a zero byte
//! and a 24-bit big-endian length of the message that follows.

use super::error::{Error, Result};
use super::header::{HEADER_LEN, PROTOCOL_ID};
use super::transform::{TRANSFORM_HEADER_LEN, TRANSFORM_PROTOCOL_ID};

/// Length of the direct-TCP frame header.
pub const FRAME_HEADER_LEN: usize = 4;
/// Largest message length the 24-bit length field can carry.
pub const MAX_FRAME_PAYLOAD: usize = 0x00FF_FFFF;
/// ProtocolId of the SMB2 compression transform header (§2.2.42).
pub const COMPRESSION_PROTOCOL_ID: [u8; 4] = [0xFC, b'S', b'M', b'B'];
/// ProtocolId of an SMB1 message (a server that does not speak SMB2).
pub const SMB1_PROTOCOL_ID: [u8; 4] = [0xFF, b'S', b'M', b'B'];

/// Decodes the 4-byte frame header at the start of `buf` and returns the
/// length of the message that follows.
///
/// `Truncated` if fewer than 4 bytes, `Malformed` if the first byte is not 0
/// (NetBIOS session types other than "session message" are not used on
/// port 445).
pub fn decode_frame_length(buf: &[u8]) -> Result<usize> {
    let h = buf.get(..FRAME_HEADER_LEN).ok_or(Error::Truncated)?;
    let mut b = [0u8; 4];
    b.copy_from_slice(h);
    if b[0] != 0 {
        return Err(Error::Malformed);
    }
    usize::try_from(u32::from_be_bytes(b)).map_err(|_| Error::Overflow)
}

/// Writes the frame header for a message of `len` bytes into `out[..4]`;
/// returns 4. `Oversized` if `len` exceeds 2^24 - 1.
pub fn encode_frame_length(len: usize, out: &mut [u8]) -> Result<usize> {
    if len > MAX_FRAME_PAYLOAD {
        return Err(Error::Oversized);
    }
    let v = u32::try_from(len).map_err(|_| Error::Oversized)?;
    let dst = out
        .get_mut(..FRAME_HEADER_LEN)
        .ok_or(Error::BufferTooSmall)?;
    dst.copy_from_slice(&v.to_be_bytes());
    Ok(FRAME_HEADER_LEN)
}

/// What an SMB2 message (after the frame header) starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    /// A plain SMB2 header (ProtocolId `0xFE 'S' 'M' 'B'`, §2.2.1).
    Smb2,
    /// An SMB2 TRANSFORM_HEADER (ProtocolId `0xFD 'S' 'M' 'B'`, §2.2.41).
    Transform,
}

/// Identifies the message kind from its first 4 bytes.
///
/// `Truncated` if fewer than 4 bytes; `Unsupported` for the compression
/// transform header (§2.2.42, ProtocolId `0xFC 'S' 'M' 'B'`) and for SMB1;
/// `Malformed` for anything else.
pub fn message_kind(msg: &[u8]) -> Result<MessageKind> {
    let id = msg.get(..4).ok_or(Error::Truncated)?;
    if id == PROTOCOL_ID {
        Ok(MessageKind::Smb2)
    } else if id == TRANSFORM_PROTOCOL_ID {
        Ok(MessageKind::Transform)
    } else if id == COMPRESSION_PROTOCOL_ID || id == SMB1_PROTOCOL_ID {
        Err(Error::Unsupported)
    } else {
        Err(Error::Malformed)
    }
}

/// The smallest number of bytes of a message of this kind needed before its
/// header can be decoded (64 or 52).
pub fn min_header_len(kind: MessageKind) -> usize {
    match kind {
        MessageKind::Smb2 => HEADER_LEN,
        MessageKind::Transform => TRANSFORM_HEADER_LEN,
    }
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

    #[test]
    fn frame_length_round_trip() {
        let mut b = [0xAAu8; 4];
        assert_eq!(encode_frame_length(0x01_2345, &mut b).unwrap(), 4);
        assert_eq!(b, [0x00, 0x01, 0x23, 0x45]);
        assert_eq!(decode_frame_length(&b).unwrap(), 0x01_2345);
        encode_frame_length(MAX_FRAME_PAYLOAD, &mut b).unwrap();
        assert_eq!(b, [0, 0xFF, 0xFF, 0xFF]);
    }

    #[test]
    fn frame_length_errors() {
        assert_eq!(decode_frame_length(&[0, 0, 1]), Err(Error::Truncated));
        assert_eq!(decode_frame_length(&[0x85, 0, 0, 0]), Err(Error::Malformed));
        let mut b = [0u8; 4];
        assert_eq!(
            encode_frame_length(0x0100_0000, &mut b),
            Err(Error::Oversized)
        );
        assert_eq!(
            encode_frame_length(1, &mut b[..3]),
            Err(Error::BufferTooSmall)
        );
    }

    #[test]
    fn message_kinds() {
        assert_eq!(
            message_kind(&[0xFE, b'S', b'M', b'B']),
            Ok(MessageKind::Smb2)
        );
        assert_eq!(
            message_kind(&[0xFD, b'S', b'M', b'B', 0]),
            Ok(MessageKind::Transform)
        );
        assert_eq!(
            message_kind(&[0xFC, b'S', b'M', b'B']),
            Err(Error::Unsupported)
        );
        assert_eq!(
            message_kind(&[0xFF, b'S', b'M', b'B']),
            Err(Error::Unsupported)
        );
        assert_eq!(
            message_kind(&[0xFE, b'S', b'M', b'X']),
            Err(Error::Malformed)
        );
        assert_eq!(message_kind(&[0xFE, b'S']), Err(Error::Truncated));
        assert_eq!(min_header_len(MessageKind::Transform), 52);
    }
}
