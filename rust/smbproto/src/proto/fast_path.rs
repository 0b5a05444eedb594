// SPDX-License-Identifier: GPL-2.0
//! Header fast path for the transport's receive path: the few header fields
//! needed to route a PDU (MessageId lookup, credits, async interim
//! responses) without decoding the message.
//!
//! [`peek_header`] never reads past byte 64 and reports `Truncated` until
//! the whole header (64 bytes, or 52 for a transform header) is present, so
//! the caller can wait for more bytes.

use super::error::{Error, Result};
use super::framing::{message_kind, MessageKind};
use super::header::{
    flags, Command, HeaderTarget, HEADER_LEN, OFF_ASYNC_ID, OFF_COMMAND, OFF_CREDITS,
    OFF_CREDIT_CHARGE, OFF_FLAGS, OFF_MESSAGE_ID, OFF_NEXT_COMMAND, OFF_SESSION_ID, OFF_STATUS,
    OFF_STRUCTURE_SIZE, OFF_TREE_ID, UNSOLICITED_MESSAGE_ID,
};
use super::status::code;
use super::transform::{TransformHeader, TRANSFORM_HEADER_LEN};
use super::wire;

/// Routing fields of a plain SMB2 header (MS-SMB2 §2.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderSummary {
    /// MessageId.
    pub message_id: u64,
    /// Raw command code (see [`Command::from_u16`]).
    pub command: u16,
    /// Status.
    pub status: u32,
    /// Flags.
    pub flags: u32,
    /// AsyncId if `ASYNC_COMMAND` is set, else TreeId.
    pub target: HeaderTarget,
    /// SessionId.
    pub session_id: u64,
    /// CreditCharge.
    pub credit_charge: u16,
    /// CreditResponse (CreditRequest in a request).
    pub credit_response: u16,
    /// NextCommand.
    pub next_command: u32,
}

impl HeaderSummary {
    /// The command, if known.
    pub fn command(&self) -> Option<Command> {
        Command::from_u16(self.command)
    }

    /// True if `SERVER_TO_REDIR` is set.
    pub fn is_response(&self) -> bool {
        self.flags & flags::SERVER_TO_REDIR != 0
    }

    /// True if `SIGNED` is set.
    pub fn is_signed(&self) -> bool {
        self.flags & flags::SIGNED != 0
    }

    /// True for an interim response (async, STATUS_PENDING, §3.2.5.1.5):
    /// take its credits and AsyncId, keep waiting for the final response.
    pub fn is_interim(&self) -> bool {
        self.status == code::STATUS_PENDING && matches!(self.target, HeaderTarget::Async { .. })
    }

    /// True for a server-initiated oplock or lease break notification
    /// (MessageId `0xFFFFFFFFFFFFFFFF`, §3.2.5.19).
    pub fn is_unsolicited_break(&self) -> bool {
        self.message_id == UNSOLICITED_MESSAGE_ID && self.command == Command::OplockBreak.to_u16()
    }
}

/// Routing fields of a transform header (§2.2.41): the MessageId is
/// encrypted, so only the SessionId is known before decryption.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransformSummary {
    /// SessionId whose decryption key applies.
    pub session_id: u64,
    /// Size of the encrypted message that follows the 52-byte header.
    pub original_message_size: u32,
}

/// What [`peek_header`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PduPeek {
    /// A plain SMB2 header.
    Smb2(HeaderSummary),
    /// An encryption transform header.
    Transform(TransformSummary),
}

/// Reads the routing fields from the first bytes of a message (just after
/// the 4-byte frame header).
///
/// `Truncated` until 64 bytes (52 for a transform header) are present;
/// `Unsupported` for a compression transform header; `Malformed` for an
/// unknown ProtocolId or a StructureSize other than 64.
pub fn peek_header(msg: &[u8]) -> Result<PduPeek> {
    let head = msg.get(..HEADER_LEN).unwrap_or(msg);
    match message_kind(head)? {
        MessageKind::Transform => {
            let t = head.get(..TRANSFORM_HEADER_LEN).ok_or(Error::Truncated)?;
            let h = TransformHeader::parse(t)?;
            Ok(PduPeek::Transform(TransformSummary {
                session_id: h.session_id,
                original_message_size: h.original_message_size,
            }))
        }
        MessageKind::Smb2 => {
            if head.len() < HEADER_LEN {
                return Err(Error::Truncated);
            }
            if wire::get_u16(head, OFF_STRUCTURE_SIZE)? != 64 {
                return Err(Error::Malformed);
            }
            let flags = wire::get_u32(head, OFF_FLAGS)?;
            let target = if flags & flags::ASYNC_COMMAND != 0 {
                HeaderTarget::Async {
                    async_id: wire::get_u64(head, OFF_ASYNC_ID)?,
                }
            } else {
                HeaderTarget::Sync {
                    tree_id: wire::get_u32(head, OFF_TREE_ID)?,
                }
            };
            Ok(PduPeek::Smb2(HeaderSummary {
                message_id: wire::get_u64(head, OFF_MESSAGE_ID)?,
                command: wire::get_u16(head, OFF_COMMAND)?,
                status: wire::get_u32(head, OFF_STATUS)?,
                flags,
                target,
                session_id: wire::get_u64(head, OFF_SESSION_ID)?,
                credit_charge: wire::get_u16(head, OFF_CREDIT_CHARGE)?,
                credit_response: wire::get_u16(head, OFF_CREDITS)?,
                next_command: wire::get_u32(head, OFF_NEXT_COMMAND)?,
            }))
        }
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
    use super::super::header::Header;
    use super::super::transform::TRANSFORM_FLAG_ENCRYPTED;
    use super::*;

    #[test]
    fn summary_of_interim_async_response() {
        let mut h = Header::request(Command::Read);
        h.flags = flags::SERVER_TO_REDIR;
        h.status = code::STATUS_PENDING;
        h.message_id = 77;
        h.credits = 5;
        h.session_id = 9;
        h.target = HeaderTarget::Async { async_id: 0x55 };
        let mut b = [0u8; 80];
        h.emit(&mut b).unwrap();
        let PduPeek::Smb2(s) = peek_header(&b).unwrap() else {
            unreachable!()
        };
        assert_eq!(s.message_id, 77);
        assert_eq!(s.command(), Some(Command::Read));
        assert_eq!(s.credit_response, 5);
        assert_eq!(s.session_id, 9);
        assert_eq!(s.target, HeaderTarget::Async { async_id: 0x55 });
        assert!(s.is_interim());
        assert!(s.is_response());
        assert!(!s.is_unsolicited_break());
    }

    #[test]
    fn needs_full_header() {
        let mut b = [0u8; 64];
        Header::request(Command::Echo).emit(&mut b).unwrap();
        for n in 0..64 {
            assert_eq!(peek_header(&b[..n]), Err(Error::Truncated), "{n}");
        }
        assert!(peek_header(&b).is_ok());
    }

    #[test]
    fn transform_hides_message_id() {
        let t = TransformHeader {
            signature: [0; 16],
            nonce: [0; 16],
            original_message_size: 100,
            flags: TRANSFORM_FLAG_ENCRYPTED,
            session_id: 0xABCD,
        };
        let mut b = [0u8; 52];
        t.emit(&mut b).unwrap();
        assert_eq!(peek_header(&b[..51]), Err(Error::Truncated));
        assert_eq!(
            peek_header(&b),
            Ok(PduPeek::Transform(TransformSummary {
                session_id: 0xABCD,
                original_message_size: 100
            }))
        );
    }

    #[test]
    fn rejects_other_protocols() {
        let mut b = [0u8; 64];
        b[..4].copy_from_slice(&[0xFC, b'S', b'M', b'B']);
        assert_eq!(peek_header(&b), Err(Error::Unsupported));
        b[0] = 0x00;
        assert_eq!(peek_header(&b), Err(Error::Malformed));
        Header::request(Command::Echo).emit(&mut b).unwrap();
        b[4] = 0;
        assert_eq!(peek_header(&b), Err(Error::Malformed));
    }
}
