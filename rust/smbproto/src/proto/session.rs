// SPDX-License-Identifier: GPL-2.0
//! SMB2 SESSION_SETUP (MS-SMB2 §2.2.5, §2.2.6) and LOGOFF (§2.2.7, §2.2.8).

use super::error::{Error, Result};
use super::header::Command;
use super::message::{check_body, fixed_empty_body, region, start_body, to_u16, Message, BODY};
use super::wire;

/// SESSION_SETUP request Flags (§2.2.5).
pub const SESSION_FLAG_BINDING: u8 = 0x01;

/// SESSION_SETUP response SessionFlags (§2.2.6).
pub mod session_flags {
    /// SMB2_SESSION_FLAG_IS_GUEST.
    pub const IS_GUEST: u16 = 0x0001;
    /// SMB2_SESSION_FLAG_IS_NULL.
    pub const IS_NULL: u16 = 0x0002;
    /// SMB2_SESSION_FLAG_ENCRYPT_DATA.
    pub const ENCRYPT_DATA: u16 = 0x0004;
}

const REQ_SS: u16 = 25;
const REQ_FIXED: usize = 24;
const REQ_FLAGS: usize = BODY + 2;
const REQ_SECURITY_MODE: usize = BODY + 3;
const REQ_CAPABILITIES: usize = BODY + 4;
const REQ_CHANNEL: usize = BODY + 8;
const REQ_SECBUF_OFFSET: usize = BODY + 12;
const REQ_SECBUF_LENGTH: usize = BODY + 14;
const REQ_PREVIOUS_SESSION: usize = BODY + 16;
const REQ_BUFFER: usize = BODY + REQ_FIXED;

/// A SESSION_SETUP request (§2.2.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionSetupRequest<'a> {
    /// Flags ([`SESSION_FLAG_BINDING`]).
    pub flags: u8,
    /// SecurityMode (signing enabled/required bits, one byte here).
    pub security_mode: u8,
    /// Capabilities (only DFS is meaningful).
    pub capabilities: u32,
    /// Channel (must be 0).
    pub channel: u32,
    /// PreviousSessionId (for reconnecting a session).
    pub previous_session_id: u64,
    /// Security buffer (NTLMSSP or GSS token).
    pub security_buffer: &'a [u8],
}

impl<'a> Message<'a> for SessionSetupRequest<'a> {
    const COMMAND: Command = Command::SessionSetup;
    const IS_RESPONSE: bool = false;

    fn parse(pdu: &'a [u8]) -> Result<Self> {
        check_body(pdu, REQ_SS, REQ_FIXED)?;
        let off = usize::from(wire::get_u16(pdu, REQ_SECBUF_OFFSET)?);
        let len = usize::from(wire::get_u16(pdu, REQ_SECBUF_LENGTH)?);
        Ok(Self {
            flags: *pdu.get(REQ_FLAGS).ok_or(Error::Truncated)?,
            security_mode: *pdu.get(REQ_SECURITY_MODE).ok_or(Error::Truncated)?,
            capabilities: wire::get_u32(pdu, REQ_CAPABILITIES)?,
            channel: wire::get_u32(pdu, REQ_CHANNEL)?,
            previous_session_id: wire::get_u64(pdu, REQ_PREVIOUS_SESSION)?,
            security_buffer: region(pdu, REQ_BUFFER, off, len)?,
        })
    }

    fn emit(&self, pdu: &mut [u8]) -> Result<usize> {
        let n = self.security_buffer.len();
        let end = start_body(
            pdu,
            REQ_SS,
            REQ_FIXED.checked_add(n.max(1)).ok_or(Error::Overflow)?,
        )?;
        wire::put_bytes(pdu, REQ_FLAGS, &[self.flags, self.security_mode])?;
        wire::put_u32(pdu, REQ_CAPABILITIES, self.capabilities)?;
        wire::put_u32(pdu, REQ_CHANNEL, self.channel)?;
        wire::put_u16(pdu, REQ_SECBUF_OFFSET, to_u16(REQ_BUFFER)?)?;
        wire::put_u16(pdu, REQ_SECBUF_LENGTH, to_u16(n)?)?;
        wire::put_u64(pdu, REQ_PREVIOUS_SESSION, self.previous_session_id)?;
        wire::put_bytes(pdu, REQ_BUFFER, self.security_buffer)?;
        Ok(end)
    }
}

const RSP_SS: u16 = 9;
const RSP_FIXED: usize = 8;
const RSP_SESSION_FLAGS: usize = BODY + 2;
const RSP_SECBUF_OFFSET: usize = BODY + 4;
const RSP_SECBUF_LENGTH: usize = BODY + 6;
const RSP_BUFFER: usize = BODY + RSP_FIXED;

/// A SESSION_SETUP response (§2.2.6). Also the body of a
/// STATUS_MORE_PROCESSING_REQUIRED response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionSetupResponse<'a> {
    /// SessionFlags (see [`session_flags`]).
    pub session_flags: u16,
    /// Security buffer (NTLMSSP CHALLENGE or final GSS token).
    pub security_buffer: &'a [u8],
}

impl<'a> Message<'a> for SessionSetupResponse<'a> {
    const COMMAND: Command = Command::SessionSetup;
    const IS_RESPONSE: bool = true;

    fn parse(pdu: &'a [u8]) -> Result<Self> {
        check_body(pdu, RSP_SS, RSP_FIXED)?;
        let off = usize::from(wire::get_u16(pdu, RSP_SECBUF_OFFSET)?);
        let len = usize::from(wire::get_u16(pdu, RSP_SECBUF_LENGTH)?);
        Ok(Self {
            session_flags: wire::get_u16(pdu, RSP_SESSION_FLAGS)?,
            security_buffer: region(pdu, RSP_BUFFER, off, len)?,
        })
    }

    fn emit(&self, pdu: &mut [u8]) -> Result<usize> {
        let n = self.security_buffer.len();
        let end = start_body(
            pdu,
            RSP_SS,
            RSP_FIXED.checked_add(n.max(1)).ok_or(Error::Overflow)?,
        )?;
        wire::put_u16(pdu, RSP_SESSION_FLAGS, self.session_flags)?;
        wire::put_u16(pdu, RSP_SECBUF_OFFSET, to_u16(RSP_BUFFER)?)?;
        wire::put_u16(pdu, RSP_SECBUF_LENGTH, to_u16(n)?)?;
        wire::put_bytes(pdu, RSP_BUFFER, self.security_buffer)?;
        Ok(end)
    }
}

fixed_empty_body!(
    /// A LOGOFF request (§2.2.7): StructureSize 4, Reserved (2).
    LogoffRequest, Logoff, false, 4, 4
);
fixed_empty_body!(
    /// A LOGOFF response (§2.2.8): StructureSize 4, Reserved (2).
    LogoffResponse, Logoff, true, 4, 4
);

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
    use super::super::message::encode;
    use super::*;

    #[test]
    fn request_layout() {
        let r = SessionSetupRequest {
            flags: 0,
            security_mode: 1,
            capabilities: 1,
            channel: 0,
            previous_session_id: 0x55,
            security_buffer: b"NTLMSSP\0",
        };
        let mut b = [0u8; 128];
        let n = encode(&Header::request(Command::SessionSetup), &r, &mut b).unwrap();
        // §2.2.5: SS 25, SecurityBufferOffset 0x58 at body 12, length at 14.
        assert_eq!(&b[64..68], &[25, 0, 0, 1]);
        assert_eq!(&b[76..80], &[0x58, 0, 8, 0]);
        assert_eq!(&b[80..88], &[0x55, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(&b[88..96], b"NTLMSSP\0");
        assert_eq!(n, 96);
        assert_eq!(SessionSetupRequest::parse(&b[..n]).unwrap(), r);
    }

    #[test]
    fn response_layout_and_bad_buffer() {
        let r = SessionSetupResponse {
            session_flags: session_flags::ENCRYPT_DATA,
            security_buffer: &[1, 2, 3],
        };
        let mut b = [0u8; 128];
        let n = encode(&Header::request(Command::SessionSetup), &r, &mut b).unwrap();
        // §2.2.6: SS 9, SessionFlags, offset 0x48, length 3.
        assert_eq!(&b[64..72], &[9, 0, 4, 0, 0x48, 0, 3, 0]);
        assert_eq!(SessionSetupResponse::parse(&b[..n]).unwrap(), r);
        b[70] = 0xFF;
        assert_eq!(
            SessionSetupResponse::parse(&b[..n]),
            Err(Error::OutOfBounds)
        );
        b[70] = 3;
        b[68] = 0x40;
        assert_eq!(
            SessionSetupResponse::parse(&b[..n]),
            Err(Error::OutOfBounds)
        );
    }

    #[test]
    fn logoff() {
        let mut b = [0xFFu8; 68];
        assert_eq!(LogoffRequest.emit(&mut b).unwrap(), 68);
        assert_eq!(&b[64..68], &[4, 0, 0, 0]);
        assert_eq!(LogoffResponse::parse(&b), Ok(LogoffResponse));
        assert_eq!(LogoffResponse::parse(&b[..67]), Err(Error::Truncated));
    }
}
