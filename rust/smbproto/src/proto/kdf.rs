// SPDX-License-Identifier: GPL-2.0
//! SMB 3.x key derivation (MS-SMB2 §3.1.4.2) and the per-session key set
//! (MS-SMB2 §3.2.5.3.1, client side).
//!
//! The KDF is SP 800-108 in counter mode with HMAC-SHA256 as the PRF, r = 32,
//! a single iteration (the keys are at most 256 bits):
//!
//! `Ko = HMAC-SHA256(Ki, [i]₂ ‖ Label ‖ 0x00 ‖ Context ‖ [L]₂)` truncated to
//! `L` bits, with `i = 1` and `L` = 128 or 256, both big-endian 32-bit.
//!
//! The label constants below include their terminating NUL, as MS-SMB2 lists
//! them (`"SMB2AESCMAC"` of size 12, ...); the KDF adds the 0x00 separator.

use super::crypto::{Cipher, CryptoProvider, IncrementalDigest};
use super::error::{Error, Result};

/// Signing key label, SMB 3.0 and 3.0.2.
pub const LABEL_SIGNING_30: &[u8] = b"SMB2AESCMAC\0";
/// Signing key context, SMB 3.0 and 3.0.2.
pub const CONTEXT_SIGNING_30: &[u8] = b"SmbSign\0";
/// Encryption/decryption key label, SMB 3.0 and 3.0.2.
pub const LABEL_CIPHER_30: &[u8] = b"SMB2AESCCM\0";
/// Context of the key that encrypts client-to-server traffic, SMB 3.0/3.0.2.
pub const CONTEXT_SERVER_IN_30: &[u8] = b"ServerIn \0";
/// Context of the key that encrypts server-to-client traffic, SMB 3.0/3.0.2.
pub const CONTEXT_SERVER_OUT_30: &[u8] = b"ServerOut\0";
/// Application key label, SMB 3.0 and 3.0.2.
pub const LABEL_APPLICATION_30: &[u8] = b"SMB2APP\0";
/// Application key context, SMB 3.0 and 3.0.2.
pub const CONTEXT_APPLICATION_30: &[u8] = b"SmbRpc\0";
/// Signing key label, SMB 3.1.1 (context: the preauth integrity hash).
pub const LABEL_SIGNING_311: &[u8] = b"SMBSigningKey\0";
/// Client-to-server cipher key label, SMB 3.1.1.
pub const LABEL_C2S_CIPHER_311: &[u8] = b"SMBC2SCipherKey\0";
/// Server-to-client cipher key label, SMB 3.1.1.
pub const LABEL_S2C_CIPHER_311: &[u8] = b"SMBS2CCipherKey\0";
/// Application key label, SMB 3.1.1.
pub const LABEL_APPLICATION_311: &[u8] = b"SMBAppKey\0";

/// Length of signing and application keys, and of `Session.SessionKey`.
pub const SESSION_KEY_LEN: usize = 16;

/// SP 800-108 counter-mode KDF with HMAC-SHA256 (MS-SMB2 §3.1.4.2).
///
/// Fills `out`, which must be 16 or 32 bytes (L = 128 or 256); any other
/// length is [`Error::Unsupported`].
pub fn kdf_hmac_sha256<P: CryptoProvider>(
    provider: &P,
    key: &[u8],
    label: &[u8],
    context: &[u8],
    out: &mut [u8],
) -> Result<()> {
    let length_bits: u32 = match out.len() {
        16 => 128,
        32 => 256,
        _ => return Err(Error::Unsupported),
    };
    let mut mac = provider.hmac_sha256(key);
    mac.update(&1u32.to_be_bytes());
    mac.update(label);
    mac.update(&[0]);
    mac.update(context);
    mac.update(&length_bits.to_be_bytes());
    let block = mac.finish();
    out.copy_from_slice(block.get(..out.len()).ok_or(Error::Unsupported)?);
    Ok(())
}

/// Which key schedule a session uses.
#[derive(Debug, Clone, Copy)]
pub enum KeySchedule<'a> {
    /// SMB 2.0.2 and 2.1: no KDF; the signing key is `Session.SessionKey`
    /// and there is no encryption.
    Smb2,
    /// SMB 3.0 and 3.0.2: fixed labels and contexts.
    Smb30,
    /// SMB 3.1.1: the session's final preauth integrity hash is the context.
    Smb311 {
        /// `Session.PreauthIntegrityHashValue` after the last SESSION_SETUP
        /// request (MS-SMB2 §3.2.5.3.1).
        preauth_hash: &'a [u8; 64],
    },
}

/// A cipher key of 16 or 32 bytes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct CipherKey {
    bytes: [u8; 32],
    cipher: Cipher,
}

impl CipherKey {
    /// The cipher this key is for.
    pub fn cipher(&self) -> Cipher {
        self.cipher
    }

    /// The key bytes (`cipher().key_len()` of them).
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes
            .get(..self.cipher.key_len())
            .unwrap_or(&self.bytes)
    }

    /// Overwrites the key bytes with zeros (for a copy about to go out of
    /// scope). `black_box` keeps the stores from being elided as dead.
    pub fn wipe(&mut self) {
        self.bytes = [0; 32];
        core::hint::black_box(&mut self.bytes);
    }
}

impl core::fmt::Debug for CipherKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Never print key material.
        f.debug_struct("CipherKey")
            .field("cipher", &self.cipher)
            .finish_non_exhaustive()
    }
}

/// The keys of one session, from the client's point of view.
#[derive(Clone, Copy)]
pub struct SessionKeys {
    /// `Session.SigningKey` (for the first channel, also
    /// `Channel.SigningKey`).
    pub signing_key: [u8; SESSION_KEY_LEN],
    /// `Session.ApplicationKey`.
    pub application_key: [u8; SESSION_KEY_LEN],
    /// `Session.EncryptionKey`: encrypts client-to-server messages
    /// ("ServerIn " / "SMBC2SCipherKey"). `None` without a cipher.
    pub encryption_key: Option<CipherKey>,
    /// `Session.DecryptionKey`: decrypts server-to-client messages
    /// ("ServerOut" / "SMBS2CCipherKey"). `None` without a cipher.
    pub decryption_key: Option<CipherKey>,
}

impl core::fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SessionKeys").finish_non_exhaustive()
    }
}

/// `Session.SessionKey`: the first 16 bytes of the authentication key,
/// right-padded with zeros (MS-SMB2 §3.2.1.3).
pub fn session_key_16(full_session_key: &[u8]) -> [u8; SESSION_KEY_LEN] {
    let mut key = [0u8; SESSION_KEY_LEN];
    for (k, b) in key.iter_mut().zip(full_session_key) {
        *k = *b;
    }
    key
}

/// Derives a session's keys (MS-SMB2 §3.2.5.3.1).
///
/// `full_session_key` is the key from authentication (the NTLM
/// ExportedSessionKey, 16 bytes; a Kerberos key may be longer). Signing and
/// application keys, and AES-128 cipher keys, derive from its first 16 bytes
/// (`Session.SessionKey`); AES-256 cipher keys derive from the whole key
/// (`Session.FullSessionKey`) with L = 256. `cipher` is the negotiated
/// `Connection.CipherId`, `None` if encryption is not in use. SMB 3.0/3.0.2
/// only know [`Cipher::Aes128Ccm`]; any other is [`Error::Unsupported`].
pub fn derive_session_keys<P: CryptoProvider>(
    provider: &P,
    schedule: KeySchedule<'_>,
    full_session_key: &[u8],
    cipher: Option<Cipher>,
) -> Result<SessionKeys> {
    let session_key = session_key_16(full_session_key);
    let mut keys = SessionKeys {
        signing_key: session_key,
        application_key: session_key,
        encryption_key: None,
        decryption_key: None,
    };
    let (signing, application, c2s, s2c): (Label<'_>, Label<'_>, Label<'_>, Label<'_>) =
        match schedule {
            KeySchedule::Smb2 => {
                return match cipher {
                    None => Ok(keys),
                    Some(_) => Err(Error::Unsupported),
                }
            }
            KeySchedule::Smb30 => {
                if !matches!(cipher, None | Some(Cipher::Aes128Ccm)) {
                    return Err(Error::Unsupported);
                }
                (
                    (LABEL_SIGNING_30, CONTEXT_SIGNING_30),
                    (LABEL_APPLICATION_30, CONTEXT_APPLICATION_30),
                    (LABEL_CIPHER_30, CONTEXT_SERVER_IN_30),
                    (LABEL_CIPHER_30, CONTEXT_SERVER_OUT_30),
                )
            }
            KeySchedule::Smb311 { preauth_hash } => (
                (LABEL_SIGNING_311, &preauth_hash[..]),
                (LABEL_APPLICATION_311, &preauth_hash[..]),
                (LABEL_C2S_CIPHER_311, &preauth_hash[..]),
                (LABEL_S2C_CIPHER_311, &preauth_hash[..]),
            ),
        };
    kdf_hmac_sha256(
        provider,
        &session_key,
        signing.0,
        signing.1,
        &mut keys.signing_key,
    )?;
    kdf_hmac_sha256(
        provider,
        &session_key,
        application.0,
        application.1,
        &mut keys.application_key,
    )?;
    if let Some(cipher) = cipher {
        keys.encryption_key = Some(derive_cipher_key(
            provider,
            cipher,
            &session_key,
            full_session_key,
            c2s,
        )?);
        keys.decryption_key = Some(derive_cipher_key(
            provider,
            cipher,
            &session_key,
            full_session_key,
            s2c,
        )?);
    }
    Ok(keys)
}

type Label<'a> = (&'a [u8], &'a [u8]);

fn derive_cipher_key<P: CryptoProvider>(
    provider: &P,
    cipher: Cipher,
    session_key: &[u8; SESSION_KEY_LEN],
    full_session_key: &[u8],
    (label, context): Label<'_>,
) -> Result<CipherKey> {
    let mut key = CipherKey {
        bytes: [0u8; 32],
        cipher,
    };
    let (ki, out): (&[u8], &mut [u8]) = match cipher {
        Cipher::Aes128Ccm | Cipher::Aes128Gcm => (session_key, &mut key.bytes[..16]),
        Cipher::Aes256Ccm | Cipher::Aes256Gcm => (full_session_key, &mut key.bytes[..]),
    };
    kdf_hmac_sha256(provider, ki, label, context, out)?;
    Ok(key)
}
