// SPDX-License-Identifier: GPL-2.0
//! The 64-byte SMB2 packet header, sync and async forms (MS-SMB2 §2.2.1).
//!
//! Layout (offsets from the first byte of the header):
//!
//! | off | size | field |
//! |----:|----:|-------|
//! | 0 | 4 | ProtocolId `0xFE 'S' 'M' 'B'` |
//! | 4 | 2 | StructureSize (64) |
//! | 6 | 2 | CreditCharge |
//! | 8 | 4 | Status (responses) / ChannelSequence + Reserved (requests) |
//! | 12 | 2 | Command |
//! | 14 | 2 | CreditRequest / CreditResponse |
//! | 16 | 4 | Flags |
//! | 20 | 4 | NextCommand |
//! | 24 | 8 | MessageId |
//! | 32 | 8 | AsyncId (async, §2.2.1.1) or Reserved(4) + TreeId(4) (sync, §2.2.1.2) |
//! | 40 | 8 | SessionId |
//! | 48 | 16 | Signature |

use super::error::{Error, Result};
use super::status::NtStatus;
use super::wire;

/// Length of the SMB2 header in bytes.
pub const HEADER_LEN: usize = 64;
/// ProtocolId of a plain SMB2 message.
pub const PROTOCOL_ID: [u8; 4] = [0xFE, b'S', b'M', b'B'];
/// Byte range of the Signature field inside the header (§2.2.1).
pub const SIGNATURE_RANGE: core::ops::Range<usize> = 48..64;
/// MessageId of server-initiated oplock and lease break notifications
/// (§3.3.4.6, §3.3.4.7).
pub const UNSOLICITED_MESSAGE_ID: u64 = u64::MAX;

pub(super) const OFF_PROTOCOL: usize = 0;
pub(super) const OFF_STRUCTURE_SIZE: usize = 4;
pub(super) const OFF_CREDIT_CHARGE: usize = 6;
pub(super) const OFF_STATUS: usize = 8;
pub(super) const OFF_COMMAND: usize = 12;
pub(super) const OFF_CREDITS: usize = 14;
pub(super) const OFF_FLAGS: usize = 16;
pub(super) const OFF_NEXT_COMMAND: usize = 20;
pub(super) const OFF_MESSAGE_ID: usize = 24;
pub(super) const OFF_ASYNC_ID: usize = 32;
pub(super) const OFF_TREE_ID: usize = 36;
pub(super) const OFF_SESSION_ID: usize = 40;
pub(super) const OFF_SIGNATURE: usize = 48;

/// Header flag bits (MS-SMB2 §2.2.1.1 "Flags").
pub mod flags {
    /// The message is a response.
    pub const SERVER_TO_REDIR: u32 = 0x0000_0001;
    /// The header is the async form: bytes 32..40 carry an AsyncId.
    pub const ASYNC_COMMAND: u32 = 0x0000_0002;
    /// The request or response is a related operation in a compound.
    pub const RELATED_OPERATIONS: u32 = 0x0000_0004;
    /// The message is signed.
    pub const SIGNED: u32 = 0x0000_0008;
    /// Priority value mask (3.1.1).
    pub const PRIORITY_MASK: u32 = 0x0000_0070;
    /// The command is a DFS operation.
    pub const DFS_OPERATIONS: u32 = 0x1000_0000;
    /// The command is a replay (3.x).
    pub const REPLAY_OPERATION: u32 = 0x2000_0000;
}

/// SMB2 command codes (MS-SMB2 §2.2.1.2 "Command").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u16)]
pub enum Command {
    /// SMB2 NEGOTIATE.
    Negotiate = 0x0000,
    /// SMB2 SESSION_SETUP.
    SessionSetup = 0x0001,
    /// SMB2 LOGOFF.
    Logoff = 0x0002,
    /// SMB2 TREE_CONNECT.
    TreeConnect = 0x0003,
    /// SMB2 TREE_DISCONNECT.
    TreeDisconnect = 0x0004,
    /// SMB2 CREATE.
    Create = 0x0005,
    /// SMB2 CLOSE.
    Close = 0x0006,
    /// SMB2 FLUSH.
    Flush = 0x0007,
    /// SMB2 READ.
    Read = 0x0008,
    /// SMB2 WRITE.
    Write = 0x0009,
    /// SMB2 LOCK.
    Lock = 0x000A,
    /// SMB2 IOCTL.
    Ioctl = 0x000B,
    /// SMB2 CANCEL.
    Cancel = 0x000C,
    /// SMB2 ECHO.
    Echo = 0x000D,
    /// SMB2 QUERY_DIRECTORY.
    QueryDirectory = 0x000E,
    /// SMB2 CHANGE_NOTIFY.
    ChangeNotify = 0x000F,
    /// SMB2 QUERY_INFO.
    QueryInfo = 0x0010,
    /// SMB2 SET_INFO.
    SetInfo = 0x0011,
    /// SMB2 OPLOCK_BREAK (oplock and lease break notifications, acks and responses).
    OplockBreak = 0x0012,
    /// SMB2 SERVER_TO_CLIENT_NOTIFICATION (3.1.1).
    ServerToClientNotification = 0x0013,
}

impl Command {
    /// Maps a wire command code to a [`Command`], `None` if unknown.
    pub fn from_u16(v: u16) -> Option<Self> {
        Some(match v {
            0x0000 => Self::Negotiate,
            0x0001 => Self::SessionSetup,
            0x0002 => Self::Logoff,
            0x0003 => Self::TreeConnect,
            0x0004 => Self::TreeDisconnect,
            0x0005 => Self::Create,
            0x0006 => Self::Close,
            0x0007 => Self::Flush,
            0x0008 => Self::Read,
            0x0009 => Self::Write,
            0x000A => Self::Lock,
            0x000B => Self::Ioctl,
            0x000C => Self::Cancel,
            0x000D => Self::Echo,
            0x000E => Self::QueryDirectory,
            0x000F => Self::ChangeNotify,
            0x0010 => Self::QueryInfo,
            0x0011 => Self::SetInfo,
            0x0012 => Self::OplockBreak,
            0x0013 => Self::ServerToClientNotification,
            _ => return None,
        })
    }

    /// The wire command code.
    pub fn to_u16(self) -> u16 {
        self as u16
    }
}

/// What bytes 32..40 of the header identify (§2.2.1.1 vs §2.2.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderTarget {
    /// Sync header: the TreeId (the preceding 4 reserved bytes are ignored).
    Sync {
        /// TreeId of the tree connect the command targets.
        tree_id: u32,
    },
    /// Async header (`ASYNC_COMMAND` set): the server-assigned AsyncId.
    Async {
        /// AsyncId from an interim STATUS_PENDING response.
        async_id: u64,
    },
}

/// A parsed SMB2 header (MS-SMB2 §2.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// CreditCharge: credits this request consumes (§3.1.5.2).
    pub credit_charge: u16,
    /// Status in responses; ChannelSequence (low 16 bits) in 3.x requests.
    pub status: u32,
    /// Command code.
    pub command: Command,
    /// CreditRequest (requests) or CreditResponse (responses).
    pub credits: u16,
    /// Flags (see [`flags`]). On emit, `ASYNC_COMMAND` follows `target`.
    pub flags: u32,
    /// NextCommand: offset of the next PDU in a compound, 0 for the last.
    pub next_command: u32,
    /// MessageId.
    pub message_id: u64,
    /// TreeId or AsyncId.
    pub target: HeaderTarget,
    /// SessionId.
    pub session_id: u64,
    /// Signature (zero when unsigned).
    pub signature: [u8; 16],
}

impl Header {
    /// Parses the first 64 bytes of `pdu` as an SMB2 header.
    ///
    /// Errors: `Truncated` if shorter than 64 bytes, `Malformed` on a wrong
    /// ProtocolId or StructureSize, `Unsupported` on an unknown command.
    pub fn parse(pdu: &[u8]) -> Result<Self> {
        let h = pdu.get(..HEADER_LEN).ok_or(Error::Truncated)?;
        if h.get(..4) != Some(&PROTOCOL_ID[..]) {
            return Err(Error::Malformed);
        }
        if wire::get_u16(h, OFF_STRUCTURE_SIZE)? != 64 {
            return Err(Error::Malformed);
        }
        let command =
            Command::from_u16(wire::get_u16(h, OFF_COMMAND)?).ok_or(Error::Unsupported)?;
        let flags = wire::get_u32(h, OFF_FLAGS)?;
        let target = if flags & flags::ASYNC_COMMAND != 0 {
            HeaderTarget::Async {
                async_id: wire::get_u64(h, OFF_ASYNC_ID)?,
            }
        } else {
            HeaderTarget::Sync {
                tree_id: wire::get_u32(h, OFF_TREE_ID)?,
            }
        };
        let mut signature = [0u8; 16];
        signature.copy_from_slice(wire::slice(h, OFF_SIGNATURE, 16)?);
        Ok(Self {
            credit_charge: wire::get_u16(h, OFF_CREDIT_CHARGE)?,
            status: wire::get_u32(h, OFF_STATUS)?,
            command,
            credits: wire::get_u16(h, OFF_CREDITS)?,
            flags,
            next_command: wire::get_u32(h, OFF_NEXT_COMMAND)?,
            message_id: wire::get_u64(h, OFF_MESSAGE_ID)?,
            target,
            session_id: wire::get_u64(h, OFF_SESSION_ID)?,
            signature,
        })
    }

    /// Writes the header into `out[..64]` and returns 64.
    ///
    /// `ASYNC_COMMAND` is set or cleared to match `target`.
    pub fn emit(&self, out: &mut [u8]) -> Result<usize> {
        let h = out.get_mut(..HEADER_LEN).ok_or(Error::BufferTooSmall)?;
        h.fill(0);
        wire::put_bytes(h, OFF_PROTOCOL, &PROTOCOL_ID)?;
        wire::put_u16(h, OFF_STRUCTURE_SIZE, 64)?;
        wire::put_u16(h, OFF_CREDIT_CHARGE, self.credit_charge)?;
        wire::put_u32(h, OFF_STATUS, self.status)?;
        wire::put_u16(h, OFF_COMMAND, self.command.to_u16())?;
        wire::put_u16(h, OFF_CREDITS, self.credits)?;
        let flags = match self.target {
            HeaderTarget::Sync { tree_id } => {
                wire::put_u32(h, OFF_TREE_ID, tree_id)?;
                self.flags & !flags::ASYNC_COMMAND
            }
            HeaderTarget::Async { async_id } => {
                wire::put_u64(h, OFF_ASYNC_ID, async_id)?;
                self.flags | flags::ASYNC_COMMAND
            }
        };
        wire::put_u32(h, OFF_FLAGS, flags)?;
        wire::put_u32(h, OFF_NEXT_COMMAND, self.next_command)?;
        wire::put_u64(h, OFF_MESSAGE_ID, self.message_id)?;
        wire::put_u64(h, OFF_SESSION_ID, self.session_id)?;
        wire::put_bytes(h, OFF_SIGNATURE, &self.signature)?;
        Ok(HEADER_LEN)
    }

    /// A request header for `command` with everything else zero: sync,
    /// CreditCharge 1, CreditRequest 1.
    pub fn request(command: Command) -> Self {
        Self {
            credit_charge: 1,
            status: 0,
            command,
            credits: 1,
            flags: 0,
            next_command: 0,
            message_id: 0,
            target: HeaderTarget::Sync { tree_id: 0 },
            session_id: 0,
            signature: [0; 16],
        }
    }

    /// True if `SERVER_TO_REDIR` is set.
    pub fn is_response(&self) -> bool {
        self.flags & flags::SERVER_TO_REDIR != 0
    }

    /// True if this is the async header form.
    pub fn is_async(&self) -> bool {
        matches!(self.target, HeaderTarget::Async { .. })
    }

    /// The Status field as an [`NtStatus`].
    pub fn nt_status(&self) -> NtStatus {
        NtStatus::from_u32(self.status)
    }
}

/// A checked, read-only view of the fixed fields of the SMB2 header that
/// starts a PDU, for code that must not parse the whole header (the
/// transport's send and receive paths) and must not know its offsets
/// either. [`HeaderView::new`] checks the length and the ProtocolId once;
/// the accessors cannot fail after that.
#[derive(Clone, Copy, Debug)]
pub struct HeaderView<'a>(&'a [u8; HEADER_LEN]);

impl<'a> HeaderView<'a> {
    /// A view of the header at the start of `pdu`: `Truncated` if `pdu` is
    /// shorter than a header, `Malformed` if it is not an SMB2 header.
    pub fn new(pdu: &'a [u8]) -> Result<Self> {
        let hdr: &[u8; HEADER_LEN] = pdu
            .get(..HEADER_LEN)
            .and_then(|h| h.try_into().ok())
            .ok_or(Error::Truncated)?;
        if hdr.get(..4) != Some(&PROTOCOL_ID[..]) {
            return Err(Error::Malformed);
        }
        Ok(Self(hdr))
    }

    // The offsets are constants within the 64 bytes the view holds, so
    // the reads cannot fail; 0 stands in for the impossible.
    fn u16_at(&self, off: usize) -> u16 {
        wire::get_u16(&self.0[..], off).unwrap_or(0)
    }

    fn u32_at(&self, off: usize) -> u32 {
        wire::get_u32(&self.0[..], off).unwrap_or(0)
    }

    fn u64_at(&self, off: usize) -> u64 {
        wire::get_u64(&self.0[..], off).unwrap_or(0)
    }

    /// CreditCharge (0 counts as 1, §3.1.5.2).
    pub fn credit_charge(&self) -> u16 {
        self.u16_at(OFF_CREDIT_CHARGE)
    }

    /// Status (a response's NT status).
    pub fn status(&self) -> u32 {
        self.u32_at(OFF_STATUS)
    }

    /// The Command field's value.
    pub fn command_code(&self) -> u16 {
        self.u16_at(OFF_COMMAND)
    }

    /// The command, if it is one this codec knows.
    pub fn command(&self) -> Option<Command> {
        Command::from_u16(self.command_code())
    }

    /// CreditRequest (a request) or CreditResponse (a response).
    pub fn credits(&self) -> u16 {
        self.u16_at(OFF_CREDITS)
    }

    /// Flags.
    pub fn flags(&self) -> u32 {
        self.u32_at(OFF_FLAGS)
    }

    /// NextCommand: the offset of the next PDU of a compound, or 0.
    pub fn next_command(&self) -> u32 {
        self.u32_at(OFF_NEXT_COMMAND)
    }

    /// MessageId.
    pub fn message_id(&self) -> u64 {
        self.u64_at(OFF_MESSAGE_ID)
    }

    /// SessionId.
    pub fn session_id(&self) -> u64 {
        self.u64_at(OFF_SESSION_ID)
    }

    /// The AsyncId of an async header, `None` for a sync one.
    pub fn async_id(&self) -> Option<u64> {
        self.is_async().then(|| self.u64_at(OFF_ASYNC_ID))
    }

    /// The TreeId of a sync header, `None` for an async one.
    pub fn tree_id(&self) -> Option<u32> {
        (!self.is_async()).then(|| self.u32_at(OFF_TREE_ID))
    }

    /// SMB2_FLAGS_SERVER_TO_REDIR.
    pub fn is_response(&self) -> bool {
        self.flags() & flags::SERVER_TO_REDIR != 0
    }

    /// SMB2_FLAGS_ASYNC_COMMAND.
    pub fn is_async(&self) -> bool {
        self.flags() & flags::ASYNC_COMMAND != 0
    }

    /// SMB2_FLAGS_SIGNED.
    pub fn is_signed(&self) -> bool {
        self.flags() & flags::SIGNED != 0
    }

    /// An interim response (§3.3.4.2): async, STATUS_PENDING.
    pub fn is_interim(&self) -> bool {
        self.is_async() && self.status() == super::status::code::STATUS_PENDING
    }
}

/// Writes the CreditCharge, CreditRequest and MessageId fields a transport
/// sets on each PDU of a request it sends.
pub fn stamp_credits(pdu: &mut [u8], message_id: u64, charge: u16, request: u16) -> Result<()> {
    set_message_id(pdu, message_id)?;
    set_credit_charge(pdu, charge)?;
    set_credit_request(pdu, request)
}

/// Sets `flag` in the Flags field (leaving the others).
pub fn add_header_flags(pdu: &mut [u8], flag: u32) -> Result<()> {
    let f = header_flags(pdu)?;
    set_header_flags(pdu, f | flag)
}

/// Reads the Signature field (bytes 48..64) of the PDU starting at `pdu`.
pub fn signature(pdu: &[u8]) -> Result<[u8; 16]> {
    let mut s = [0u8; 16];
    s.copy_from_slice(wire::slice(pdu, OFF_SIGNATURE, 16).map_err(|_| Error::Truncated)?);
    Ok(s)
}

/// Writes the Signature field (bytes 48..64).
pub fn set_signature(pdu: &mut [u8], sig: &[u8; 16]) -> Result<()> {
    wire::put_bytes(pdu, OFF_SIGNATURE, sig)
}

/// Zeroes the Signature field, as signing and verification require
/// (§3.1.4.1).
pub fn clear_signature(pdu: &mut [u8]) -> Result<()> {
    set_signature(pdu, &[0; 16])
}

/// Reads the Flags field.
pub fn header_flags(pdu: &[u8]) -> Result<u32> {
    wire::get_u32(pdu, OFF_FLAGS)
}

/// Writes the Flags field.
pub fn set_header_flags(pdu: &mut [u8], value: u32) -> Result<()> {
    wire::put_u32(pdu, OFF_FLAGS, value)
}

/// True if `SMB2_FLAGS_SIGNED` is set.
pub fn is_signed(pdu: &[u8]) -> Result<bool> {
    Ok(header_flags(pdu)? & flags::SIGNED != 0)
}

/// Sets or clears `SMB2_FLAGS_SIGNED`.
pub fn set_signed(pdu: &mut [u8], signed: bool) -> Result<()> {
    let f = header_flags(pdu)?;
    let f = if signed {
        f | flags::SIGNED
    } else {
        f & !flags::SIGNED
    };
    set_header_flags(pdu, f)
}

/// Reads the NextCommand field.
pub fn next_command(pdu: &[u8]) -> Result<u32> {
    wire::get_u32(pdu, OFF_NEXT_COMMAND)
}

/// Writes the NextCommand field.
pub fn set_next_command(pdu: &mut [u8], value: u32) -> Result<()> {
    wire::put_u32(pdu, OFF_NEXT_COMMAND, value)
}

/// Writes the MessageId field (the transport assigns it under its
/// transmit lock, after encoding).
pub fn set_message_id(pdu: &mut [u8], value: u64) -> Result<()> {
    wire::put_u64(pdu, OFF_MESSAGE_ID, value)
}

/// Writes the CreditCharge field.
pub fn set_credit_charge(pdu: &mut [u8], value: u16) -> Result<()> {
    wire::put_u16(pdu, OFF_CREDIT_CHARGE, value)
}

/// Writes the CreditRequest field.
pub fn set_credit_request(pdu: &mut [u8], value: u16) -> Result<()> {
    wire::put_u16(pdu, OFF_CREDITS, value)
}

/// Writes the SessionId field.
pub fn set_session_id(pdu: &mut [u8], value: u64) -> Result<()> {
    wire::put_u64(pdu, OFF_SESSION_ID, value)
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
    fn sync_header_layout() {
        // MS-SMB2 §2.2.1.2: TreeId at 36, SessionId at 40, Signature at 48.
        let h = Header {
            credit_charge: 2,
            status: 0xC000_0022,
            command: Command::Create,
            credits: 31,
            flags: flags::SERVER_TO_REDIR | flags::SIGNED,
            next_command: 0x68,
            message_id: 0x0102_0304_0506_0708,
            target: HeaderTarget::Sync {
                tree_id: 0xAABB_CCDD,
            },
            session_id: 0x1122_3344_5566_7788,
            signature: [0x5A; 16],
        };
        let mut b = [0xEEu8; 64];
        assert_eq!(h.emit(&mut b).unwrap(), 64);
        assert_eq!(&b[0..4], &[0xFE, b'S', b'M', b'B']);
        assert_eq!(&b[4..6], &[64, 0]);
        assert_eq!(&b[6..8], &[2, 0]);
        assert_eq!(&b[8..12], &[0x22, 0, 0, 0xC0]);
        assert_eq!(&b[12..14], &[5, 0]);
        assert_eq!(&b[14..16], &[31, 0]);
        assert_eq!(&b[16..20], &[9, 0, 0, 0]);
        assert_eq!(&b[20..24], &[0x68, 0, 0, 0]);
        assert_eq!(&b[24..32], &[8, 7, 6, 5, 4, 3, 2, 1]);
        assert_eq!(&b[32..36], &[0, 0, 0, 0]);
        assert_eq!(&b[36..40], &[0xDD, 0xCC, 0xBB, 0xAA]);
        assert_eq!(
            &b[40..48],
            &[0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11]
        );
        assert_eq!(&b[48..64], &[0x5A; 16]);
        assert_eq!(Header::parse(&b).unwrap(), h);
    }

    #[test]
    fn async_header_layout() {
        // MS-SMB2 §2.2.1.1: AsyncId at 32..40, ASYNC_COMMAND flag 0x2.
        let mut h = Header::request(Command::Read);
        h.target = HeaderTarget::Async {
            async_id: 0x0807_0605_0403_0201,
        };
        let mut b = [0u8; 64];
        h.emit(&mut b).unwrap();
        assert_eq!(&b[16..20], &[2, 0, 0, 0]);
        assert_eq!(&b[32..40], &[1, 2, 3, 4, 5, 6, 7, 8]);
        let p = Header::parse(&b).unwrap();
        assert!(p.is_async());
        assert_eq!(p.target, h.target);
    }

    #[test]
    fn header_rejects_bad_input() {
        let mut b = [0u8; 64];
        Header::request(Command::Echo).emit(&mut b).unwrap();
        assert_eq!(Header::parse(&b[..63]), Err(Error::Truncated));
        let mut bad = b;
        bad[0] = 0xFD;
        assert_eq!(Header::parse(&bad), Err(Error::Malformed));
        let mut bad = b;
        bad[4] = 65;
        assert_eq!(Header::parse(&bad), Err(Error::Malformed));
        let mut bad = b;
        bad[12] = 0x14;
        assert_eq!(Header::parse(&bad), Err(Error::Unsupported));
    }

    #[test]
    fn signature_and_flag_accessors() {
        let mut b = [0u8; 64];
        Header::request(Command::TreeConnect).emit(&mut b).unwrap();
        assert!(!is_signed(&b).unwrap());
        set_signed(&mut b, true).unwrap();
        assert_eq!(b[16], 8);
        set_signature(&mut b, &[7; 16]).unwrap();
        assert_eq!(&b[SIGNATURE_RANGE], &[7; 16]);
        assert_eq!(signature(&b).unwrap(), [7; 16]);
        clear_signature(&mut b).unwrap();
        assert_eq!(signature(&b).unwrap(), [0; 16]);
        set_signed(&mut b, false).unwrap();
        assert!(!is_signed(&b).unwrap());
        assert_eq!(signature(&b[..63]), Err(Error::Truncated));
    }

    #[test]
    fn command_codes_round_trip() {
        for v in 0u16..0x20 {
            match Command::from_u16(v) {
                Some(c) => assert_eq!(c.to_u16(), v),
                None => assert!(v > 0x13),
            }
        }
    }
}
