// SPDX-License-Identifier: GPL-2.0
//! NTLM building blocks exported by smbclient.ko (`include/smb/auth.h`).

use super::bindings;
use kernel::error::{to_result, Result};

/// Length of an NT hash.
pub const NT_HASH_LEN: usize = bindings::SMB_NT_HASH_SIZE as usize;

/// NTOWFv1 of `password` (MS-NLMP §3.3.1): MD4 of its UTF-16LE form.
pub fn nt_hash(password: &str) -> Result<[u8; NT_HASH_LEN]> {
    let mut out = [0u8; NT_HASH_LEN];
    // SAFETY: `password` is valid for its length and `out` for 16 bytes.
    to_result(unsafe {
        bindings::smb_nt_hash(password.as_ptr().cast(), password.len(), out.as_mut_ptr())
    })?;
    Ok(out)
}

/// What [`ntlmv2_response`] computes from (MS-NLMP §3.3.2).
pub struct Ntlmv2Input<'a> {
    /// The NT hash of the password.
    pub nt_hash: &'a [u8; NT_HASH_LEN],
    /// User name.
    pub user: &'a str,
    /// The user's domain.
    pub domain: &'a str,
    /// The server's challenge.
    pub server_challenge: &'a [u8; 8],
    /// The client's challenge (random).
    pub client_challenge: &'a [u8; 8],
    /// Timestamp (FILETIME).
    pub time: u64,
    /// The server's AV pairs (TargetInfo), ending with MsvAvEOL.
    pub target_info: &'a [u8],
}

/// Computes NTLMv2's NtChallengeResponse into `resp` and returns its length
/// and the SessionBaseKey.
pub fn ntlmv2_response(input: &Ntlmv2Input<'_>, resp: &mut [u8]) -> Result<(usize, [u8; 16])> {
    let raw = bindings::smb_ntlmv2_input {
        nt_hash: input.nt_hash.as_ptr(),
        user: input.user.as_ptr().cast(),
        user_len: input.user.len(),
        domain: input.domain.as_ptr().cast(),
        domain_len: input.domain.len(),
        server_challenge: input.server_challenge.as_ptr(),
        client_challenge: input.client_challenge.as_ptr(),
        time: input.time,
        target_info: input.target_info.as_ptr(),
        target_info_len: input.target_info.len(),
    };
    let mut len = resp.len();
    let mut key = [0u8; 16];
    // SAFETY: every pointer in `raw` is valid for its stated length for the
    // duration of the call; `resp` is valid for `len` bytes and `key` for 16.
    to_result(unsafe {
        bindings::smb_ntlmv2_response(&raw, resp.as_mut_ptr(), &mut len, key.as_mut_ptr())
    })?;
    Ok((len, key))
}
