// SPDX-License-Identifier: GPL-2.0
//! NTLMv2 computations (MS-NLMP §3.3.2, §3.1.5.1.2, §3.4.5.1), from the NT
//! hash.
//!
//! ```text
//! NtHash          = MD4(UTF16LE(Password))
//! NTOWFv2         = HMAC_MD5(NtHash, UTF16LE(UPPERCASE(User) ‖ UserDom))
//! temp            = 0x01 ‖ 0x01 ‖ Z(6) ‖ Time ‖ ClientChallenge ‖ Z(4)
//!                   ‖ AvPairs ‖ Z(4)
//! NTProofStr      = HMAC_MD5(NTOWFv2, ServerChallenge ‖ temp)
//! NtChallengeResponse = NTProofStr ‖ temp
//! LmChallengeResponse = HMAC_MD5(NTOWFv2, ServerChallenge ‖ ClientChallenge)
//!                       ‖ ClientChallenge      (Z(24) with MsvAvTimestamp)
//! SessionBaseKey  = HMAC_MD5(NTOWFv2, NTProofStr) = KeyExchangeKey
//! EncryptedRandomSessionKey = RC4(KeyExchangeKey, ExportedSessionKey)
//! MIC             = HMAC_MD5(ExportedSessionKey,
//!                            NEGOTIATE ‖ CHALLENGE ‖ AUTHENTICATE(MIC = 0))
//! ```

use super::super::crypto::{constant_time_eq, CryptoProvider, IncrementalDigest};
use super::super::error::{Error, Result};
use super::super::utf16::{encode_utf16le, utf16le_chunks};

/// Longest password accepted by [`nt_hash`], in UTF-16 code units (the
/// Windows limit is 256 characters).
pub const MAX_PASSWORD_UTF16_UNITS: usize = 256;

/// Offset of the MIC in an AUTHENTICATE_MESSAGE (after the 8-byte Version).
pub const MIC_OFFSET: usize = 72;
/// Length of the MIC.
pub const MIC_LEN: usize = 16;

/// Length of the fixed part of the NTLMv2 client challenge (`temp` up to
/// and including the Z(4) before the AV pairs).
pub const CLIENT_CHALLENGE_FIXED_LEN: usize = 28;

/// NT hash (NTOWFv1) = MD4(UTF-16LE(password)) (MS-NLMP §3.3.1). Passwords
/// longer than [`MAX_PASSWORD_UTF16_UNITS`] are [`Error::Oversized`].
pub fn nt_hash<P: CryptoProvider>(provider: &P, password: &str) -> Result<[u8; 16]> {
    let mut buf = [0u8; MAX_PASSWORD_UTF16_UNITS * 2];
    let len = encode_utf16le(password, &mut buf).map_err(|e| match e {
        Error::BufferTooSmall => Error::Oversized,
        other => other,
    })?;
    let digest = provider.md4(buf.get(..len).ok_or(Error::Oversized)?);
    // Wipe the UTF-16 password; black_box keeps the store from being
    // optimised away.
    buf.fill(0);
    core::hint::black_box(&buf);
    Ok(digest)
}

/// NTOWFv2 = HMAC_MD5(NtHash, UTF16LE(UPPERCASE(user) ‖ domain)); the
/// uppercase mapping is [`super::super::utf16::to_upper_ntlm`]
/// ([`Error::Unsupported`] for characters it does not cover). Also the
/// ResponseKeyNT and ResponseKeyLM of NTLMv2.
pub fn ntowfv2<P: CryptoProvider>(
    provider: &P,
    nt_hash: &[u8; 16],
    user: &str,
    domain: &str,
) -> Result<[u8; 16]> {
    let mut mac = provider.hmac_md5(nt_hash);
    utf16le_chunks(user, true, &mut |chunk| mac.update(chunk))?;
    utf16le_chunks(domain, false, &mut |chunk| mac.update(chunk))?;
    Ok(mac.finish())
}

/// LMv2 response: HMAC_MD5(NTOWFv2, ServerChallenge ‖ ClientChallenge) ‖
/// ClientChallenge (MS-NLMP §3.3.2).
pub fn lmv2_response<P: CryptoProvider>(
    provider: &P,
    ntowfv2: &[u8; 16],
    server_challenge: &[u8; 8],
    client_challenge: &[u8; 8],
) -> [u8; 24] {
    let mut mac = provider.hmac_md5(ntowfv2);
    mac.update(server_challenge);
    mac.update(client_challenge);
    let proof = mac.finish();
    let mut out = [0u8; 24];
    for (o, b) in out
        .iter_mut()
        .zip(proof.iter().chain(client_challenge.iter()))
    {
        *o = *b;
    }
    out
}

/// NTProofStr = HMAC_MD5(NTOWFv2, ServerChallenge ‖ temp), `temp` being the
/// NTLMv2_CLIENT_CHALLENGE bytes.
pub fn nt_proof_str<P: CryptoProvider>(
    provider: &P,
    ntowfv2: &[u8; 16],
    server_challenge: &[u8; 8],
    temp: &[u8],
) -> [u8; 16] {
    let mut mac = provider.hmac_md5(ntowfv2);
    mac.update(server_challenge);
    mac.update(temp);
    mac.finish()
}

/// SessionBaseKey = HMAC_MD5(NTOWFv2, NTProofStr); for NTLMv2 this is also
/// the KeyExchangeKey (MS-NLMP §3.4.5.1).
pub fn session_base_key<P: CryptoProvider>(
    provider: &P,
    ntowfv2: &[u8; 16],
    nt_proof_str: &[u8; 16],
) -> [u8; 16] {
    let mut mac = provider.hmac_md5(ntowfv2);
    mac.update(nt_proof_str);
    mac.finish()
}

/// Writes NTLMv2's NtChallengeResponse = NTProofStr ‖ temp into `out` and
/// returns its length and the SessionBaseKey (MS-NLMP §3.3.2).
///
/// `temp` carries `target_info` verbatim (the server's AV pairs, ending with
/// MsvAvEOL), as in the MS-NLMP §4.2.4 example; [`super::authenticate`]
/// instead rewrites the pairs for the MIC. Errors: whatever
/// [`super::av_pair::validate_target_info`] finds wrong with `target_info`,
/// [`Error::BufferTooSmall`] if `out` is too short.
pub fn ntlmv2_response<P: CryptoProvider>(
    provider: &P,
    ntowfv2: &[u8; 16],
    server_challenge: &[u8; 8],
    client_challenge: &[u8; 8],
    time: u64,
    target_info: &[u8],
    out: &mut [u8],
) -> Result<(usize, [u8; 16])> {
    super::av_pair::validate_target_info(target_info)?;
    let temp_len = CLIENT_CHALLENGE_FIXED_LEN
        .checked_add(target_info.len())
        .and_then(|n| n.checked_add(4))
        .ok_or(Error::Overflow)?;
    let total = temp_len.checked_add(16).ok_or(Error::Overflow)?;
    let (proof_out, temp) = out
        .get_mut(..total)
        .ok_or(Error::BufferTooSmall)?
        .split_at_mut(16);
    temp.fill(0);
    // RespType, HiRespType, Reserved1, Reserved2, TimeStamp,
    // ChallengeFromClient, Reserved3, AvPairs, Z(4) (MS-NLMP §2.2.2.7).
    let fixed = temp
        .get_mut(..CLIENT_CHALLENGE_FIXED_LEN)
        .ok_or(Error::BufferTooSmall)?;
    let (head, rest) = fixed.split_at_mut(8);
    head.get_mut(..2)
        .ok_or(Error::BufferTooSmall)?
        .copy_from_slice(&[0x01, 0x01]);
    let (stamp, rest) = rest.split_at_mut(8);
    stamp.copy_from_slice(&time.to_le_bytes());
    rest.get_mut(..8)
        .ok_or(Error::BufferTooSmall)?
        .copy_from_slice(client_challenge);
    let end = CLIENT_CHALLENGE_FIXED_LEN
        .checked_add(target_info.len())
        .ok_or(Error::Overflow)?;
    temp.get_mut(CLIENT_CHALLENGE_FIXED_LEN..end)
        .ok_or(Error::BufferTooSmall)?
        .copy_from_slice(target_info);
    let proof = nt_proof_str(provider, ntowfv2, server_challenge, temp);
    proof_out.copy_from_slice(&proof);
    Ok((total, session_base_key(provider, ntowfv2, &proof)))
}

/// EncryptedRandomSessionKey = RC4(KeyExchangeKey, ExportedSessionKey)
/// (MS-NLMP §3.1.5.1.2). RC4 is its own inverse, so this also recovers the
/// ExportedSessionKey from the encrypted one.
pub fn rc4_session_key<P: CryptoProvider>(
    provider: &P,
    key_exchange_key: &[u8; 16],
    session_key: &[u8; 16],
) -> [u8; 16] {
    let mut out = *session_key;
    provider.arc4(key_exchange_key, &mut out);
    out
}

/// MIC = HMAC_MD5(ExportedSessionKey, NEGOTIATE ‖ CHALLENGE ‖ AUTHENTICATE)
/// with the AUTHENTICATE_MESSAGE's MIC field (bytes 72..88) read as zero
/// (MS-NLMP §3.1.5.1.2). `authenticate` shorter than 88 bytes is
/// [`Error::Truncated`].
pub fn compute_mic<P: CryptoProvider>(
    provider: &P,
    exported_session_key: &[u8; 16],
    negotiate: &[u8],
    challenge: &[u8],
    authenticate: &[u8],
) -> Result<[u8; 16]> {
    let mic_end = MIC_OFFSET.saturating_add(MIC_LEN);
    let before = authenticate.get(..MIC_OFFSET).ok_or(Error::Truncated)?;
    let after = authenticate.get(mic_end..).ok_or(Error::Truncated)?;
    let mut mac = provider.hmac_md5(exported_session_key);
    mac.update(negotiate);
    mac.update(challenge);
    mac.update(before);
    mac.update(&[0u8; MIC_LEN]);
    mac.update(after);
    Ok(mac.finish())
}

/// Checks the MIC of an AUTHENTICATE_MESSAGE in constant time
/// ([`Error::BadSignature`] on mismatch). For servers and tests.
pub fn verify_mic<P: CryptoProvider>(
    provider: &P,
    exported_session_key: &[u8; 16],
    negotiate: &[u8],
    challenge: &[u8],
    authenticate: &[u8],
) -> Result<()> {
    let expected = compute_mic(
        provider,
        exported_session_key,
        negotiate,
        challenge,
        authenticate,
    )?;
    let received = authenticate
        .get(MIC_OFFSET..MIC_OFFSET.saturating_add(MIC_LEN))
        .ok_or(Error::Truncated)?;
    if constant_time_eq(&expected, received) {
        Ok(())
    } else {
        Err(Error::BadSignature)
    }
}
