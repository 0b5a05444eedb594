// SPDX-License-Identifier: GPL-2.0
//! The C ABI of `include/smb/auth.h`, defined by smbclient.ko over its
//! `auth` module and exported in the "SMB" namespace by
//! `smbclient/exports.c`. Only smbclient includes this file.

use super::auth::{self, Ntlmv2Request};
use super::bindings;
use kernel::ffi::{c_char, c_int};

/// # Safety
///
/// `p` must be valid for reads of `len` bytes (or `len == 0`).
unsafe fn bytes<'a>(p: *const u8, len: usize) -> &'a [u8] {
    if len == 0 {
        return &[];
    }
    // SAFETY: guaranteed by the caller.
    unsafe { core::slice::from_raw_parts(p, len) }
}

/// See `include/smb/auth.h`.
///
/// # Safety
///
/// `password` is valid for `len` bytes and `out` for 16.
#[no_mangle]
pub unsafe extern "C" fn smb_nt_hash(password: *const c_char, len: usize, out: *mut u8) -> c_int {
    // SAFETY: the header's contract.
    match auth::nt_hash(unsafe { bytes(password.cast(), len) }) {
        Ok(h) => {
            // SAFETY: `out` is valid for 16 bytes.
            unsafe { core::ptr::copy_nonoverlapping(h.as_ptr(), out, h.len()) };
            0
        }
        Err(e) => e.to_errno(),
    }
}

/// See `include/smb/auth.h`.
///
/// # Safety
///
/// `input` and every pointer in it are valid for their stated lengths;
/// `resp` is valid for `*resp_len` bytes; `session_base_key` for 16.
#[no_mangle]
pub unsafe extern "C" fn smb_ntlmv2_response(
    input: *const bindings::smb_ntlmv2_input,
    resp: *mut u8,
    resp_len: *mut usize,
    session_base_key: *mut u8,
) -> c_int {
    // SAFETY: the header's contract for every field.
    let (req, out) = unsafe {
        let i = &*input;
        (
            Ntlmv2Request {
                nt_hash: &*i.nt_hash.cast::<[u8; 16]>(),
                user: bytes(i.user.cast(), i.user_len),
                domain: bytes(i.domain.cast(), i.domain_len),
                server_challenge: &*i.server_challenge.cast::<[u8; 8]>(),
                client_challenge: &*i.client_challenge.cast::<[u8; 8]>(),
                time: i.time,
                target_info: bytes(i.target_info, i.target_info_len),
            },
            core::slice::from_raw_parts_mut(resp, *resp_len),
        )
    };
    match auth::ntlmv2_response(&req, out) {
        Ok((len, key)) => {
            // SAFETY: `resp_len` is valid; `session_base_key` for 16 bytes.
            unsafe {
                *resp_len = len;
                core::ptr::copy_nonoverlapping(key.as_ptr(), session_base_key, key.len());
            }
            0
        }
        Err(e) => e.to_errno(),
    }
}

crate::abi_check!(bindings; smb_nt_hash, smb_ntlmv2_response);
