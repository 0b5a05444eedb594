// SPDX-License-Identifier: GPL-2.0
//! SMB2 NEGOTIATE request and response (MS-SMB2 §2.2.3, §2.2.4).

use super::error::{Error, Result};
use super::header::Command;
use super::message::{
    align8, check_body, get_guid, region, start_body, to_u16, to_u32, usize_from, zero, Message,
    U16List, BODY,
};
use super::negotiate_ctx::{contexts_at, NegotiateContexts};
use super::wire;

/// Dialect revision numbers (§2.2.3).
pub mod dialect {
    /// SMB 2.0.2.
    pub const SMB2_0_2: u16 = 0x0202;
    /// SMB 2.1.
    pub const SMB2_1: u16 = 0x0210;
    /// SMB 3.0.
    pub const SMB3_0: u16 = 0x0300;
    /// SMB 3.0.2.
    pub const SMB3_0_2: u16 = 0x0302;
    /// SMB 3.1.1.
    pub const SMB3_1_1: u16 = 0x0311;
    /// SMB 2.??? wildcard (multi-protocol negotiate response).
    pub const SMB2_WILDCARD: u16 = 0x02FF;
}

/// SecurityMode bits (§2.2.3).
pub mod security_mode {
    /// SMB2_NEGOTIATE_SIGNING_ENABLED.
    pub const SIGNING_ENABLED: u16 = 0x0001;
    /// SMB2_NEGOTIATE_SIGNING_REQUIRED.
    pub const SIGNING_REQUIRED: u16 = 0x0002;
}

/// Global capability bits (§2.2.3).
pub mod capabilities {
    /// SMB2_GLOBAL_CAP_DFS.
    pub const DFS: u32 = 0x0000_0001;
    /// SMB2_GLOBAL_CAP_LEASING.
    pub const LEASING: u32 = 0x0000_0002;
    /// SMB2_GLOBAL_CAP_LARGE_MTU (multi-credit requests).
    pub const LARGE_MTU: u32 = 0x0000_0004;
    /// SMB2_GLOBAL_CAP_MULTI_CHANNEL.
    pub const MULTI_CHANNEL: u32 = 0x0000_0008;
    /// SMB2_GLOBAL_CAP_PERSISTENT_HANDLES.
    pub const PERSISTENT_HANDLES: u32 = 0x0000_0010;
    /// SMB2_GLOBAL_CAP_DIRECTORY_LEASING.
    pub const DIRECTORY_LEASING: u32 = 0x0000_0020;
    /// SMB2_GLOBAL_CAP_ENCRYPTION.
    pub const ENCRYPTION: u32 = 0x0000_0040;
    /// SMB2_GLOBAL_CAP_NOTIFICATIONS.
    pub const NOTIFICATIONS: u32 = 0x0000_0080;
}

// Request body (§2.2.3).
const REQ_SS: u16 = 36;
const REQ_FIXED: usize = 36;
const REQ_DIALECT_COUNT: usize = BODY + 2;
const REQ_SECURITY_MODE: usize = BODY + 4;
const REQ_CAPABILITIES: usize = BODY + 8;
const REQ_CLIENT_GUID: usize = BODY + 12;
const REQ_CTX_OFFSET: usize = BODY + 28;
const REQ_CTX_COUNT: usize = BODY + 32;
const REQ_DIALECTS: usize = BODY + REQ_FIXED;

/// A NEGOTIATE request (§2.2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NegotiateRequest<'a> {
    /// SecurityMode (see [`security_mode`]).
    pub security_mode: u16,
    /// Capabilities (see [`capabilities`]).
    pub capabilities: u32,
    /// ClientGuid.
    pub client_guid: [u8; 16],
    /// Dialects offered.
    pub dialects: U16List<'a>,
    /// Negotiate contexts; only present when 3.1.1 is offered (otherwise
    /// bytes 28..36 are ClientStartTime, sent as 0).
    pub contexts: NegotiateContexts<'a>,
}

impl<'a> Message<'a> for NegotiateRequest<'a> {
    const COMMAND: Command = Command::Negotiate;
    const IS_RESPONSE: bool = false;

    fn parse(pdu: &'a [u8]) -> Result<Self> {
        check_body(pdu, REQ_SS, REQ_FIXED)?;
        let count = usize::from(wire::get_u16(pdu, REQ_DIALECT_COUNT)?);
        if count == 0 {
            return Err(Error::Malformed);
        }
        let dl = count.checked_mul(2).ok_or(Error::Overflow)?;
        let dialects =
            U16List::from_wire(wire::slice(pdu, REQ_DIALECTS, dl).map_err(|_| Error::Truncated)?)?;
        let contexts = if dialects.contains(dialect::SMB3_1_1) {
            let off = usize_from(wire::get_u32(pdu, REQ_CTX_OFFSET)?)?;
            let n = wire::get_u16(pdu, REQ_CTX_COUNT)?;
            contexts_at(
                pdu,
                REQ_DIALECTS.checked_add(dl).ok_or(Error::Overflow)?,
                off,
                n,
            )?
        } else {
            NegotiateContexts::Wire {
                list: &[],
                count: 0,
            }
        };
        Ok(Self {
            security_mode: wire::get_u16(pdu, REQ_SECURITY_MODE)?,
            capabilities: wire::get_u32(pdu, REQ_CAPABILITIES)?,
            client_guid: get_guid(pdu, REQ_CLIENT_GUID)?,
            dialects,
            contexts,
        })
    }

    fn emit(&self, pdu: &mut [u8]) -> Result<usize> {
        if self.dialects.is_empty() {
            return Err(Error::Malformed);
        }
        if !self.contexts.is_empty() && !self.dialects.contains(dialect::SMB3_1_1) {
            return Err(Error::Malformed);
        }
        start_body(pdu, REQ_SS, REQ_FIXED)?;
        wire::put_u16(pdu, REQ_DIALECT_COUNT, to_u16(self.dialects.len())?)?;
        wire::put_u16(pdu, REQ_SECURITY_MODE, self.security_mode)?;
        wire::put_u32(pdu, REQ_CAPABILITIES, self.capabilities)?;
        wire::put_bytes(pdu, REQ_CLIENT_GUID, &self.client_guid)?;
        let mut end = REQ_DIALECTS
            .checked_add(self.dialects.write_to(pdu, REQ_DIALECTS)?)
            .ok_or(Error::Overflow)?;
        if !self.contexts.is_empty() {
            let off = align8(end)?;
            zero(pdu, end, off)?;
            wire::put_u32(pdu, REQ_CTX_OFFSET, to_u32(off)?)?;
            wire::put_u16(pdu, REQ_CTX_COUNT, to_u16(self.contexts.len())?)?;
            end = self.contexts.emit(pdu, off)?;
        }
        Ok(end)
    }
}

// Response body (§2.2.4).
const RSP_SS: u16 = 65;
const RSP_FIXED: usize = 64;
const RSP_SECURITY_MODE: usize = BODY + 2;
const RSP_DIALECT: usize = BODY + 4;
const RSP_CTX_COUNT: usize = BODY + 6;
const RSP_SERVER_GUID: usize = BODY + 8;
const RSP_CAPABILITIES: usize = BODY + 24;
const RSP_MAX_TRANSACT: usize = BODY + 28;
const RSP_MAX_READ: usize = BODY + 32;
const RSP_MAX_WRITE: usize = BODY + 36;
const RSP_SYSTEM_TIME: usize = BODY + 40;
const RSP_START_TIME: usize = BODY + 48;
const RSP_SECBUF_OFFSET: usize = BODY + 56;
const RSP_SECBUF_LENGTH: usize = BODY + 58;
const RSP_CTX_OFFSET: usize = BODY + 60;
const RSP_BUFFER: usize = BODY + RSP_FIXED;

/// A NEGOTIATE response (§2.2.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NegotiateResponse<'a> {
    /// SecurityMode.
    pub security_mode: u16,
    /// DialectRevision chosen by the server.
    pub dialect_revision: u16,
    /// ServerGuid.
    pub server_guid: [u8; 16],
    /// Capabilities.
    pub capabilities: u32,
    /// MaxTransactSize.
    pub max_transact_size: u32,
    /// MaxReadSize.
    pub max_read_size: u32,
    /// MaxWriteSize.
    pub max_write_size: u32,
    /// SystemTime (FILETIME).
    pub system_time: u64,
    /// ServerStartTime (FILETIME).
    pub server_start_time: u64,
    /// Security buffer (GSS token; may be empty).
    pub security_buffer: &'a [u8],
    /// Negotiate contexts (3.1.1 only).
    pub contexts: NegotiateContexts<'a>,
}

impl<'a> Message<'a> for NegotiateResponse<'a> {
    const COMMAND: Command = Command::Negotiate;
    const IS_RESPONSE: bool = true;

    fn parse(pdu: &'a [u8]) -> Result<Self> {
        check_body(pdu, RSP_SS, RSP_FIXED)?;
        let dialect_revision = wire::get_u16(pdu, RSP_DIALECT)?;
        let sb_off = usize::from(wire::get_u16(pdu, RSP_SECBUF_OFFSET)?);
        let sb_len = usize::from(wire::get_u16(pdu, RSP_SECBUF_LENGTH)?);
        let security_buffer = region(pdu, RSP_BUFFER, sb_off, sb_len)?;
        let contexts = if dialect_revision == dialect::SMB3_1_1 {
            let n = wire::get_u16(pdu, RSP_CTX_COUNT)?;
            let off = usize_from(wire::get_u32(pdu, RSP_CTX_OFFSET)?)?;
            contexts_at(pdu, RSP_BUFFER, off, n)?
        } else {
            NegotiateContexts::Wire {
                list: &[],
                count: 0,
            }
        };
        Ok(Self {
            security_mode: wire::get_u16(pdu, RSP_SECURITY_MODE)?,
            dialect_revision,
            server_guid: get_guid(pdu, RSP_SERVER_GUID)?,
            capabilities: wire::get_u32(pdu, RSP_CAPABILITIES)?,
            max_transact_size: wire::get_u32(pdu, RSP_MAX_TRANSACT)?,
            max_read_size: wire::get_u32(pdu, RSP_MAX_READ)?,
            max_write_size: wire::get_u32(pdu, RSP_MAX_WRITE)?,
            system_time: wire::get_u64(pdu, RSP_SYSTEM_TIME)?,
            server_start_time: wire::get_u64(pdu, RSP_START_TIME)?,
            security_buffer,
            contexts,
        })
    }

    fn emit(&self, pdu: &mut [u8]) -> Result<usize> {
        if !self.contexts.is_empty() && self.dialect_revision != dialect::SMB3_1_1 {
            return Err(Error::Malformed);
        }
        let sb = self.security_buffer.len();
        start_body(
            pdu,
            RSP_SS,
            RSP_FIXED.checked_add(sb.max(1)).ok_or(Error::Overflow)?,
        )?;
        wire::put_u16(pdu, RSP_SECURITY_MODE, self.security_mode)?;
        wire::put_u16(pdu, RSP_DIALECT, self.dialect_revision)?;
        wire::put_bytes(pdu, RSP_SERVER_GUID, &self.server_guid)?;
        wire::put_u32(pdu, RSP_CAPABILITIES, self.capabilities)?;
        wire::put_u32(pdu, RSP_MAX_TRANSACT, self.max_transact_size)?;
        wire::put_u32(pdu, RSP_MAX_READ, self.max_read_size)?;
        wire::put_u32(pdu, RSP_MAX_WRITE, self.max_write_size)?;
        wire::put_u64(pdu, RSP_SYSTEM_TIME, self.system_time)?;
        wire::put_u64(pdu, RSP_START_TIME, self.server_start_time)?;
        wire::put_u16(pdu, RSP_SECBUF_OFFSET, to_u16(RSP_BUFFER)?)?;
        wire::put_u16(pdu, RSP_SECBUF_LENGTH, to_u16(sb)?)?;
        wire::put_bytes(pdu, RSP_BUFFER, self.security_buffer)?;
        let mut end = RSP_BUFFER.checked_add(sb.max(1)).ok_or(Error::Overflow)?;
        if !self.contexts.is_empty() {
            let sb_end = RSP_BUFFER.checked_add(sb).ok_or(Error::Overflow)?;
            let off = align8(sb_end)?;
            zero(pdu, sb_end, off)?;
            wire::put_u16(pdu, RSP_CTX_COUNT, to_u16(self.contexts.len())?)?;
            wire::put_u32(pdu, RSP_CTX_OFFSET, to_u32(off)?)?;
            end = self.contexts.emit(pdu, off)?;
        }
        Ok(end)
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
    use super::super::header::{Header, HEADER_LEN};
    use super::super::message::encode;
    use super::super::negotiate_ctx::{
        cipher, context_type, signing_algorithm, NegotiateContext, HASH_SHA512,
    };
    use super::*;

    const CTXS: [NegotiateContext<'static>; 4] = [
        NegotiateContext::PreauthIntegrity {
            hash_algorithms: U16List::Values(&[HASH_SHA512]),
            salt: &[0xA5; 32],
        },
        NegotiateContext::Encryption {
            ciphers: U16List::Values(&[cipher::AES_128_GCM, cipher::AES_128_CCM]),
        },
        NegotiateContext::Signing {
            algorithms: U16List::Values(&[signing_algorithm::AES_CMAC]),
        },
        NegotiateContext::Other {
            context_type: 0x7777,
            data: &[1, 2, 3],
        },
    ];

    fn request() -> NegotiateRequest<'static> {
        NegotiateRequest {
            security_mode: security_mode::SIGNING_ENABLED,
            capabilities: capabilities::LARGE_MTU | capabilities::LEASING,
            client_guid: [0x11; 16],
            dialects: U16List::Values(&[dialect::SMB2_1, dialect::SMB3_0, dialect::SMB3_1_1]),
            contexts: NegotiateContexts::List(&CTXS),
        }
    }

    #[test]
    fn request_layout() {
        let mut b = [0xEEu8; 512];
        let n = encode(&Header::request(Command::Negotiate), &request(), &mut b).unwrap();
        // §2.2.3: SS 36, DialectCount 3, SecurityMode 1, Capabilities, ClientGuid.
        assert_eq!(&b[64..68], &[36, 0, 3, 0]);
        assert_eq!(&b[68..72], &[1, 0, 0, 0]);
        assert_eq!(&b[72..76], &[6, 0, 0, 0]);
        assert_eq!(&b[76..92], &[0x11; 16]);
        // Dialects at body offset 36 (PDU 100): 0x0210 0x0300 0x0311.
        assert_eq!(&b[100..106], &[0x10, 2, 0, 3, 0x11, 3]);
        // Contexts at 112 (8-aligned after 106), count 4.
        assert_eq!(&b[92..96], &[112, 0, 0, 0]);
        assert_eq!(&b[96..98], &[4, 0]);
        // Preauth: type 1, DataLength 38, count 1, salt 32, SHA-512.
        assert_eq!(&b[112..126], &[1, 0, 38, 0, 0, 0, 0, 0, 1, 0, 32, 0, 1, 0]);
        // Encryption context at align8(112 + 8 + 38) = 160.
        assert_eq!(&b[160..172], &[2, 0, 6, 0, 0, 0, 0, 0, 2, 0, 2, 0]);
        assert_eq!(&b[172..174], &[1, 0]);
        // Signing at 176, then the unknown one at 192.
        assert_eq!(&b[176..188], &[8, 0, 4, 0, 0, 0, 0, 0, 1, 0, 1, 0]);
        assert_eq!(&b[192..203], &[0x77, 0x77, 3, 0, 0, 0, 0, 0, 1, 2, 3]);
        assert_eq!(n, 203);
        let p = NegotiateRequest::parse(&b[..n]).unwrap();
        assert_eq!(p, request());
        assert_eq!(
            p.contexts.find(context_type::SIGNING_CAPABILITIES),
            Some(CTXS[2])
        );
    }

    #[test]
    fn pre_311_request_has_no_contexts() {
        let r = NegotiateRequest {
            dialects: U16List::Values(&[dialect::SMB2_1, dialect::SMB3_0_2]),
            contexts: NegotiateContexts::NONE,
            ..request()
        };
        let mut b = [0u8; 128];
        let n = encode(&Header::request(Command::Negotiate), &r, &mut b).unwrap();
        assert_eq!(n, HEADER_LEN + 36 + 4);
        assert_eq!(NegotiateRequest::parse(&b[..n]).unwrap(), r);
        let bad = NegotiateRequest {
            contexts: NegotiateContexts::List(&CTXS),
            ..r
        };
        assert_eq!(bad.emit(&mut b), Err(Error::Malformed));
    }

    fn response() -> NegotiateResponse<'static> {
        NegotiateResponse {
            security_mode: 1,
            dialect_revision: dialect::SMB3_1_1,
            server_guid: [0x22; 16],
            capabilities: 0x2F,
            max_transact_size: 8 << 20,
            max_read_size: 4 << 20,
            max_write_size: 4 << 20,
            system_time: 0x01D9_0000_0000_0000,
            server_start_time: 0,
            security_buffer: &[0x60, 0x48, 0x06],
            contexts: NegotiateContexts::List(&CTXS[..3]),
        }
    }

    #[test]
    fn response_layout() {
        let mut b = [0u8; 512];
        let n = encode(&Header::request(Command::Negotiate), &response(), &mut b).unwrap();
        // §2.2.4: SS 65, DialectRevision at body 4, SecurityBufferOffset 0x80.
        assert_eq!(&b[64..66], &[65, 0]);
        assert_eq!(&b[68..70], &[0x11, 3]);
        assert_eq!(&b[70..72], &[3, 0]);
        assert_eq!(&b[96..100], &[0, 0, 0x40, 0]);
        assert_eq!(&b[120..122], &[0x80, 0]);
        assert_eq!(&b[122..124], &[3, 0]);
        // NegotiateContextOffset = align8(128 + 3) = 136.
        assert_eq!(&b[124..128], &[136, 0, 0, 0]);
        assert_eq!(NegotiateResponse::parse(&b[..n]).unwrap(), response());
    }

    #[test]
    fn response_bad_context_offsets() {
        let mut b = [0u8; 512];
        let n = encode(&Header::request(Command::Negotiate), &response(), &mut b).unwrap();
        let mut m = b;
        m[124] = 137;
        assert_eq!(NegotiateResponse::parse(&m[..n]), Err(Error::Misaligned));
        m[124..128].copy_from_slice(&0xFFFF_FFF8u32.to_le_bytes());
        assert_eq!(NegotiateResponse::parse(&m[..n]), Err(Error::OutOfBounds));
        m[124..128].copy_from_slice(&64u32.to_le_bytes());
        assert_eq!(NegotiateResponse::parse(&m[..n]), Err(Error::OutOfBounds));
        // A context DataLength past the end.
        let mut m = b;
        m[138..140].copy_from_slice(&0xFFFFu16.to_le_bytes());
        assert_eq!(NegotiateResponse::parse(&m[..n]), Err(Error::Oversized));
        // Preauth counts not adding up to DataLength.
        let mut m = b;
        m[146] = 2;
        assert_eq!(NegotiateResponse::parse(&m[..n]), Err(Error::Malformed));
        // More contexts announced than present.
        let mut m = b;
        m[70] = 9;
        assert_eq!(NegotiateResponse::parse(&m[..n]), Err(Error::Truncated));
        // Security buffer outside the PDU / inside the fixed part.
        let mut m = b;
        m[122..124].copy_from_slice(&0x400u16.to_le_bytes());
        assert_eq!(NegotiateResponse::parse(&m[..n]), Err(Error::OutOfBounds));
        let mut m = b;
        m[120] = 0x40;
        assert_eq!(NegotiateResponse::parse(&m[..n]), Err(Error::OutOfBounds));
        assert_eq!(NegotiateResponse::parse(&b[..127]), Err(Error::Truncated));
    }
}
