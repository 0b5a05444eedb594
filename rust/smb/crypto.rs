// SPDX-License-Identifier: GPL-2.0
//! Safe Rust wrapper over the SMB crypto C ABI (`include/smb/crypto.h`),
//! for in-kernel consumers written in Rust, and the codec's
//! [`CryptoProvider`] on top of it.
//!
//! In smbxprt.ko the `smb_*` symbols are its own definitions; in any other
//! module they are smbxprt's exports, so every module computes SMB
//! cryptography with the one implementation.

use super::bindings;
use super::proto::crypto::{
    Cipher, CryptoProvider, IncrementalDigest, Segments, SegmentsMut, AEAD_TAG_LEN,
};
use super::proto::error::{Error as ProtoError, Result as ProtoResult};
use core::mem::MaybeUninit;

/// Zeroes any C context value (they are plain data).
fn wipe<T>(v: &mut T) {
    // SAFETY: `v` is a valid, writable `T`, and all-zero bytes are valid for
    // the plain C structs this is used on.
    unsafe { bindings::smb_helper_memzero_explicit(core::ptr::from_mut(v).cast(), size_of::<T>()) };
}

/// A zero-initialised plain C struct.
fn zeroed<T>() -> T {
    // SAFETY: only used for the C context structs of `smb/crypto.h`, which
    // are plain data for which all-zero bytes are a valid value.
    unsafe { MaybeUninit::<T>::zeroed().assume_init() }
}

/// MD4 of `data`.
pub fn md4(data: &[u8]) -> [u8; 16] {
    let mut out = [0u8; 16];
    // SAFETY: `data` is valid for its length and `out` for 16 bytes.
    unsafe { bindings::smb_md4(data.as_ptr(), data.len(), out.as_mut_ptr()) };
    out
}

macro_rules! mac_wrapper {
    ($(#[$doc:meta])* $name:ident, $cty:ident, $init:ident, $update:ident, $final:ident, $len:expr) => {
        $(#[$doc])*
        pub struct $name(bindings::$cty);

        impl $name {
            /// Starts a MAC with `key`.
            pub fn new(key: &[u8]) -> Self {
                let mut ctx = zeroed::<bindings::$cty>();
                // SAFETY: `ctx` is storage for the context; `key` is valid.
                unsafe { bindings::$init(&mut ctx, key.as_ptr(), key.len()) };
                Self(ctx)
            }
        }

        impl IncrementalDigest<$len> for $name {
            fn update(&mut self, data: &[u8]) {
                // SAFETY: initialised context; `data` valid for its length.
                unsafe { bindings::$update(&mut self.0, data.as_ptr(), data.len()) };
            }

            fn finish(mut self) -> [u8; $len] {
                let mut out = [0u8; $len];
                // SAFETY: initialised context; `out` has room for the MAC.
                // The call zeroes the context.
                unsafe { bindings::$final(&mut self.0, out.as_mut_ptr()) };
                out
            }
        }

        impl Drop for $name {
            fn drop(&mut self) {
                wipe(&mut self.0);
            }
        }
    };
}

mac_wrapper!(
    /// HMAC-MD5.
    HmacMd5, smb_hmac_md5, smb_hmac_md5_init, smb_hmac_md5_update, smb_hmac_md5_final, 16
);
mac_wrapper!(
    /// HMAC-SHA256.
    HmacSha256,
    smb_hmac_sha256,
    smb_hmac_sha256_init,
    smb_hmac_sha256_update,
    smb_hmac_sha256_final,
    32
);

/// SHA-512.
pub struct Sha512(bindings::smb_sha512);

impl Sha512 {
    /// Starts a hash.
    pub fn new() -> Self {
        let mut ctx = zeroed::<bindings::smb_sha512>();
        // SAFETY: `ctx` is storage the call initialises.
        unsafe { bindings::smb_sha512_init(&mut ctx) };
        Self(ctx)
    }
}

impl Default for Sha512 {
    fn default() -> Self {
        Self::new()
    }
}

impl IncrementalDigest<64> for Sha512 {
    fn update(&mut self, data: &[u8]) {
        // SAFETY: initialised context; `data` valid for its length.
        unsafe { bindings::smb_sha512_update(&mut self.0, data.as_ptr(), data.len()) };
    }

    fn finish(mut self) -> [u8; 64] {
        let mut out = [0u8; 64];
        // SAFETY: initialised context; `out` has room for the digest.
        unsafe { bindings::smb_sha512_final(&mut self.0, out.as_mut_ptr()) };
        out
    }
}

/// AES-CMAC with a 128-bit key. It may be moved between calls (the C
/// implementation re-points its context at its key each time).
pub struct AesCmac(bindings::smb_aes_cmac);

impl AesCmac {
    /// Starts a MAC with a 16-byte key (which always prepares).
    pub fn new(key: &[u8; 16]) -> Self {
        let mut ctx = zeroed::<bindings::smb_aes_cmac>();
        // SAFETY: `ctx` is storage the call initialises; the key is 16 bytes,
        // a valid AES key length, so the call cannot fail.
        let r = unsafe { bindings::smb_aes_cmac_init(&mut ctx, key.as_ptr(), key.len()) };
        debug_assert_eq!(r, 0);
        Self(ctx)
    }
}

impl IncrementalDigest<16> for AesCmac {
    fn update(&mut self, data: &[u8]) {
        // SAFETY: initialised context; `data` valid for its length.
        unsafe { bindings::smb_aes_cmac_update(&mut self.0, data.as_ptr(), data.len()) };
    }

    fn finish(mut self) -> [u8; 16] {
        let mut out = [0u8; 16];
        // SAFETY: initialised context; `out` has room for the MAC.
        unsafe { bindings::smb_aes_cmac_final(&mut self.0, out.as_mut_ptr()) };
        out
    }
}

impl Drop for AesCmac {
    fn drop(&mut self) {
        wipe(&mut self.0);
    }
}

/// ARC4 in place; `EINVAL` for a key of 0 or more than 256 bytes.
pub fn arc4(key: &[u8], data: &mut [u8]) -> kernel::error::Result {
    // SAFETY: `key` and `data` are valid for their lengths.
    kernel::error::to_result(unsafe {
        bindings::smb_arc4(key.as_ptr(), key.len(), data.as_mut_ptr(), data.len())
    })
}

/// One AEAD operation over segments, with the context on this stack frame
/// from init to final (it must not move, and it does not).
fn aead(
    cipher: Cipher,
    key: &[u8],
    nonce: &[u8],
    aad: &dyn Segments,
    data: &mut dyn SegmentsMut,
    seal: bool,
    tag: &mut [u8; AEAD_TAG_LEN],
) -> ProtoResult<()> {
    let mut a = zeroed::<bindings::smb_aead>();
    let ad_len = u64::try_from(aad.total_len()).map_err(|_| ProtoError::Oversized)?;
    let data_len = u64::try_from(data.total_len()).map_err(|_| ProtoError::Oversized)?;
    // SAFETY: `a` is storage that stays in place until the final call or
    // the abort below; `key` and `nonce` are valid for their lengths.
    let r = unsafe {
        bindings::smb_aead_init(
            &mut a,
            u32::from(cipher.id()),
            key.as_ptr(),
            key.len(),
            nonce.as_ptr(),
            nonce.len(),
            ad_len,
            data_len,
        )
    };
    if r != 0 {
        return Err(ProtoError::Unsupported);
    }
    aad.for_each_segment(&mut |seg| {
        // SAFETY: `a` is initialised; `seg` is valid for its length.
        unsafe { bindings::smb_aead_auth_update(&mut a, seg.as_ptr(), seg.len()) };
    });
    data.for_each_segment_mut(&mut |seg| {
        let p = seg.as_mut_ptr();
        // SAFETY: `a` is initialised; in-place operation on a valid segment.
        unsafe {
            if seal {
                bindings::smb_aead_encrypt_update(&mut a, p, p, seg.len());
            } else {
                bindings::smb_aead_decrypt_update(&mut a, p, p, seg.len());
            }
        }
    });
    if seal {
        // SAFETY: `a` is initialised; `tag` has 16 bytes. Zeroes `a`.
        unsafe { bindings::smb_aead_encrypt_final(&mut a, tag.as_mut_ptr()) };
        Ok(())
    } else {
        // SAFETY: as above.
        match unsafe { bindings::smb_aead_decrypt_final(&mut a, tag.as_ptr()) } {
            0 => Ok(()),
            _ => Err(ProtoError::BadSignature),
        }
    }
}

/// The codec's cryptography, computed by smbxprt.ko's exported primitives.
#[derive(Clone, Copy, Debug, Default)]
pub struct SmbCrypto;

impl CryptoProvider for SmbCrypto {
    type HmacMd5 = HmacMd5;
    type HmacSha256 = HmacSha256;
    type Sha512 = Sha512;
    type AesCmac = AesCmac;

    fn md4(&self, data: &[u8]) -> [u8; 16] {
        md4(data)
    }

    fn hmac_md5(&self, key: &[u8]) -> HmacMd5 {
        HmacMd5::new(key)
    }

    fn hmac_sha256(&self, key: &[u8]) -> HmacSha256 {
        HmacSha256::new(key)
    }

    fn sha512(&self) -> Sha512 {
        Sha512::new()
    }

    fn aes_cmac(&self, key: &[u8; 16]) -> AesCmac {
        AesCmac::new(key)
    }

    fn aead_seal(
        &self,
        cipher: Cipher,
        key: &[u8],
        nonce: &[u8],
        aad: &dyn Segments,
        data: &mut dyn SegmentsMut,
        tag: &mut [u8; AEAD_TAG_LEN],
    ) -> ProtoResult<()> {
        aead(cipher, key, nonce, aad, data, true, tag)
    }

    fn aead_open(
        &self,
        cipher: Cipher,
        key: &[u8],
        nonce: &[u8],
        aad: &dyn Segments,
        data: &mut dyn SegmentsMut,
        tag: &[u8; AEAD_TAG_LEN],
    ) -> ProtoResult<()> {
        let mut t = *tag;
        aead(cipher, key, nonce, aad, data, false, &mut t)
    }

    fn arc4(&self, key: &[u8], data: &mut [u8]) {
        // The codec only passes 16-byte keys, which ARC4 always accepts.
        let _ = arc4(key, data);
    }
}
