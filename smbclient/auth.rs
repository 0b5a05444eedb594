// SPDX-License-Identifier: GPL-2.0
//! NTLM computations for sessions, and for `include/smb/auth.h`: the codec's
//! NTLMv2 math over smbxprt's exported crypto primitives.
#![forbid(unsafe_code)]

use crate::proto::error::Error as ProtoError;
use crate::proto::ntlmssp::ntlmv2;
use crate::smb_crypto::SmbCrypto;
use kernel::error::{code::*, Error, Result};

/// The NT hash of a UTF-8 password.
pub(crate) fn nt_hash(password: &[u8]) -> Result<[u8; 16]> {
    let password = core::str::from_utf8(password).map_err(|_| EINVAL)?;
    ntlmv2::nt_hash(&SmbCrypto, password).map_err(|e| match e {
        ProtoError::Oversized => ENAMETOOLONG,
        _ => EINVAL,
    })
}

/// Inputs of [`ntlmv2_response`], as byte strings from the C ABI.
pub(crate) struct Ntlmv2Request<'a> {
    pub(crate) nt_hash: &'a [u8; 16],
    pub(crate) user: &'a [u8],
    pub(crate) domain: &'a [u8],
    pub(crate) server_challenge: &'a [u8; 8],
    pub(crate) client_challenge: &'a [u8; 8],
    pub(crate) time: u64,
    pub(crate) target_info: &'a [u8],
}

fn errno(e: ProtoError) -> Error {
    match e {
        ProtoError::BufferTooSmall => ENOSPC,
        ProtoError::Oversized | ProtoError::Overflow => E2BIG,
        _ => EINVAL,
    }
}

/// NTLMv2's NtChallengeResponse into `out`; returns its length and the
/// SessionBaseKey (MS-NLMP §3.3.2).
pub(crate) fn ntlmv2_response(
    req: &Ntlmv2Request<'_>,
    out: &mut [u8],
) -> Result<(usize, [u8; 16])> {
    let user = core::str::from_utf8(req.user).map_err(|_| EINVAL)?;
    let domain = core::str::from_utf8(req.domain).map_err(|_| EINVAL)?;
    let key = ntlmv2::ntowfv2(&SmbCrypto, req.nt_hash, user, domain).map_err(errno)?;
    ntlmv2::ntlmv2_response(
        &SmbCrypto,
        &key,
        req.server_challenge,
        req.client_challenge,
        req.time,
        req.target_info,
        out,
    )
    .map_err(errno)
}
