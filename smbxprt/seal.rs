// SPDX-License-Identifier: GPL-2.0
//! Encryption: the session keys a transport seals with and opens with, and
//! the two directions (MS-SMB2 3.1.4.3, 3.2.4.1.8, 3.2.5.1.1.1).
//!
//! The session layer derives the keys and hands them to the transport
//! (`smb_xprt_set_session_keys`), because the transport is where sealed
//! frames arrive: a TRANSFORM_HEADER hides the MessageId, so an encrypted
//! reply can only be placed after it is opened, on smbiod, with the key of
//! the SessionId the header names.
//!
//! A key is bound to the connection generation it was set up on: a server
//! forgets its sessions with the connection, and one that receives a frame
//! sealed for a session it does not know drops the connection. So a sealed
//! request never goes out on a newer connection; it fails with `ENOKEY`
//! and the session layer sets the session up again first.
//!
//! Keys live in their own heap allocation (they never move by value) and
//! are wiped when the last user drops them.
#![forbid(unsafe_code)]

use crate::kext::crypto::memzero_explicit;
use crate::kext::iter::KernelIter;
use crate::kext::random;
use crate::proto::crypto::Cipher;
use crate::proto::header::PROTOCOL_ID;
use crate::proto::transform::{TransformHeader, TRANSFORM_HEADER_LEN};
use crate::proto::transform_crypt::{decrypt_in_place, encrypt_in_place};
use crate::smb_crypto::SmbCrypto;
use kernel::alloc::{flags::GFP_KERNEL, KVVec, KVec};
use kernel::error::{code::*, Result};
use kernel::sync::Arc;

/// The longest AES key (AES-256).
pub(crate) const MAX_KEY_LEN: usize = 32;

/// One session's keys on one connection.
pub(crate) struct SessionKeys {
    pub(crate) session_id: u64,
    pub(crate) generation: u64,
    cipher: Cipher,
    /// `Session.EncryptionKey` (client to server).
    enc: [u8; MAX_KEY_LEN],
    /// `Session.DecryptionKey` (server to client).
    dec: [u8; MAX_KEY_LEN],
}

impl Drop for SessionKeys {
    fn drop(&mut self) {
        memzero_explicit(&mut self.enc);
        memzero_explicit(&mut self.dec);
    }
}

impl SessionKeys {
    fn key_len(&self) -> usize {
        self.cipher.key_len()
    }
}

/// The keys a transport holds, one entry per session. Used from process
/// context only (senders, smbiod).
#[derive(Default)]
pub(crate) struct Keyring {
    keys: KVec<Arc<SessionKeys>>,
}

impl Keyring {
    /// Sets (or replaces) the keys of `session_id`, set up on connection
    /// `generation`. Entries of older connections go: their sessions are
    /// gone on the server.
    pub(crate) fn set(
        &mut self,
        generation: u64,
        session_id: u64,
        cipher_id: u16,
        enc: &[u8],
        dec: &[u8],
    ) -> Result {
        let cipher = Cipher::from_id(cipher_id).map_err(|_| EOPNOTSUPP)?;
        if enc.len() != cipher.key_len() || dec.len() != cipher.key_len() {
            return Err(EINVAL);
        }
        let mut k = SessionKeys {
            session_id,
            generation,
            cipher,
            enc: [0; MAX_KEY_LEN],
            dec: [0; MAX_KEY_LEN],
        };
        k.enc[..enc.len()].copy_from_slice(enc);
        k.dec[..dec.len()].copy_from_slice(dec);
        // `k` is wiped when dropped, here on failure or by the entry later.
        let entry = Arc::new(k, GFP_KERNEL)?;
        self.keys
            .retain(|e| e.session_id != session_id && e.generation >= generation);
        self.keys.push(entry, GFP_KERNEL)?;
        Ok(())
    }

    /// Forgets the keys of `session_id` set up on connection `generation`
    /// (its session ended). A server may give a later session on a newer
    /// connection the same SessionId: its keys stay.
    pub(crate) fn clear(&mut self, generation: u64, session_id: u64) {
        self.keys
            .retain(|e| e.session_id != session_id || e.generation != generation);
    }

    /// The keys of `session_id`.
    pub(crate) fn find(&self, session_id: u64) -> Option<Arc<SessionKeys>> {
        self.keys
            .iter()
            .find(|e| e.session_id == session_id)
            .cloned()
    }

    /// Sessions with keys.
    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }
}

/// A request sealed into one buffer: the TRANSFORM_HEADER, then the
/// encrypted message (the parts, then the payload). The caller's buffers are
/// left as they were: the payload belongs to the caller (a WRITE's pages)
/// and is only read.
pub(crate) fn seal(
    keys: &SessionKeys,
    parts: &[&mut [u8]],
    payload: Option<&KernelIter<'_>>,
) -> Result<KVVec<u8>> {
    let payload_len = payload.map_or(0, |p| p.count());
    let total = parts
        .iter()
        .try_fold(payload_len, |n, p| n.checked_add(p.len()))
        .and_then(|n| n.checked_add(TRANSFORM_HEADER_LEN))
        .ok_or(EINVAL)?;
    let mut buf = KVVec::with_capacity(total, GFP_KERNEL)?;
    buf.extend_from_slice(&[0u8; TRANSFORM_HEADER_LEN], GFP_KERNEL)?;
    for p in parts {
        buf.extend_from_slice(p, GFP_KERNEL)?;
    }
    let body = buf.len();
    buf.resize(total, 0, GFP_KERNEL)?;
    if let Some(p) = payload {
        let mut cursor = p.duplicate();
        if cursor.copy_from(&mut buf[body..]) != Ok(payload_len) {
            return Err(EFAULT);
        }
    }
    // A random nonce per message, as the key is per session and long-lived
    // (MS-SMB2 3.1.4.3 only asks that it never repeat under one key).
    let mut nonce = [0u8; 12];
    let nonce = &mut nonce[..keys.cipher.nonce_len()];
    random::fill(nonce);
    let (hdr, msg) = buf.split_at_mut(TRANSFORM_HEADER_LEN);
    encrypt_in_place(
        &SmbCrypto,
        keys.cipher,
        &keys.enc[..keys.key_len()],
        nonce,
        keys.session_id,
        hdr,
        msg,
    )
    .map_err(|_| EINVAL)?;
    Ok(buf)
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
    keys: impl FnOnce(u64) -> Option<Arc<SessionKeys>>,
    frame: &mut [u8],
) -> core::result::Result<(), OpenError> {
    let th = TransformHeader::parse(frame).map_err(|_| OpenError::Malformed)?;
    let sid = th.session_id;
    let keys = keys(sid).ok_or(OpenError::NoKey(sid))?;
    if frame.len() < TRANSFORM_HEADER_LEN {
        return Err(OpenError::Malformed);
    }
    let (hdr, msg) = frame.split_at_mut(TRANSFORM_HEADER_LEN);
    decrypt_in_place(
        &SmbCrypto,
        keys.cipher,
        &keys.dec[..keys.key_len()],
        sid,
        hdr,
        msg,
    )
    .map_err(|e| match e {
        crate::proto::error::Error::BadSignature => OpenError::BadTag(sid),
        _ => OpenError::Malformed,
    })?;
    if msg.get(..4) != Some(&PROTOCOL_ID[..]) {
        return Err(OpenError::NotSmb2(sid));
    }
    Ok(())
}
