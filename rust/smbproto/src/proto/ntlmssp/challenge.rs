// SPDX-License-Identifier: GPL-2.0
//! CHALLENGE_MESSAGE decoding (MS-NLMP §2.2.1.2).
//!
//! ```text
//!  0..8   Signature "NTLMSSP\0"
//!  8..12  MessageType = 2
//! 12..20  TargetNameFields (Len u16, MaxLen u16, BufferOffset u32)
//! 20..24  NegotiateFlags
//! 24..32  ServerChallenge
//! 32..40  Reserved
//! 40..48  TargetInfoFields
//! 48..56  Version (when NTLMSSP_NEGOTIATE_VERSION is set)
//! ```
//!
//! [`ChallengeMessage::new_checked`] validates everything once: signature and
//! type, both payload fields against the buffer (offset + length computed in
//! 32 bits, overflow is [`Error::Overflow`], past the end
//! [`Error::OutOfBounds`]) and the whole TargetInfo AV_PAIR list
//! ([`super::av_pair::validate_target_info`]). The accessors cannot fail.

use super::super::error::{Error, Result};
use super::av_pair::{validate_target_info, AvPairs, TargetInfoSummary};
use super::flags;
use super::version::{Version, VERSION_LEN};
use super::{MESSAGE_TYPE_CHALLENGE, SIGNATURE};

/// Length of the fixed part without Version.
pub const CHALLENGE_FIXED_LEN: usize = 48;
const TARGET_NAME_FIELDS: usize = 12;
const NEGOTIATE_FLAGS: usize = 20;
const SERVER_CHALLENGE: usize = 24;
const TARGET_INFO_FIELDS: usize = 40;
const VERSION: usize = 48;

/// A validated CHALLENGE_MESSAGE borrowing its bytes.
#[derive(Debug, Clone, Copy)]
pub struct ChallengeMessage<'a> {
    buf: &'a [u8],
    negotiate_flags: u32,
    server_challenge: [u8; 8],
    target_name: &'a [u8],
    target_info: &'a [u8],
    target_info_summary: TargetInfoSummary,
    version: Option<Version>,
}

impl<'a> ChallengeMessage<'a> {
    /// Validates `buf` as a CHALLENGE_MESSAGE; `buf` is exactly the token the
    /// server sent (the MIC covers all of it).
    ///
    /// Errors: [`Error::Truncated`] if a fixed field is missing,
    /// [`Error::Malformed`] for a wrong signature or MessageType,
    /// [`Error::Overflow`] / [`Error::OutOfBounds`] for a payload field
    /// outside the buffer, and the AV_PAIR errors for a bad TargetInfo.
    pub fn new_checked(buf: &'a [u8]) -> Result<Self> {
        let signature = buf.get(..SIGNATURE.len()).ok_or(Error::Truncated)?;
        if signature != SIGNATURE {
            return Err(Error::Malformed);
        }
        if read_u32(buf, 8)? != MESSAGE_TYPE_CHALLENGE {
            return Err(Error::Malformed);
        }
        if buf.len() < CHALLENGE_FIXED_LEN {
            return Err(Error::Truncated);
        }
        let negotiate_flags = read_u32(buf, NEGOTIATE_FLAGS)?;
        let mut server_challenge = [0u8; 8];
        server_challenge.copy_from_slice(
            buf.get(SERVER_CHALLENGE..SERVER_CHALLENGE.saturating_add(8))
                .ok_or(Error::Truncated)?,
        );
        let target_name = payload_field(buf, TARGET_NAME_FIELDS)?;
        let target_info = payload_field(buf, TARGET_INFO_FIELDS)?;
        let target_info_summary = if target_info.is_empty() {
            TargetInfoSummary::default()
        } else {
            validate_target_info(target_info)?
        };
        let version = if negotiate_flags & flags::NEGOTIATE_VERSION != 0 {
            let bytes: [u8; VERSION_LEN] = buf
                .get(VERSION..VERSION.saturating_add(VERSION_LEN))
                .and_then(|v| v.try_into().ok())
                .ok_or(Error::Truncated)?;
            Some(Version::from_bytes(bytes))
        } else {
            None
        };
        Ok(Self {
            buf,
            negotiate_flags,
            server_challenge,
            target_name,
            target_info,
            target_info_summary,
            version,
        })
    }

    /// The whole message as received.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.buf
    }

    /// NegotiateFlags chosen by the server.
    pub fn negotiate_flags(&self) -> u32 {
        self.negotiate_flags
    }

    /// ServerChallenge.
    pub fn server_challenge(&self) -> [u8; 8] {
        self.server_challenge
    }

    /// TargetName as sent (UTF-16LE with NTLMSSP_NEGOTIATE_UNICODE); empty if
    /// absent.
    pub fn target_name(&self) -> &'a [u8] {
        self.target_name
    }

    /// TargetInfo (an AV_PAIR list) as sent; empty if absent.
    pub fn target_info(&self) -> &'a [u8] {
        self.target_info
    }

    /// The AV pairs of TargetInfo (already validated, so every item is `Ok`).
    pub fn av_pairs(&self) -> AvPairs<'a> {
        if self.target_info.is_empty() {
            AvPairs::empty()
        } else {
            AvPairs::new(self.target_info)
        }
    }

    /// MsvAvTimestamp from TargetInfo, if present.
    pub fn timestamp(&self) -> Option<u64> {
        self.target_info_summary.timestamp
    }

    /// MsvAvFlags from TargetInfo, if present.
    pub fn av_flags(&self) -> Option<u32> {
        self.target_info_summary.flags
    }

    /// Version, when NTLMSSP_NEGOTIATE_VERSION is set.
    pub fn version(&self) -> Option<Version> {
        self.version
    }
}

fn read_u32(buf: &[u8], off: usize) -> Result<u32> {
    let b: [u8; 4] = buf
        .get(off..off.saturating_add(4))
        .and_then(|b| b.try_into().ok())
        .ok_or(Error::Truncated)?;
    Ok(u32::from_le_bytes(b))
}

/// Resolves a (Len, MaxLen, BufferOffset) field. A zero Len is an absent
/// field whatever its offset.
fn payload_field(buf: &[u8], fields: usize) -> Result<&[u8]> {
    let raw = buf
        .get(fields..fields.saturating_add(8))
        .ok_or(Error::Truncated)?;
    let len = u16::from_le_bytes([
        raw.first().copied().unwrap_or(0),
        raw.get(1).copied().unwrap_or(0),
    ]);
    let offset = read_u32(raw, 4)?;
    if len == 0 {
        return Ok(&[]);
    }
    let end = offset.checked_add(u32::from(len)).ok_or(Error::Overflow)?;
    let start = usize::try_from(offset).map_err(|_| Error::OutOfBounds)?;
    let end = usize::try_from(end).map_err(|_| Error::OutOfBounds)?;
    buf.get(start..end).ok_or(Error::OutOfBounds)
}
