// SPDX-License-Identifier: GPL-2.0
//! The sessions' keys a transport signs, verifies, seals and opens with.
//!
//! The session layer derives them (MS-SMB2 3.2.5.3.1) and hands them over
//! (`smb_xprt_set_session_keys`), because the transport is where requests
//! get their MessageIds (which signatures cover) and where replies arrive:
//! it signs a request once its MessageIds are written, verifies every
//! signed reply before its request completes, and opens encrypted frames,
//! whose TRANSFORM_HEADER hides the MessageId.
//!
//! Keys are bound to the connection generation they were set up on: a
//! server forgets its sessions with the connection, and drops one that
//! sends a frame sealed for a session it does not know. So a request to be
//! signed or sealed never goes out on a newer connection; it fails with
//! `ENOKEY` before anything is sent, and the session layer sets the session
//! up again first.
//!
//! Keys live in their own heap allocation (they never move by value) and
//! are wiped when the last user drops them. The keyring is used from
//! process context only (senders, smbiod).
#![forbid(unsafe_code)]

use crate::kext::crypto::memzero_explicit;
use crate::proto::crypto::Cipher;
use crate::proto::signing::SigningAlgorithm;
use kernel::alloc::{flags::GFP_KERNEL, KVec};
use kernel::error::{code::*, Result};
use kernel::sync::Arc;

/// The longest AES key (AES-256).
pub(crate) const MAX_KEY_LEN: usize = 32;

/// One session's keys on one connection.
pub(crate) struct KeySet {
    pub(crate) session_id: u64,
    /// Who set them (see `smb_xprt_session_keys`).
    owner: u64,
    pub(crate) generation: u64,
    /// `Session.SigningKey` and the connection's algorithm.
    signing: Option<(SigningAlgorithm, [u8; 16])>,
    pub(crate) cipher: Option<Cipher>,
    /// `Session.EncryptionKey` (client to server).
    enc: [u8; MAX_KEY_LEN],
    /// `Session.DecryptionKey` (server to client).
    dec: [u8; MAX_KEY_LEN],
}

impl Drop for KeySet {
    fn drop(&mut self) {
        memzero_explicit(&mut self.enc);
        memzero_explicit(&mut self.dec);
        if let Some((_, k)) = self.signing.as_mut() {
            memzero_explicit(k);
        }
    }
}

impl KeySet {
    /// The encryption key, if a cipher was set.
    pub(crate) fn enc_key(&self) -> Option<&[u8]> {
        self.cipher.and_then(|c| self.enc.get(..c.key_len()))
    }

    /// The decryption key, if a cipher was set.
    pub(crate) fn dec_key(&self) -> Option<&[u8]> {
        self.cipher.and_then(|c| self.dec.get(..c.key_len()))
    }

    /// The signing algorithm and key, if the session has one.
    pub(crate) fn signing(&self) -> Option<(SigningAlgorithm, &[u8; 16])> {
        self.signing.as_ref().map(|(a, k)| (*a, k))
    }
}

/// The keys handed over for one session.
pub(crate) struct NewKeys<'a> {
    /// `SigningAlgorithm` id (MS-SMB2 2.2.3.1.7), or `None`.
    pub(crate) signing: Option<(u16, &'a [u8; 16])>,
    /// The cipher id (2.2.3.1.2), 0 for none, and the two keys.
    pub(crate) cipher_id: u16,
    pub(crate) enc: &'a [u8],
    pub(crate) dec: &'a [u8],
}

/// The keys a transport holds, one entry per session.
#[derive(Default)]
pub(crate) struct Keyring {
    keys: KVec<Arc<KeySet>>,
}

impl Keyring {
    /// Sets (or replaces) the keys of `session_id`, set up on connection
    /// `generation`. Entries of older connections go: their sessions are
    /// gone on the server.
    pub(crate) fn set(
        &mut self,
        generation: u64,
        session_id: u64,
        owner: u64,
        new: &NewKeys<'_>,
    ) -> Result {
        let signing = match new.signing {
            Some((id, key)) => {
                let alg = SigningAlgorithm::from_id(id).map_err(|_| EINVAL)?;
                Some((alg, *key))
            }
            None => None,
        };
        let cipher = match new.cipher_id {
            0 => None,
            id => Some(Cipher::from_id(id).map_err(|_| EOPNOTSUPP)?),
        };
        let mut k = KeySet {
            session_id,
            owner,
            generation,
            signing,
            cipher,
            enc: [0; MAX_KEY_LEN],
            dec: [0; MAX_KEY_LEN],
        };
        if let Some(c) = cipher {
            if new.enc.len() != c.key_len() || new.dec.len() != c.key_len() {
                return Err(EINVAL);
            }
            k.enc
                .get_mut(..c.key_len())
                .ok_or(EINVAL)?
                .copy_from_slice(new.enc);
            k.dec
                .get_mut(..c.key_len())
                .ok_or(EINVAL)?
                .copy_from_slice(new.dec);
        }
        // `k` is wiped when dropped, here on failure or by the entry later.
        let entry = Arc::new(k, GFP_KERNEL)?;
        self.keys
            .retain(|e| e.session_id != session_id && e.generation >= generation);
        self.keys.push(entry, GFP_KERNEL)?;
        Ok(())
    }

    /// Forgets the keys `owner` set for `session_id` on connection
    /// `generation` (its session ended). A server may give a later session
    /// the same SessionId, on this connection or a newer one: its keys
    /// stay.
    pub(crate) fn clear(&mut self, generation: u64, session_id: u64, owner: u64) {
        self.keys.retain(|e| {
            e.session_id != session_id || e.generation != generation || e.owner != owner
        });
    }

    /// The keys of `session_id` on connection `generation`.
    pub(crate) fn find(&self, generation: u64, session_id: u64) -> Option<Arc<KeySet>> {
        self.keys
            .iter()
            .find(|e| e.session_id == session_id && e.generation == generation)
            .cloned()
    }

    /// Sessions with keys.
    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }
}
