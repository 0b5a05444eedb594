// SPDX-License-Identifier: GPL-2.0
//! SMB2 LOCK request and response (MS-SMB2 §2.2.26, §2.2.27).

use super::error::{Error, Result};
use super::header::Command;
use super::message::{
    check_body, fixed_empty_body, start_body, to_u16, FileId, Message, WireElement, WireList, BODY,
};
use super::wire;

/// Lock element Flags (§2.2.26.1).
pub mod lock_flags {
    /// SMB2_LOCKFLAG_SHARED_LOCK.
    pub const SHARED: u32 = 0x01;
    /// SMB2_LOCKFLAG_EXCLUSIVE_LOCK.
    pub const EXCLUSIVE: u32 = 0x02;
    /// SMB2_LOCKFLAG_UNLOCK.
    pub const UNLOCK: u32 = 0x04;
    /// SMB2_LOCKFLAG_FAIL_IMMEDIATELY.
    pub const FAIL_IMMEDIATELY: u32 = 0x10;
}

/// One SMB2_LOCK_ELEMENT (§2.2.26.1): Offset (8), Length (8), Flags (4),
/// Reserved (4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LockElement {
    /// Start of the byte range.
    pub offset: u64,
    /// Length of the byte range.
    pub length: u64,
    /// Flags (see [`lock_flags`]).
    pub flags: u32,
}

impl WireElement for LockElement {
    const SIZE: usize = 24;
    fn read(b: &[u8]) -> Result<Self> {
        Ok(Self {
            offset: wire::get_u64(b, 0)?,
            length: wire::get_u64(b, 8)?,
            flags: wire::get_u32(b, 16)?,
        })
    }
    fn write(&self, b: &mut [u8]) -> Result<()> {
        wire::put_u64(b, 0, self.offset)?;
        wire::put_u64(b, 8, self.length)?;
        wire::put_u32(b, 16, self.flags)?;
        wire::put_u32(b, 20, 0)
    }
}

const REQ_SS: u16 = 48;
const REQ_FIXED: usize = 24;
const REQ_COUNT: usize = BODY + 2;
const REQ_SEQUENCE: usize = BODY + 4;
const REQ_FILE_ID: usize = BODY + 8;
const REQ_LOCKS: usize = BODY + REQ_FIXED;

/// A LOCK request (§2.2.26).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockRequest<'a> {
    /// LockSequenceNumber (low 4 bits) and LockSequenceIndex (high 28).
    pub lock_sequence: u32,
    /// FileId.
    pub file_id: FileId,
    /// Lock elements (at least one).
    pub locks: WireList<'a, LockElement>,
}

impl<'a> Message<'a> for LockRequest<'a> {
    const COMMAND: Command = Command::Lock;
    const IS_RESPONSE: bool = false;

    /// `Malformed` if LockCount is 0; `Oversized` if the elements run past
    /// the PDU.
    fn parse(pdu: &'a [u8]) -> Result<Self> {
        check_body(pdu, REQ_SS, REQ_FIXED)?;
        let count = usize::from(wire::get_u16(pdu, REQ_COUNT)?);
        if count == 0 {
            return Err(Error::Malformed);
        }
        let len = count
            .checked_mul(LockElement::SIZE)
            .ok_or(Error::Overflow)?;
        let locks = wire::slice(pdu, REQ_LOCKS, len).map_err(|_| Error::Oversized)?;
        Ok(Self {
            lock_sequence: wire::get_u32(pdu, REQ_SEQUENCE)?,
            file_id: FileId::read(pdu, REQ_FILE_ID)?,
            locks: WireList::from_wire(locks)?,
        })
    }

    fn emit(&self, pdu: &mut [u8]) -> Result<usize> {
        if self.locks.is_empty() {
            return Err(Error::Malformed);
        }
        let len = self.locks.wire_len()?;
        let end = start_body(
            pdu,
            REQ_SS,
            REQ_FIXED.checked_add(len).ok_or(Error::Overflow)?,
        )?;
        wire::put_u16(pdu, REQ_COUNT, to_u16(self.locks.len())?)?;
        wire::put_u32(pdu, REQ_SEQUENCE, self.lock_sequence)?;
        self.file_id.write(pdu, REQ_FILE_ID)?;
        self.locks.write_to(pdu, REQ_LOCKS)?;
        Ok(end)
    }
}

fixed_empty_body!(
    /// A LOCK response (§2.2.27): StructureSize 4, Reserved (2).
    LockResponse, Lock, true, 4, 4
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
    use super::*;

    #[test]
    fn request_layout() {
        let locks = [
            LockElement {
                offset: 0x100,
                length: 0x10,
                flags: lock_flags::EXCLUSIVE | lock_flags::FAIL_IMMEDIATELY,
            },
            LockElement {
                offset: 0,
                length: u64::MAX,
                flags: lock_flags::UNLOCK,
            },
        ];
        let r = LockRequest {
            lock_sequence: 0x21,
            file_id: FileId {
                persistent: 3,
                volatile: 4,
            },
            locks: WireList::Values(&locks),
        };
        let mut b = [0xEEu8; 160];
        let n = r.emit(&mut b).unwrap();
        assert_eq!(n, 64 + 24 + 48);
        // §2.2.26: SS 48, LockCount 2, LockSequence, FileId at body 8, locks at 24.
        assert_eq!(&b[64..72], &[48, 0, 2, 0, 0x21, 0, 0, 0]);
        assert_eq!(b[72], 3);
        assert_eq!(&b[88..96], &[0, 1, 0, 0, 0, 0, 0, 0]);
        assert_eq!(&b[104..112], &[0x12, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(&b[128..132], &[4, 0, 0, 0]);
        let p = LockRequest::parse(&b[..n]).unwrap();
        assert_eq!(p, r);
        assert_eq!(p.locks.get(1), Some(locks[1]));
        assert_eq!(LockRequest::parse(&b[..n - 1]), Err(Error::Oversized));
        b[66] = 0;
        assert_eq!(LockRequest::parse(&b[..n]), Err(Error::Malformed));
        b[66] = 0xFF;
        b[67] = 0xFF;
        assert_eq!(LockRequest::parse(&b[..n]), Err(Error::Oversized));
    }
}
