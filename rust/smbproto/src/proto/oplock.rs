// SPDX-License-Identifier: GPL-2.0
//! Oplock and lease breaks (MS-SMB2 §2.2.23-2.2.25): server notifications,
//! client acknowledgements and server responses, all carried by the
//! OPLOCK_BREAK command and told apart by StructureSize.

use super::error::{Error, Result};
use super::header::Command;
use super::message::{check_body, get_guid, start_body, structure_size, FileId, Message, BODY};
use super::wire;

const OPLOCK_SS: u16 = 24;
const OPLOCK_FIXED: usize = 24;
const OPLOCK_LEVEL: usize = BODY + 2;
const OPLOCK_FILE_ID: usize = BODY + 8;

fn parse_oplock(pdu: &[u8]) -> Result<(u8, FileId)> {
    check_body(pdu, OPLOCK_SS, OPLOCK_FIXED)?;
    Ok((
        *pdu.get(OPLOCK_LEVEL).ok_or(Error::Truncated)?,
        FileId::read(pdu, OPLOCK_FILE_ID)?,
    ))
}

fn emit_oplock(level: u8, file_id: &FileId, pdu: &mut [u8]) -> Result<usize> {
    let end = start_body(pdu, OPLOCK_SS, OPLOCK_FIXED)?;
    wire::put_bytes(pdu, OPLOCK_LEVEL, &[level])?;
    file_id.write(pdu, OPLOCK_FILE_ID)?;
    Ok(end)
}

/// Oplock Break Notification (§2.2.23.1) or Response (§2.2.25.1):
/// StructureSize 24, OplockLevel (1), Reserved (1), Reserved2 (4), FileId.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OplockBreak {
    /// The new oplock level.
    pub oplock_level: u8,
    /// The open whose oplock breaks.
    pub file_id: FileId,
}

impl<'a> Message<'a> for OplockBreak {
    const COMMAND: Command = Command::OplockBreak;
    const IS_RESPONSE: bool = true;
    fn parse(pdu: &'a [u8]) -> Result<Self> {
        let (oplock_level, file_id) = parse_oplock(pdu)?;
        Ok(Self {
            oplock_level,
            file_id,
        })
    }
    fn emit(&self, pdu: &mut [u8]) -> Result<usize> {
        emit_oplock(self.oplock_level, &self.file_id, pdu)
    }
}

/// Oplock Break Acknowledgment (§2.2.24.1), same layout as [`OplockBreak`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OplockBreakAck {
    /// The level the client accepts.
    pub oplock_level: u8,
    /// The open.
    pub file_id: FileId,
}

impl<'a> Message<'a> for OplockBreakAck {
    const COMMAND: Command = Command::OplockBreak;
    const IS_RESPONSE: bool = false;
    fn parse(pdu: &'a [u8]) -> Result<Self> {
        let (oplock_level, file_id) = parse_oplock(pdu)?;
        Ok(Self {
            oplock_level,
            file_id,
        })
    }
    fn emit(&self, pdu: &mut [u8]) -> Result<usize> {
        emit_oplock(self.oplock_level, &self.file_id, pdu)
    }
}

/// Lease break notification Flags: SMB2_NOTIFY_BREAK_LEASE_FLAG_ACK_REQUIRED
/// (§2.2.23.2).
pub const LEASE_BREAK_ACK_REQUIRED: u32 = 0x01;

const NOTIFY_SS: u16 = 44;
const NOTIFY_FIXED: usize = 44;
const NOTIFY_EPOCH: usize = BODY + 2;
const NOTIFY_FLAGS: usize = BODY + 4;
const NOTIFY_KEY: usize = BODY + 8;
const NOTIFY_CURRENT: usize = BODY + 24;
const NOTIFY_NEW: usize = BODY + 28;
const NOTIFY_REASON: usize = BODY + 32;
const NOTIFY_ACCESS_HINT: usize = BODY + 36;
const NOTIFY_SHARE_HINT: usize = BODY + 40;

/// Lease Break Notification (§2.2.23.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LeaseBreakNotification {
    /// NewEpoch (lease v2).
    pub new_epoch: u16,
    /// Flags ([`LEASE_BREAK_ACK_REQUIRED`]).
    pub flags: u32,
    /// LeaseKey.
    pub lease_key: [u8; 16],
    /// CurrentLeaseState.
    pub current_lease_state: u32,
    /// NewLeaseState.
    pub new_lease_state: u32,
    /// BreakReason (reserved).
    pub break_reason: u32,
    /// AccessMaskHint (reserved).
    pub access_mask_hint: u32,
    /// ShareMaskHint (reserved).
    pub share_mask_hint: u32,
}

impl<'a> Message<'a> for LeaseBreakNotification {
    const COMMAND: Command = Command::OplockBreak;
    const IS_RESPONSE: bool = true;
    fn parse(pdu: &'a [u8]) -> Result<Self> {
        check_body(pdu, NOTIFY_SS, NOTIFY_FIXED)?;
        Ok(Self {
            new_epoch: wire::get_u16(pdu, NOTIFY_EPOCH)?,
            flags: wire::get_u32(pdu, NOTIFY_FLAGS)?,
            lease_key: get_guid(pdu, NOTIFY_KEY)?,
            current_lease_state: wire::get_u32(pdu, NOTIFY_CURRENT)?,
            new_lease_state: wire::get_u32(pdu, NOTIFY_NEW)?,
            break_reason: wire::get_u32(pdu, NOTIFY_REASON)?,
            access_mask_hint: wire::get_u32(pdu, NOTIFY_ACCESS_HINT)?,
            share_mask_hint: wire::get_u32(pdu, NOTIFY_SHARE_HINT)?,
        })
    }
    fn emit(&self, pdu: &mut [u8]) -> Result<usize> {
        let end = start_body(pdu, NOTIFY_SS, NOTIFY_FIXED)?;
        wire::put_u16(pdu, NOTIFY_EPOCH, self.new_epoch)?;
        wire::put_u32(pdu, NOTIFY_FLAGS, self.flags)?;
        wire::put_bytes(pdu, NOTIFY_KEY, &self.lease_key)?;
        wire::put_u32(pdu, NOTIFY_CURRENT, self.current_lease_state)?;
        wire::put_u32(pdu, NOTIFY_NEW, self.new_lease_state)?;
        wire::put_u32(pdu, NOTIFY_REASON, self.break_reason)?;
        wire::put_u32(pdu, NOTIFY_ACCESS_HINT, self.access_mask_hint)?;
        wire::put_u32(pdu, NOTIFY_SHARE_HINT, self.share_mask_hint)?;
        Ok(end)
    }
}

const ACK_SS: u16 = 36;
const ACK_FIXED: usize = 36;
const ACK_FLAGS: usize = BODY + 4;
const ACK_KEY: usize = BODY + 8;
const ACK_STATE: usize = BODY + 24;
const ACK_DURATION: usize = BODY + 28;

/// Fields of a Lease Break Acknowledgment (§2.2.24.2) or Response
/// (§2.2.25.2): StructureSize 36, Reserved (2), Flags (4), LeaseKey (16),
/// LeaseState (4), LeaseDuration (8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LeaseBreakFields {
    /// Flags (reserved).
    pub flags: u32,
    /// LeaseKey.
    pub lease_key: [u8; 16],
    /// LeaseState acknowledged / granted.
    pub lease_state: u32,
    /// LeaseDuration (reserved).
    pub lease_duration: u64,
}

impl LeaseBreakFields {
    fn parse(pdu: &[u8]) -> Result<Self> {
        check_body(pdu, ACK_SS, ACK_FIXED)?;
        Ok(Self {
            flags: wire::get_u32(pdu, ACK_FLAGS)?,
            lease_key: get_guid(pdu, ACK_KEY)?,
            lease_state: wire::get_u32(pdu, ACK_STATE)?,
            lease_duration: wire::get_u64(pdu, ACK_DURATION)?,
        })
    }
    fn emit(&self, pdu: &mut [u8]) -> Result<usize> {
        let end = start_body(pdu, ACK_SS, ACK_FIXED)?;
        wire::put_u32(pdu, ACK_FLAGS, self.flags)?;
        wire::put_bytes(pdu, ACK_KEY, &self.lease_key)?;
        wire::put_u32(pdu, ACK_STATE, self.lease_state)?;
        wire::put_u64(pdu, ACK_DURATION, self.lease_duration)?;
        Ok(end)
    }
}

/// Lease Break Acknowledgment (§2.2.24.2), sent by the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LeaseBreakAck(pub LeaseBreakFields);

/// Lease Break Response (§2.2.25.2), sent by the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LeaseBreakResponse(pub LeaseBreakFields);

impl<'a> Message<'a> for LeaseBreakAck {
    const COMMAND: Command = Command::OplockBreak;
    const IS_RESPONSE: bool = false;
    fn parse(pdu: &'a [u8]) -> Result<Self> {
        LeaseBreakFields::parse(pdu).map(Self)
    }
    fn emit(&self, pdu: &mut [u8]) -> Result<usize> {
        self.0.emit(pdu)
    }
}

impl<'a> Message<'a> for LeaseBreakResponse {
    const COMMAND: Command = Command::OplockBreak;
    const IS_RESPONSE: bool = true;
    fn parse(pdu: &'a [u8]) -> Result<Self> {
        LeaseBreakFields::parse(pdu).map(Self)
    }
    fn emit(&self, pdu: &mut [u8]) -> Result<usize> {
        self.0.emit(pdu)
    }
}

/// A server-to-client OPLOCK_BREAK body, told apart by StructureSize.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakMessage {
    /// Oplock break notification or response (StructureSize 24).
    Oplock(OplockBreak),
    /// Lease break notification (StructureSize 44).
    LeaseNotification(LeaseBreakNotification),
    /// Lease break response (StructureSize 36).
    LeaseResponse(LeaseBreakResponse),
}

impl BreakMessage {
    /// Decodes a server OPLOCK_BREAK body. `Malformed` for an unknown
    /// StructureSize.
    pub fn parse(pdu: &[u8]) -> Result<Self> {
        match structure_size(pdu)? {
            OPLOCK_SS => OplockBreak::parse(pdu).map(Self::Oplock),
            NOTIFY_SS => LeaseBreakNotification::parse(pdu).map(Self::LeaseNotification),
            ACK_SS => LeaseBreakResponse::parse(pdu).map(Self::LeaseResponse),
            _ => Err(Error::Malformed),
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
    use super::*;

    #[test]
    fn oplock_layout() {
        let r = OplockBreak {
            oplock_level: 1,
            file_id: FileId {
                persistent: 7,
                volatile: 8,
            },
        };
        let mut b = [0xEEu8; 88];
        assert_eq!(r.emit(&mut b).unwrap(), 88);
        // §2.2.23.1: SS 24, OplockLevel at body 2, FileId at 8.
        assert_eq!(&b[64..72], &[24, 0, 1, 0, 0, 0, 0, 0]);
        assert_eq!(b[72], 7);
        assert_eq!(b[80], 8);
        assert_eq!(BreakMessage::parse(&b), Ok(BreakMessage::Oplock(r)));
        assert_eq!(OplockBreakAck::parse(&b).unwrap().oplock_level, 1);
    }

    #[test]
    fn lease_layouts() {
        let n = LeaseBreakNotification {
            new_epoch: 3,
            flags: LEASE_BREAK_ACK_REQUIRED,
            lease_key: [0xAB; 16],
            current_lease_state: 7,
            new_lease_state: 1,
            ..Default::default()
        };
        let mut b = [0xEEu8; 108];
        assert_eq!(n.emit(&mut b).unwrap(), 108);
        // §2.2.23.2: SS 44, NewEpoch, Flags at 4, LeaseKey at 8, states at 24/28.
        assert_eq!(&b[64..72], &[44, 0, 3, 0, 1, 0, 0, 0]);
        assert_eq!(&b[72..88], &[0xAB; 16]);
        assert_eq!(&b[88..96], &[7, 0, 0, 0, 1, 0, 0, 0]);
        assert_eq!(
            BreakMessage::parse(&b),
            Ok(BreakMessage::LeaseNotification(n))
        );

        let a = LeaseBreakAck(LeaseBreakFields {
            flags: 0,
            lease_key: [1; 16],
            lease_state: 1,
            lease_duration: 0,
        });
        assert_eq!(a.emit(&mut b).unwrap(), 100);
        // §2.2.24.2: SS 36, LeaseKey at body 8, LeaseState at 24.
        assert_eq!(&b[64..66], &[36, 0]);
        assert_eq!(&b[88..92], &[1, 0, 0, 0]);
        assert_eq!(LeaseBreakAck::parse(&b[..100]).unwrap(), a);
        assert_eq!(
            BreakMessage::parse(&b[..100]),
            Ok(BreakMessage::LeaseResponse(LeaseBreakResponse(a.0)))
        );
        b[64] = 30;
        assert_eq!(BreakMessage::parse(&b[..100]), Err(Error::Malformed));
    }
}
