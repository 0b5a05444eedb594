// SPDX-License-Identifier: GPL-2.0
//! Encryption, both directions (MS-SMB2 3.1.4.3, 3.2.4.1.8, 3.2.5.1.1.1),
//! with a session's keys from the keyring (`keys.rs`).
//!
//! A TRANSFORM_HEADER hides the MessageId, so an encrypted reply can only
//! be placed after it is opened, on smbiod, with the key of the SessionId
//! the header names.
#![forbid(unsafe_code)]

use crate::kext::iter::KernelIter;
use crate::kext::random;
use crate::keys::KeySet;
use crate::proto::header::PROTOCOL_ID;
use crate::proto::transform::{TransformHeader, TRANSFORM_HEADER_LEN};
use crate::proto::transform_crypt::{decrypt_in_place, encrypt_in_place};
use crate::smb_crypto::SmbCrypto;
use kernel::alloc::{flags::GFP_KERNEL, KVVec};
use kernel::error::{code::*, Result};
use kernel::sync::Arc;

/// A request sealed into one buffer: the TRANSFORM_HEADER, then the
/// encrypted message (the parts, then the payload). The caller's buffers are
/// left as they were: the payload belongs to the caller (a WRITE's pages)
/// and is only read.
pub(crate) fn seal(
    keys: &KeySet,
    parts: &[&mut [u8]],
    payload: Option<&KernelIter<'_>>,
) -> Result<KVVec<u8>> {
    let mut buf = KVVec::with_capacity(sealed_len(parts, payload)?, GFP_KERNEL)?;
    seal_into(keys, parts, payload, &mut buf)?;
    Ok(buf)
}

/// The length of the sealed request.
pub(crate) fn sealed_len(parts: &[&mut [u8]], payload: Option<&KernelIter<'_>>) -> Result<usize> {
    parts
        .iter()
        .try_fold(payload.map_or(0, |p| p.count()), |n, p| {
            n.checked_add(p.len())
        })
        .and_then(|n| n.checked_add(TRANSFORM_HEADER_LEN))
        .ok_or(EINVAL)
}

/// [`seal`] into `buf`, which is emptied first; it allocates nothing if
/// `buf` has room for [`sealed_len`] bytes.
pub(crate) fn seal_into(
    keys: &KeySet,
    parts: &[&mut [u8]],
    payload: Option<&KernelIter<'_>>,
    buf: &mut KVVec<u8>,
) -> Result {
    let cipher = keys.cipher.ok_or(ENOKEY)?;
    let payload_len = payload.map_or(0, |p| p.count());
    let total = sealed_len(parts, payload)?;
    buf.clear();
    buf.extend_from_slice(&[0u8; TRANSFORM_HEADER_LEN], GFP_KERNEL)?;
    for p in parts {
        buf.extend_from_slice(p, GFP_KERNEL)?;
    }
    let body = buf.len();
    buf.resize(total, 0, GFP_KERNEL)?;
    if let Some(p) = payload {
        let mut cursor = p.duplicate()?;
        if cursor.copy_from(&mut buf[body..]) != Ok(payload_len) {
            return Err(EFAULT);
        }
    }
    // A random nonce per message, as the key is per session and long-lived
    // (MS-SMB2 3.1.4.3 only asks that it never repeat under one key).
    let mut nonce = [0u8; 12];
    let nonce = nonce.get_mut(..cipher.nonce_len()).ok_or(EINVAL)?;
    random::fill(nonce);
    let (hdr, msg) = buf.split_at_mut(TRANSFORM_HEADER_LEN);
    encrypt_in_place(
        &SmbCrypto,
        cipher,
        keys.enc_key().ok_or(ENOKEY)?,
        nonce,
        keys.session_id,
        hdr,
        msg,
    )
    .map_err(|_| EINVAL)?;
    Ok(())
}

/// Why a sealed frame could not be opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OpenError {
    /// The header is not a valid TRANSFORM_HEADER.
    Malformed,
    /// No keys for the SessionId it names.
    NoKey(u64),
    /// The tag does not verify (tampered, or the wrong key).
    BadTag(u64),
    /// The plaintext is not an SMB2 message (a transform within a
    /// transform, say).
    NotSmb2(u64),
}

/// Opens a sealed frame in place: `frame` is the TRANSFORM_HEADER and the
/// ciphertext; on success the plaintext message is `frame[52..]`. `keys`
/// finds a session's keys (the keyring's lock is not held while the frame
/// is decrypted).
pub(crate) fn open(
    keys: impl FnOnce(u64) -> Option<Arc<KeySet>>,
    frame: &mut [u8],
) -> core::result::Result<(), OpenError> {
    let th = TransformHeader::parse(frame).map_err(|_| OpenError::Malformed)?;
    let sid = th.session_id;
    let keys = keys(sid).ok_or(OpenError::NoKey(sid))?;
    let (Some(cipher), Some(dec)) = (keys.cipher, keys.dec_key()) else {
        return Err(OpenError::NoKey(sid));
    };
    if frame.len() < TRANSFORM_HEADER_LEN {
        return Err(OpenError::Malformed);
    }
    let (hdr, msg) = frame.split_at_mut(TRANSFORM_HEADER_LEN);
    decrypt_in_place(&SmbCrypto, cipher, dec, sid, hdr, msg).map_err(|e| match e {
        crate::proto::error::Error::BadSignature => OpenError::BadTag(sid),
        _ => OpenError::Malformed,
    })?;
    if msg.get(..4) != Some(&PROTOCOL_ID[..]) {
        return Err(OpenError::NotSmb2(sid));
    }
    Ok(())
}
