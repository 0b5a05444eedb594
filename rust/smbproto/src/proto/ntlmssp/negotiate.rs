// SPDX-License-Identifier: GPL-2.0
//! NEGOTIATE_MESSAGE encoding (MS-NLMP §2.2.1.1).
//!
//! The client supplies neither domain nor workstation here (the OEM_*_SUPPLIED
//! flags must be clear), so the message is 32 bytes, or 40 with a Version.

use super::super::error::{Error, Result};
use super::flags;
use super::version::Version;
use super::{MESSAGE_TYPE_NEGOTIATE, SIGNATURE};

/// Length of a NEGOTIATE_MESSAGE without Version.
pub const NEGOTIATE_LEN: usize = 32;
/// Length of a NEGOTIATE_MESSAGE with Version.
pub const NEGOTIATE_LEN_WITH_VERSION: usize = 40;

/// Writes a NEGOTIATE_MESSAGE with `negotiate_flags` into `out` and returns
/// its length. `version` is written iff NTLMSSP_NEGOTIATE_VERSION is set.
///
/// The caller keeps the bytes: the AUTHENTICATE_MESSAGE's MIC covers them.
/// Flags asking for OEM domain/workstation fields are [`Error::Unsupported`].
pub fn emit_negotiate(negotiate_flags: u32, version: Version, out: &mut [u8]) -> Result<usize> {
    if negotiate_flags
        & (flags::NEGOTIATE_OEM_DOMAIN_SUPPLIED | flags::NEGOTIATE_OEM_WORKSTATION_SUPPLIED)
        != 0
    {
        return Err(Error::Unsupported);
    }
    let with_version = negotiate_flags & flags::NEGOTIATE_VERSION != 0;
    let len = if with_version {
        NEGOTIATE_LEN_WITH_VERSION
    } else {
        NEGOTIATE_LEN
    };
    let msg = out.get_mut(..len).ok_or(Error::BufferTooSmall)?;
    msg.fill(0);
    let mut fixed = [0u8; NEGOTIATE_LEN_WITH_VERSION];
    let parts: [(usize, &[u8]); 4] = [
        (0, &SIGNATURE),
        (8, &MESSAGE_TYPE_NEGOTIATE.to_le_bytes()),
        (12, &negotiate_flags.to_le_bytes()),
        (32, &version.to_bytes()),
    ];
    for (off, bytes) in parts {
        fixed
            .get_mut(off..off.saturating_add(bytes.len()))
            .ok_or(Error::BufferTooSmall)?
            .copy_from_slice(bytes);
    }
    // DomainNameFields (16..24) and WorkstationFields (24..32) stay zero.
    msg.copy_from_slice(fixed.get(..len).ok_or(Error::BufferTooSmall)?);
    Ok(len)
}
