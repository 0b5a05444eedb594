// SPDX-License-Identifier: GPL-2.0
//! Safe wrappers over the kernel's crypto library (`lib/crypto`) and
//! `cifs_md4`: no transform objects, no allocation, no failure paths beyond
//! invalid lengths. Every function may be called in any context.
//!
//! Contexts that hold key material are zeroed with `memzero_explicit` when
//! they are finished or dropped.

use super::super::bindings;
use core::marker::PhantomPinned;
use core::mem::MaybeUninit;
use core::pin::Pin;
use kernel::error::{code::EINVAL, to_result, Result};
use pin_init::PinInit;

/// Overwrites `buf` with zeroes in a way the compiler may not elide.
pub fn memzero_explicit(buf: &mut [u8]) {
    // SAFETY: `buf` is a valid, writable region of `buf.len()` bytes.
    unsafe { bindings::smb_helper_memzero_explicit(buf.as_mut_ptr().cast(), buf.len()) };
}

/// Zeroes the bytes of any value, for contexts holding key material.
fn zero_value<T>(v: &mut T) {
    // SAFETY: `v` is a valid, writable `T`; the C types zeroed here are plain
    // data for which all-zero bytes are a valid (inert) value.
    unsafe { bindings::smb_helper_memzero_explicit(core::ptr::from_mut(v).cast(), size_of::<T>()) };
}

/// Compares two byte strings in time independent of their contents (only
/// of their lengths). Returns true if they are equal.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    // SAFETY: both pointers are valid for `a.len()` bytes.
    unsafe {
        bindings::smb_helper_crypto_memneq(a.as_ptr().cast(), b.as_ptr().cast(), a.len()) == 0
    }
}

/// MD4 (RFC 1320) of `data`, through `cifs_md4`. Only NTLM uses it.
pub fn md4(data: &[u8]) -> [u8; 16] {
    let mut ctx = MaybeUninit::<bindings::md4_ctx>::zeroed();
    let mut out = [0u8; 16];
    // SAFETY: `ctx` is zeroed storage for an `md4_ctx`, which
    // `cifs_md4_init` initialises; the updates read `chunk.len()` bytes
    // (each at most `u32::MAX`) from a valid slice; `out` has the 16 bytes
    // `cifs_md4_final` writes. These functions cannot fail (they return 0).
    unsafe {
        bindings::cifs_md4_init(ctx.as_mut_ptr());
        for chunk in data.chunks(u32::MAX as usize) {
            bindings::cifs_md4_update(ctx.as_mut_ptr(), chunk.as_ptr(), chunk.len() as u32);
        }
        bindings::cifs_md4_final(ctx.as_mut_ptr(), out.as_mut_ptr());
    }
    out
}

macro_rules! hmac_type {
    ($(#[$doc:meta])* $name:ident, $ctx:ident, $init:ident, $update:ident, $final:ident, $len:expr) => {
        $(#[$doc])*
        #[repr(transparent)]
        pub struct $name(bindings::$ctx);

        impl $name {
            /// Starts a MAC with `key` (any length).
            pub fn new(key: &[u8]) -> Self {
                let mut ctx = MaybeUninit::<bindings::$ctx>::zeroed();
                // SAFETY: `ctx` is storage for the context, which the call
                // fully initialises from the `key.len()` valid bytes at `key`.
                unsafe { bindings::$init(ctx.as_mut_ptr(), key.as_ptr(), key.len()) };
                // SAFETY: initialised just above.
                Self(unsafe { ctx.assume_init() })
            }

            /// Adds `data` to the message.
            pub fn update(&mut self, data: &[u8]) {
                // SAFETY: `self.0` is an initialised context; `data` is valid
                // for `data.len()` bytes.
                unsafe { bindings::$update(&mut self.0, data.as_ptr(), data.len()) };
            }

            /// Finishes the MAC and returns it; the context is zeroed.
            pub fn finish(mut self) -> [u8; $len] {
                let mut out = [0u8; $len];
                // SAFETY: `self.0` is initialised and `out` has room for the
                // digest. The final call also zeroes the context.
                unsafe { bindings::$final(&mut self.0, out.as_mut_ptr()) };
                out
            }
        }

        impl Drop for $name {
            fn drop(&mut self) {
                zero_value(&mut self.0);
            }
        }
    };
}

hmac_type!(
    /// HMAC-MD5 (RFC 2104), incremental.
    HmacMd5, hmac_md5_ctx, hmac_md5_init_usingrawkey, smb_helper_hmac_md5_update, hmac_md5_final, 16
);
hmac_type!(
    /// HMAC-SHA256 (RFC 2104, FIPS 180-4), incremental.
    HmacSha256,
    hmac_sha256_ctx,
    hmac_sha256_init_usingrawkey,
    smb_helper_hmac_sha256_update,
    hmac_sha256_final,
    32
);

/// SHA-512 (FIPS 180-4), incremental.
#[repr(transparent)]
pub struct Sha512(bindings::sha512_ctx);

impl Sha512 {
    /// Starts a hash.
    pub fn new() -> Self {
        let mut ctx = MaybeUninit::<bindings::sha512_ctx>::zeroed();
        // SAFETY: `sha512_init` fully initialises the context.
        unsafe { bindings::sha512_init(ctx.as_mut_ptr()) };
        // SAFETY: initialised just above.
        Self(unsafe { ctx.assume_init() })
    }

    /// Adds `data` to the message.
    pub fn update(&mut self, data: &[u8]) {
        // SAFETY: initialised context; `data` valid for `data.len()` bytes.
        unsafe { bindings::smb_helper_sha512_update(&mut self.0, data.as_ptr(), data.len()) };
    }

    /// Finishes the hash and returns it.
    pub fn finish(mut self) -> [u8; 64] {
        let mut out = [0u8; 64];
        // SAFETY: initialised context; `out` has room for the digest.
        unsafe { bindings::sha512_final(&mut self.0, out.as_mut_ptr()) };
        out
    }
}

impl Default for Sha512 {
    fn default() -> Self {
        Self::new()
    }
}

/// AES-CMAC (RFC 4493), incremental.
///
/// The library's context points at the expanded key; this type keeps both
/// and re-points the context at its own key before every call, so it may
/// be moved freely between calls. The layout (`key`, then `ctx`) matches
/// `struct smb_aes_cmac` in `include/smb/crypto.h`.
#[repr(C)]
pub struct AesCmac {
    key: bindings::aes_cmac_key,
    ctx: bindings::aes_cmac_ctx,
}

impl AesCmac {
    /// Starts a MAC with an AES key of 16, 24 or 32 bytes.
    pub fn new(key: &[u8]) -> Result<Self> {
        // SAFETY: all-zero bytes are a valid value of these plain C structs.
        let mut this: Self = unsafe { MaybeUninit::zeroed().assume_init() };
        // SAFETY: `this.key` is writable; `key` is valid for its length.
        to_result(unsafe {
            bindings::aes_cmac_preparekey(&mut this.key, key.as_ptr(), key.len())
        })?;
        // SAFETY: `this.key` was prepared above; this sets up `this.ctx`.
        unsafe { bindings::smb_helper_aes_cmac_init(&mut this.ctx, &this.key) };
        Ok(this)
    }

    /// Adds `data` to the message.
    pub fn update(&mut self, data: &[u8]) {
        self.ctx.key = &self.key;
        // SAFETY: `ctx` is initialised and points at `self.key`, which
        // lives as long as the call; `data` is valid for its length.
        unsafe { bindings::aes_cmac_update(&mut self.ctx, data.as_ptr(), data.len()) };
    }

    /// Finishes the MAC and returns it; the state is zeroed (on drop).
    pub fn finish(mut self) -> [u8; 16] {
        let mut out = [0u8; 16];
        self.ctx.key = &self.key;
        // SAFETY: as in `update`; `out` has room for the 16-byte MAC.
        unsafe { bindings::aes_cmac_final(&mut self.ctx, out.as_mut_ptr()) };
        out
    }
}

impl Drop for AesCmac {
    fn drop(&mut self) {
        zero_value(&mut self.key);
        zero_value(&mut self.ctx);
    }
}

/// The AEAD constructions of [`Aead`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AeadAlg {
    /// AES-CCM (RFC 3610, NIST SP 800-38C) with a 16-byte tag.
    AesCcm,
    /// AES-GCM (NIST SP 800-38D) with a 16-byte tag.
    AesGcm,
}

/// Length of the [`Aead`] authentication tag.
pub const AEAD_TAG_LEN: usize = 16;

#[repr(C)]
struct GcmState {
    key: bindings::aes_gcm_key,
    ctx: bindings::aes_gcm_ctx,
}

#[repr(C)]
struct CcmState {
    key: bindings::aes_ccm_key,
    ctx: bindings::aes_ccm_ctx,
}

#[repr(C)]
union AeadState {
    gcm: core::mem::ManuallyDrop<GcmState>,
    ccm: core::mem::ManuallyDrop<CcmState>,
}

/// AES-CCM or AES-GCM, incremental over any number of associated-data and
/// data pieces, in place.
///
/// The library's contexts point into the prepared key, so an `Aead` is
/// pinned: it is created in place ([`Aead::new`]) and used through
/// `Pin<&mut Aead>`. The layout matches `struct smb_aead` in
/// `include/smb/crypto.h`.
///
/// Use: [`Aead::auth_update`] for all associated data, then
/// [`Aead::encrypt_update`] or [`Aead::decrypt_update`] for all data, then
/// [`Aead::encrypt_final`] or [`Aead::decrypt_final`]. The totals must equal
/// the lengths given to [`Aead::new`] (CCM needs them up front).
#[repr(C)]
pub struct Aead {
    alg: u32,
    state: AeadState,
    _pin: PhantomPinned,
}

const ALG_CCM: u32 = 1;
const ALG_GCM: u32 = 2;

impl Aead {
    /// Prepares `key` (16, 24 or 32 bytes) and starts a message with
    /// `nonce` (GCM: 12 bytes; CCM: 7 to 13), `ad_len` bytes of associated
    /// data and `data_len` bytes of data. Fails with `EINVAL` on any invalid
    /// length.
    pub fn new<'a>(
        alg: AeadAlg,
        key: &'a [u8],
        nonce: &'a [u8],
        ad_len: u64,
        data_len: u64,
    ) -> impl PinInit<Self, kernel::error::Error> + 'a {
        // SAFETY: the closure initialises every field `slot` needs and
        // reports failure before anything needs dropping (the state is
        // plain data); the context is initialised in place and never moved,
        // so its pointer to the key stays valid.
        unsafe {
            pin_init::pin_init_from_closure(move |slot: *mut Self| {
                core::ptr::write_bytes(slot, 0, 1);
                let state = &raw mut (*slot).state;
                match alg {
                    AeadAlg::AesGcm => {
                        (*slot).alg = ALG_GCM;
                        if nonce.len() != 12 {
                            return Err(EINVAL);
                        }
                        let st = state.cast::<GcmState>();
                        let key_ptr = &raw mut (*st).key;
                        to_result(bindings::aes_gcm_preparekey(
                            key_ptr,
                            key.as_ptr(),
                            key.len(),
                            AEAD_TAG_LEN,
                        ))?;
                        bindings::aes_gcm_init(&raw mut (*st).ctx, nonce.as_ptr(), key_ptr);
                    }
                    AeadAlg::AesCcm => {
                        (*slot).alg = ALG_CCM;
                        let st = state.cast::<CcmState>();
                        let key_ptr = &raw mut (*st).key;
                        to_result(bindings::aes_ccm_preparekey(
                            key_ptr,
                            key.as_ptr(),
                            key.len(),
                            AEAD_TAG_LEN,
                        ))?;
                        let r = bindings::aes_ccm_init(
                            &raw mut (*st).ctx,
                            data_len,
                            ad_len,
                            nonce.as_ptr(),
                            nonce.len(),
                            key_ptr,
                        );
                        if r != 0 {
                            bindings::smb_helper_memzero_explicit(
                                key_ptr.cast(),
                                size_of::<bindings::aes_ccm_key>(),
                            );
                            return Err(kernel::error::Error::from_errno(r));
                        }
                    }
                }
                Ok(())
            })
        }
    }

    fn state(self: Pin<&mut Self>) -> (u32, *mut AeadState) {
        // SAFETY: the state is only accessed in place through the raw
        // pointer; nothing is moved out of the pinned value.
        let this = unsafe { self.get_unchecked_mut() };
        (this.alg, &raw mut this.state)
    }

    /// Adds associated data (authenticated, not encrypted).
    pub fn auth_update(self: Pin<&mut Self>, ad: &[u8]) {
        let (alg, st) = self.state();
        // SAFETY: `st` holds the context initialised for `alg` by `new`;
        // `ad` is valid for its length.
        unsafe {
            if alg == ALG_GCM {
                bindings::aes_gcm_auth_update(
                    &raw mut (*st.cast::<GcmState>()).ctx,
                    ad.as_ptr(),
                    ad.len(),
                );
            } else {
                bindings::aes_ccm_auth_update(
                    &raw mut (*st.cast::<CcmState>()).ctx,
                    ad.as_ptr(),
                    ad.len(),
                );
            }
        }
    }

    /// Encrypts `data` in place.
    pub fn encrypt_update(self: Pin<&mut Self>, data: &mut [u8]) {
        let (alg, st) = self.state();
        let p = data.as_mut_ptr();
        // SAFETY: as in `auth_update`; in-place operation is allowed.
        unsafe {
            if alg == ALG_GCM {
                bindings::aes_gcm_encrypt_update(
                    &raw mut (*st.cast::<GcmState>()).ctx,
                    p,
                    p,
                    data.len(),
                );
            } else {
                bindings::aes_ccm_encrypt_update(
                    &raw mut (*st.cast::<CcmState>()).ctx,
                    p,
                    p,
                    data.len(),
                );
            }
        }
    }

    /// Decrypts `data` in place. Nothing decrypted may be trusted before
    /// [`Aead::decrypt_final`] succeeds.
    pub fn decrypt_update(self: Pin<&mut Self>, data: &mut [u8]) {
        let (alg, st) = self.state();
        let p = data.as_mut_ptr();
        // SAFETY: as in `encrypt_update`.
        unsafe {
            if alg == ALG_GCM {
                bindings::aes_gcm_decrypt_update(
                    &raw mut (*st.cast::<GcmState>()).ctx,
                    p,
                    p,
                    data.len(),
                );
            } else {
                bindings::aes_ccm_decrypt_update(
                    &raw mut (*st.cast::<CcmState>()).ctx,
                    p,
                    p,
                    data.len(),
                );
            }
        }
    }

    /// Finishes encryption and returns the tag. The state is zeroed.
    pub fn encrypt_final(mut self: Pin<&mut Self>) -> [u8; AEAD_TAG_LEN] {
        let mut tag = [0u8; AEAD_TAG_LEN];
        let (alg, st) = self.as_mut().state();
        // SAFETY: as in `auth_update`; `tag` has room for the tag.
        unsafe {
            if alg == ALG_GCM {
                bindings::aes_gcm_encrypt_final(
                    &raw mut (*st.cast::<GcmState>()).ctx,
                    tag.as_mut_ptr(),
                );
            } else {
                bindings::aes_ccm_encrypt_final(
                    &raw mut (*st.cast::<CcmState>()).ctx,
                    tag.as_mut_ptr(),
                );
            }
        }
        self.wipe();
        tag
    }

    /// Finishes decryption and checks `tag`: `EBADMSG` if the message is not
    /// authentic. The state is zeroed either way.
    pub fn decrypt_final(mut self: Pin<&mut Self>, tag: &[u8; AEAD_TAG_LEN]) -> Result {
        let (alg, st) = self.as_mut().state();
        // SAFETY: as in `auth_update`; `tag` holds the 16-byte tag.
        let r = unsafe {
            if alg == ALG_GCM {
                bindings::aes_gcm_decrypt_final(&raw mut (*st.cast::<GcmState>()).ctx, tag.as_ptr())
            } else {
                bindings::aes_ccm_decrypt_final(&raw mut (*st.cast::<CcmState>()).ctx, tag.as_ptr())
            }
        };
        self.wipe();
        to_result(r)
    }

    /// Zeroes the key and context (also done by the finals).
    pub fn wipe(self: Pin<&mut Self>) {
        let (_, st) = self.state();
        // SAFETY: `st` is valid, writable storage of the union's size.
        unsafe { bindings::smb_helper_memzero_explicit(st.cast(), size_of::<AeadState>()) };
    }
}

impl Drop for Aead {
    fn drop(&mut self) {
        zero_value(&mut self.state);
    }
}

/// ARC4 over `data` in place, with a key of 1 to 256 bytes (`EINVAL`
/// otherwise). ARC4 is broken; NTLMSSP key exchange still requires it.
pub fn arc4(key: &[u8], data: &mut [u8]) -> Result {
    if key.is_empty() || key.len() > 256 {
        return Err(EINVAL);
    }
    let mut ctx = MaybeUninit::<bindings::arc4_ctx>::zeroed();
    // SAFETY: `ctx` is storage that `arc4_setkey` initialises; the key
    // length is in range; `data` is valid and may be processed in place.
    unsafe {
        to_result(bindings::arc4_setkey(
            ctx.as_mut_ptr(),
            key.as_ptr(),
            key.len() as u32,
        ))?;
        for chunk in data.chunks_mut(u32::MAX as usize) {
            let p = chunk.as_mut_ptr();
            bindings::arc4_crypt(ctx.as_mut_ptr(), p, p, chunk.len() as u32);
        }
        bindings::smb_helper_memzero_explicit(
            ctx.as_mut_ptr().cast(),
            size_of::<bindings::arc4_ctx>(),
        );
    }
    Ok(())
}
