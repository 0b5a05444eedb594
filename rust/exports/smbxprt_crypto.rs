// SPDX-License-Identifier: GPL-2.0
//! The C ABI of `include/smb/crypto.h`, defined by smbxprt.ko over
//! [`kext::crypto`](super::kext::crypto) and exported in the "SMB" namespace
//! by `smbxprt/exports.c`. Only smbxprt includes this file.
//!
//! Each function turns the caller's raw pointers into slices and references
//! under the contract the header states (valid pointers, lengths that match,
//! contexts initialised by the matching `*_init`), then calls the safe
//! wrapper. Signatures are checked against the header at compile time.

use super::bindings;
use super::kext::crypto::{self, Aead, AeadAlg, AesCmac, HmacMd5, HmacSha256, Sha512};
use core::pin::Pin;
use kernel::error::code::EINVAL;
use kernel::ffi::c_int;
use pin_init::PinInit;

// The C context structs wrap exactly the state the Rust types hold, so one
// can be viewed as the other.
const _: () = {
    assert!(size_of::<bindings::smb_hmac_md5>() == size_of::<HmacMd5>());
    assert!(align_of::<bindings::smb_hmac_md5>() == align_of::<HmacMd5>());
    assert!(size_of::<bindings::smb_hmac_sha256>() == size_of::<HmacSha256>());
    assert!(align_of::<bindings::smb_hmac_sha256>() == align_of::<HmacSha256>());
    assert!(size_of::<bindings::smb_sha512>() == size_of::<Sha512>());
    assert!(align_of::<bindings::smb_sha512>() == align_of::<Sha512>());
    assert!(size_of::<bindings::smb_aes_cmac>() == size_of::<AesCmac>());
    assert!(align_of::<bindings::smb_aes_cmac>() == align_of::<AesCmac>());
    assert!(size_of::<bindings::smb_aead>() == size_of::<Aead>());
    assert!(align_of::<bindings::smb_aead>() == align_of::<Aead>());
};

/// # Safety
///
/// `p` must be NULL with `len == 0`, or valid for reads of `len` bytes for
/// the duration of the returned borrow.
unsafe fn bytes<'a>(p: *const u8, len: usize) -> &'a [u8] {
    if len == 0 {
        return &[];
    }
    // SAFETY: guaranteed by the caller.
    unsafe { core::slice::from_raw_parts(p, len) }
}

/// # Safety
///
/// As [`bytes`], for writes.
unsafe fn bytes_mut<'a>(p: *mut u8, len: usize) -> &'a mut [u8] {
    if len == 0 {
        return &mut [];
    }
    // SAFETY: guaranteed by the caller.
    unsafe { core::slice::from_raw_parts_mut(p, len) }
}

/// Writes `digest` to the caller's output array.
///
/// # Safety
///
/// `out` must be valid for writes of `N` bytes.
unsafe fn put<const N: usize>(out: *mut u8, digest: [u8; N]) {
    // SAFETY: guaranteed by the caller.
    unsafe { core::ptr::copy_nonoverlapping(digest.as_ptr(), out, N) };
}

/// `smb_md4()`: see `include/smb/crypto.h`.
///
/// # Safety
///
/// `data` is valid for `len` bytes, `out` for 16.
#[no_mangle]
pub unsafe extern "C" fn smb_md4(data: *const u8, len: usize, out: *mut u8) {
    // SAFETY: the header's contract.
    unsafe { put(out, crypto::md4(bytes(data, len))) };
}

macro_rules! mac_exports {
    ($cty:ident, $rty:ident, $init:ident, $update:ident, $final:ident) => {
        /// See `include/smb/crypto.h`.
        ///
        /// # Safety
        ///
        /// `h` is valid writable storage for the context; `key` is valid
        /// for `key_len` bytes.
        #[no_mangle]
        pub unsafe extern "C" fn $init(h: *mut bindings::$cty, key: *const u8, key_len: usize) {
            // SAFETY: the header's contract; the layouts match (asserted).
            unsafe { h.cast::<$rty>().write($rty::new(bytes(key, key_len))) };
        }

        /// See `include/smb/crypto.h`.
        ///
        /// # Safety
        ///
        /// `h` was initialised by the matching init; `data` is valid for
        /// `len` bytes.
        #[no_mangle]
        pub unsafe extern "C" fn $update(h: *mut bindings::$cty, data: *const u8, len: usize) {
            // SAFETY: the header's contract; the layouts match (asserted).
            unsafe { (*h.cast::<$rty>()).update(bytes(data, len)) };
        }

        /// See `include/smb/crypto.h`. The context is zeroed.
        ///
        /// # Safety
        ///
        /// `h` was initialised by the matching init; `out` is valid for the
        /// digest's length.
        #[no_mangle]
        pub unsafe extern "C" fn $final(h: *mut bindings::$cty, out: *mut u8) {
            // SAFETY: the header's contract. The state is moved out (the
            // moved value zeroes itself when it is finished and dropped) and
            // the caller's copy is zeroed.
            unsafe {
                let mac = h.cast::<$rty>().read();
                crypto::memzero_explicit(bytes_mut(h.cast(), size_of::<$rty>()));
                put(out, mac.finish());
            }
        }
    };
}

mac_exports!(
    smb_hmac_md5,
    HmacMd5,
    smb_hmac_md5_init,
    smb_hmac_md5_update,
    smb_hmac_md5_final
);
mac_exports!(
    smb_hmac_sha256,
    HmacSha256,
    smb_hmac_sha256_init,
    smb_hmac_sha256_update,
    smb_hmac_sha256_final
);

/// See `include/smb/crypto.h`.
///
/// # Safety
///
/// `h` is valid writable storage for the context.
#[no_mangle]
pub unsafe extern "C" fn smb_sha512_init(h: *mut bindings::smb_sha512) {
    // SAFETY: the header's contract; the layouts match (asserted).
    unsafe { h.cast::<Sha512>().write(Sha512::new()) };
}

/// See `include/smb/crypto.h`.
///
/// # Safety
///
/// `h` was initialised; `data` is valid for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn smb_sha512_update(
    h: *mut bindings::smb_sha512,
    data: *const u8,
    len: usize,
) {
    // SAFETY: the header's contract; the layouts match (asserted).
    unsafe { (*h.cast::<Sha512>()).update(bytes(data, len)) };
}

/// See `include/smb/crypto.h`.
///
/// # Safety
///
/// `h` was initialised; `out` is valid for 64 bytes.
#[no_mangle]
pub unsafe extern "C" fn smb_sha512_final(h: *mut bindings::smb_sha512, out: *mut u8) {
    // SAFETY: the header's contract; the state is moved out and finished.
    unsafe { put(out, h.cast::<Sha512>().read().finish()) };
}

/// See `include/smb/crypto.h`.
///
/// # Safety
///
/// `m` is valid writable storage; `key` is valid for `key_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn smb_aes_cmac_init(
    m: *mut bindings::smb_aes_cmac,
    key: *const u8,
    key_len: usize,
) -> c_int {
    // SAFETY: the header's contract.
    match AesCmac::new(unsafe { bytes(key, key_len) }) {
        Ok(mac) => {
            // SAFETY: the layouts match (asserted).
            unsafe { m.cast::<AesCmac>().write(mac) };
            0
        }
        Err(e) => e.to_errno(),
    }
}

/// See `include/smb/crypto.h`.
///
/// # Safety
///
/// `m` was initialised; `data` is valid for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn smb_aes_cmac_update(
    m: *mut bindings::smb_aes_cmac,
    data: *const u8,
    len: usize,
) {
    // SAFETY: the header's contract; `AesCmac` re-points its context at its
    // key on every call, so the caller may have moved it.
    unsafe { (*m.cast::<AesCmac>()).update(bytes(data, len)) };
}

/// See `include/smb/crypto.h`.
///
/// # Safety
///
/// `m` was initialised; `out` is valid for 16 bytes.
#[no_mangle]
pub unsafe extern "C" fn smb_aes_cmac_final(m: *mut bindings::smb_aes_cmac, out: *mut u8) {
    // SAFETY: as in `smb_hmac_md5_final`.
    unsafe {
        let mac = m.cast::<AesCmac>().read();
        crypto::memzero_explicit(bytes_mut(m.cast(), size_of::<AesCmac>()));
        put(out, mac.finish());
    }
}

/// # Safety
///
/// `a` was initialised by `smb_aead_init` and has not moved since.
unsafe fn aead<'a>(a: *mut bindings::smb_aead) -> Pin<&'a mut Aead> {
    // SAFETY: the layouts match (asserted); the header requires the context
    // to stay in place from init to final, which is what pinning means.
    unsafe { Pin::new_unchecked(&mut *a.cast::<Aead>()) }
}

/// See `include/smb/crypto.h`.
///
/// # Safety
///
/// `a` is valid writable storage that will not move until the final call;
/// `key` and `nonce` are valid for their lengths.
#[no_mangle]
pub unsafe extern "C" fn smb_aead_init(
    a: *mut bindings::smb_aead,
    cipher: u32,
    key: *const u8,
    key_len: usize,
    nonce: *const u8,
    nonce_len: usize,
    ad_len: u64,
    data_len: u64,
) -> c_int {
    let (alg, want_key) = match cipher {
        bindings::smb_cipher_SMB_CIPHER_AES128_CCM => (AeadAlg::AesCcm, 16),
        bindings::smb_cipher_SMB_CIPHER_AES128_GCM => (AeadAlg::AesGcm, 16),
        bindings::smb_cipher_SMB_CIPHER_AES256_CCM => (AeadAlg::AesCcm, 32),
        bindings::smb_cipher_SMB_CIPHER_AES256_GCM => (AeadAlg::AesGcm, 32),
        _ => return EINVAL.to_errno(),
    };
    if key_len != want_key {
        return EINVAL.to_errno();
    }
    // SAFETY: the header's contract: `key` and `nonce` are valid for their
    // lengths and `a` is pinned storage for an `Aead` (layouts asserted).
    let r = unsafe {
        Aead::new(
            alg,
            bytes(key, key_len),
            bytes(nonce, nonce_len),
            ad_len,
            data_len,
        )
        .__init(a.cast())
    };
    match r {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// See `include/smb/crypto.h`.
///
/// # Safety
///
/// `a` was initialised; `ad` is valid for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn smb_aead_auth_update(
    a: *mut bindings::smb_aead,
    ad: *const u8,
    len: usize,
) {
    // SAFETY: the header's contract.
    unsafe { aead(a).auth_update(bytes(ad, len)) };
}

/// Copies `src` to `dst` unless they are the same buffer, so the in-place
/// Rust operations serve both forms the header allows.
///
/// # Safety
///
/// `src` and `dst` are valid for `len` bytes and either identical or
/// non-overlapping.
unsafe fn stage(dst: *mut u8, src: *const u8, len: usize) {
    if !core::ptr::eq(dst.cast_const(), src) {
        // SAFETY: guaranteed by the caller.
        unsafe { core::ptr::copy_nonoverlapping(src, dst, len) };
    }
}

/// See `include/smb/crypto.h`.
///
/// # Safety
///
/// `a` was initialised; `dst` and `src` are valid for `len` bytes and
/// either identical or non-overlapping.
#[no_mangle]
pub unsafe extern "C" fn smb_aead_encrypt_update(
    a: *mut bindings::smb_aead,
    dst: *mut u8,
    src: *const u8,
    len: usize,
) {
    // SAFETY: the header's contract.
    unsafe {
        stage(dst, src, len);
        aead(a).encrypt_update(bytes_mut(dst, len));
    }
}

/// See `include/smb/crypto.h`.
///
/// # Safety
///
/// As `smb_aead_encrypt_update`.
#[no_mangle]
pub unsafe extern "C" fn smb_aead_decrypt_update(
    a: *mut bindings::smb_aead,
    dst: *mut u8,
    src: *const u8,
    len: usize,
) {
    // SAFETY: the header's contract.
    unsafe {
        stage(dst, src, len);
        aead(a).decrypt_update(bytes_mut(dst, len));
    }
}

/// See `include/smb/crypto.h`.
///
/// # Safety
///
/// `a` was initialised; `tag` is valid for 16 bytes.
#[no_mangle]
pub unsafe extern "C" fn smb_aead_encrypt_final(a: *mut bindings::smb_aead, tag: *mut u8) {
    // SAFETY: the header's contract.
    unsafe { put(tag, aead(a).encrypt_final()) };
}

/// See `include/smb/crypto.h`.
///
/// # Safety
///
/// `a` was initialised; `tag` is valid for 16 bytes.
#[no_mangle]
pub unsafe extern "C" fn smb_aead_decrypt_final(
    a: *mut bindings::smb_aead,
    tag: *const u8,
) -> c_int {
    let mut t = [0u8; crypto::AEAD_TAG_LEN];
    // SAFETY: the header's contract.
    unsafe { t.copy_from_slice(bytes(tag, crypto::AEAD_TAG_LEN)) };
    // SAFETY: the header's contract.
    match unsafe { aead(a) }.decrypt_final(&t) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// See `include/smb/crypto.h`.
///
/// # Safety
///
/// `a` is storage of a context (initialised or not).
#[no_mangle]
pub unsafe extern "C" fn smb_aead_abort(a: *mut bindings::smb_aead) {
    // SAFETY: zeroing is valid for any state of the storage.
    unsafe { crypto::memzero_explicit(bytes_mut(a.cast(), size_of::<bindings::smb_aead>())) };
}

/// See `include/smb/crypto.h`.
///
/// # Safety
///
/// `key` is valid for `key_len` bytes and `data` for `len`.
#[no_mangle]
pub unsafe extern "C" fn smb_arc4(
    key: *const u8,
    key_len: usize,
    data: *mut u8,
    len: usize,
) -> c_int {
    // SAFETY: the header's contract.
    match crypto::arc4(unsafe { bytes(key, key_len) }, unsafe {
        bytes_mut(data, len)
    }) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

crate::abi_check!(bindings;
    smb_md4,
    smb_hmac_md5_init, smb_hmac_md5_update, smb_hmac_md5_final,
    smb_hmac_sha256_init, smb_hmac_sha256_update, smb_hmac_sha256_final,
    smb_sha512_init, smb_sha512_update, smb_sha512_final,
    smb_aes_cmac_init, smb_aes_cmac_update, smb_aes_cmac_final,
    smb_aead_init, smb_aead_auth_update, smb_aead_encrypt_update, smb_aead_decrypt_update,
    smb_aead_encrypt_final, smb_aead_decrypt_final, smb_aead_abort,
    smb_arc4,
);
