// SPDX-License-Identifier: GPL-2.0
//! AUTHENTICATE_MESSAGE encoding with an NTLMv2 response (MS-NLMP §2.2.1.3,
//! §3.1.5.1.2, §3.3.2).
//!
//! ```text
//!  0..8   Signature            36..44  UserNameFields
//!  8..12  MessageType = 3      44..52  WorkstationFields
//! 12..20  LmChallengeResponse  52..60  EncryptedRandomSessionKeyFields
//! 20..28  NtChallengeResponse  60..64  NegotiateFlags
//! 28..36  DomainNameFields     64..72  Version       72..88  MIC
//! payload: DomainName, UserName, Workstation, LmChallengeResponse,
//!          NtChallengeResponse, EncryptedRandomSessionKey
//! ```
//!
//! Following §3.1.5.1.2: when the server's TargetInfo carries
//! MsvAvTimestamp, that time goes into the NTLMv2 blob, the LM response is
//! Z(24), and a MIC is sent (with the MIC-present bit of MsvAvFlags set in
//! the echoed AV pairs). Without MsvAvTimestamp, the caller's time is used,
//! the LMv2 response is sent, there is no MIC field and the server's AV pairs
//! are echoed unchanged (which reproduces MS-NLMP §4.2.4.3 byte for byte).
//!
//! Every input is bounded so a [`MAX_AUTHENTICATE_LEN`] buffer always fits.

use super::super::crypto::CryptoProvider;
use super::super::error::{Error, Result};
use super::super::utf16::{encode_utf16le, utf16le_len};
use super::av_pair::{
    emit_av_pair, validate_client_pairs, AvId, AV_FLAG_MIC_PRESENT, AV_PAIR_HEADER_LEN,
};
use super::challenge::ChallengeMessage;
use super::flags;
use super::ntlmv2::{
    compute_mic, lmv2_response, nt_proof_str, ntowfv2, rc4_session_key, session_base_key,
    CLIENT_CHALLENGE_FIXED_LEN, MIC_LEN, MIC_OFFSET,
};
use super::version::{Version, VERSION_LEN};
use super::{MESSAGE_TYPE_AUTHENTICATE, SIGNATURE};

/// Longest user name, in UTF-16 code units.
pub const MAX_USER_UTF16_UNITS: usize = 256;
/// Longest domain name, in UTF-16 code units.
pub const MAX_DOMAIN_UTF16_UNITS: usize = 256;
/// Longest workstation name, in UTF-16 code units.
pub const MAX_WORKSTATION_UTF16_UNITS: usize = 64;
/// Longest server TargetInfo the client will echo, in bytes.
pub const MAX_TARGET_INFO_LEN: usize = 1024;
/// Longest run of extra client AV pairs, in bytes.
pub const MAX_CLIENT_AV_PAIRS_LEN: usize = 512;

/// Fixed part with Version and MIC.
const HEADER_WITH_MIC_LEN: usize = MIC_OFFSET + MIC_LEN;
/// Fixed part with Version, no MIC.
const HEADER_WITH_VERSION_LEN: usize = MIC_OFFSET;
/// Fixed part with neither.
const HEADER_LEN: usize = MIC_OFFSET - VERSION_LEN;
/// The LM response is always 24 bytes (LMv2 or Z(24)).
const LM_RESPONSE_LEN: usize = 24;
/// NTProofStr length.
const NT_PROOF_LEN: usize = 16;
/// EncryptedRandomSessionKey length.
const SESSION_KEY_LEN: usize = 16;
/// MsvAvFlags pair, added when the server sent none.
const AV_FLAGS_PAIR_LEN: usize = AV_PAIR_HEADER_LEN + 4;

/// Upper bound of an encoded AUTHENTICATE_MESSAGE under the input caps.
pub const MAX_AUTHENTICATE_LEN: usize = HEADER_WITH_MIC_LEN
    + 2 * (MAX_DOMAIN_UTF16_UNITS + MAX_USER_UTF16_UNITS + MAX_WORKSTATION_UTF16_UNITS)
    + LM_RESPONSE_LEN
    + NT_PROOF_LEN
    + CLIENT_CHALLENGE_FIXED_LEN
    // The echoed list: the server's TargetInfo (its EOL becomes ours), an
    // added MsvAvFlags, the client's pairs; then Z(4).
    + MAX_TARGET_INFO_LEN
    + AV_FLAGS_PAIR_LEN
    + MAX_CLIENT_AV_PAIRS_LEN
    + 4
    + SESSION_KEY_LEN;

/// What the client supplies to answer a challenge.
#[derive(Clone, Copy)]
pub struct AuthenticateRequest<'a> {
    /// MD4(UTF-16LE(password)), see [`super::ntlmv2::nt_hash`].
    pub nt_hash: &'a [u8; 16],
    /// User name, as typed (uppercased only inside NTOWFv2).
    pub user: &'a str,
    /// User's domain ("" for a local account).
    pub domain: &'a str,
    /// Client machine name (may be "").
    pub workstation: &'a str,
    /// NegotiateFlags for the AUTHENTICATE_MESSAGE; must include
    /// NTLMSSP_NEGOTIATE_UNICODE.
    pub negotiate_flags: u32,
    /// Version, written when NTLMSSP_NEGOTIATE_VERSION is set.
    pub version: Version,
    /// Eight random bytes from the caller (this crate has no RNG).
    pub client_challenge: [u8; 8],
    /// Current time as a FILETIME, used only when the challenge has no
    /// MsvAvTimestamp.
    pub time: u64,
    /// Sixteen random bytes: the ExportedSessionKey when key exchange is
    /// negotiated (NTLMSSP_NEGOTIATE_KEY_EXCH with SIGN or SEAL).
    pub random_session_key: [u8; 16],
    /// Extra AV pairs appended to the echoed list before EOL (for example
    /// MsvAvTargetName, MsvAvChannelBindings); pre-encoded, no EOL, no
    /// MsvAvFlags or MsvAvTimestamp. Usually empty.
    pub client_av_pairs: &'a [u8],
    /// The NEGOTIATE_MESSAGE exactly as sent, for the MIC.
    pub negotiate_message: &'a [u8],
}

impl core::fmt::Debug for AuthenticateRequest<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AuthenticateRequest")
            .field("user", &self.user)
            .field("domain", &self.domain)
            .field("workstation", &self.workstation)
            .field("negotiate_flags", &self.negotiate_flags)
            .finish_non_exhaustive()
    }
}

/// Result of [`emit_authenticate`].
#[derive(Clone, Copy)]
pub struct AuthenticateOutput {
    /// Bytes written to the output buffer.
    pub len: usize,
    /// ExportedSessionKey: the SMB2 session key.
    pub exported_session_key: [u8; 16],
    /// Whether a MIC was included.
    pub mic_present: bool,
}

impl core::fmt::Debug for AuthenticateOutput {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AuthenticateOutput")
            .field("len", &self.len)
            .field("mic_present", &self.mic_present)
            .finish_non_exhaustive()
    }
}

/// Payload layout, all offsets from the start of the message.
struct Layout {
    header_len: usize,
    domain: (usize, usize),
    user: (usize, usize),
    workstation: (usize, usize),
    lm: (usize, usize),
    nt: (usize, usize),
    session_key: (usize, usize),
    total: usize,
}

/// Appends a field of `len` bytes at `*cursor`.
fn place(cursor: &mut usize, len: usize) -> Result<(usize, usize)> {
    let start = *cursor;
    *cursor = start.checked_add(len).ok_or(Error::Overflow)?;
    Ok((start, len))
}

fn capped_utf16_len(s: &str, max_units: usize) -> Result<usize> {
    let len = utf16le_len(s)?;
    if len > max_units.saturating_mul(2) {
        return Err(Error::Oversized);
    }
    Ok(len)
}

/// Writes the AUTHENTICATE_MESSAGE answering `challenge` into `out` and
/// returns its length and the ExportedSessionKey.
///
/// Errors: [`Error::Unsupported`] without NTLMSSP_NEGOTIATE_UNICODE or for a
/// user name outside the uppercase subset; [`Error::Oversized`] for inputs
/// over the caps; [`Error::Malformed`] for bad `client_av_pairs`;
/// [`Error::BufferTooSmall`] if `out` is too short (never with
/// [`MAX_AUTHENTICATE_LEN`] bytes).
pub fn emit_authenticate<P: CryptoProvider>(
    provider: &P,
    request: &AuthenticateRequest<'_>,
    challenge: &ChallengeMessage<'_>,
    out: &mut [u8],
) -> Result<AuthenticateOutput> {
    let negotiate_flags = request.negotiate_flags;
    if negotiate_flags & flags::NEGOTIATE_UNICODE == 0 {
        return Err(Error::Unsupported);
    }
    let target_info = challenge.target_info();
    if target_info.len() > MAX_TARGET_INFO_LEN
        || request.client_av_pairs.len() > MAX_CLIENT_AV_PAIRS_LEN
    {
        return Err(Error::Oversized);
    }
    validate_client_pairs(request.client_av_pairs)?;

    let server_time = challenge.timestamp();
    let mic_present = server_time.is_some();
    let time = server_time.unwrap_or(request.time);
    let key_exchange = negotiate_flags & flags::NEGOTIATE_KEY_EXCH != 0
        && negotiate_flags & (flags::NEGOTIATE_SIGN | flags::NEGOTIATE_SEAL) != 0;
    let with_version = negotiate_flags & flags::NEGOTIATE_VERSION != 0;

    // The echoed AV pairs: the server's (without its EOL), maybe MsvAvFlags,
    // the client's, then EOL.
    let server_pairs_len = target_info.len().saturating_sub(AV_PAIR_HEADER_LEN);
    let add_flags_pair = mic_present && challenge.av_flags().is_none();
    let av_len = server_pairs_len
        .checked_add(if add_flags_pair { AV_FLAGS_PAIR_LEN } else { 0 })
        .and_then(|n| n.checked_add(request.client_av_pairs.len()))
        .and_then(|n| n.checked_add(AV_PAIR_HEADER_LEN))
        .ok_or(Error::Overflow)?;
    let temp_len = CLIENT_CHALLENGE_FIXED_LEN
        .checked_add(av_len)
        .and_then(|n| n.checked_add(4))
        .ok_or(Error::Overflow)?;
    let nt_len = NT_PROOF_LEN.checked_add(temp_len).ok_or(Error::Overflow)?;

    let header_len = if mic_present {
        HEADER_WITH_MIC_LEN
    } else if with_version {
        HEADER_WITH_VERSION_LEN
    } else {
        HEADER_LEN
    };
    let mut cursor = header_len;
    let layout = Layout {
        header_len,
        domain: place(
            &mut cursor,
            capped_utf16_len(request.domain, MAX_DOMAIN_UTF16_UNITS)?,
        )?,
        user: place(
            &mut cursor,
            capped_utf16_len(request.user, MAX_USER_UTF16_UNITS)?,
        )?,
        workstation: place(
            &mut cursor,
            capped_utf16_len(request.workstation, MAX_WORKSTATION_UTF16_UNITS)?,
        )?,
        lm: place(&mut cursor, LM_RESPONSE_LEN)?,
        nt: place(&mut cursor, nt_len)?,
        session_key: place(&mut cursor, if key_exchange { SESSION_KEY_LEN } else { 0 })?,
        total: cursor,
    };
    let msg = out.get_mut(..layout.total).ok_or(Error::BufferTooSmall)?;
    msg.fill(0);

    // Keys and responses.
    let response_key = ntowfv2(provider, request.nt_hash, request.user, request.domain)?;
    let server_challenge = challenge.server_challenge();
    let temp_start = layout
        .nt
        .0
        .checked_add(NT_PROOF_LEN)
        .ok_or(Error::Overflow)?;
    let temp_end = layout
        .nt
        .0
        .checked_add(layout.nt.1)
        .ok_or(Error::Overflow)?;
    {
        let temp = msg
            .get_mut(temp_start..temp_end)
            .ok_or(Error::BufferTooSmall)?;
        write_client_challenge(temp, challenge, request, time, add_flags_pair, mic_present)?;
    }
    let temp = msg.get(temp_start..temp_end).ok_or(Error::BufferTooSmall)?;
    let proof = nt_proof_str(provider, &response_key, &server_challenge, temp);
    put(msg, layout.nt.0, &proof)?;
    let lm = if mic_present {
        [0u8; LM_RESPONSE_LEN]
    } else {
        lmv2_response(
            provider,
            &response_key,
            &server_challenge,
            &request.client_challenge,
        )
    };
    put(msg, layout.lm.0, &lm)?;
    let key_exchange_key = session_base_key(provider, &response_key, &proof);
    let exported_session_key = if key_exchange {
        let encrypted = rc4_session_key(provider, &key_exchange_key, &request.random_session_key);
        put(msg, layout.session_key.0, &encrypted)?;
        request.random_session_key
    } else {
        key_exchange_key
    };

    // Strings.
    for (text, (off, len)) in [
        (request.domain, layout.domain),
        (request.user, layout.user),
        (request.workstation, layout.workstation),
    ] {
        let end = off.checked_add(len).ok_or(Error::Overflow)?;
        encode_utf16le(text, msg.get_mut(off..end).ok_or(Error::BufferTooSmall)?)?;
    }

    // Fixed part.
    put(msg, 0, &SIGNATURE)?;
    put(msg, 8, &MESSAGE_TYPE_AUTHENTICATE.to_le_bytes())?;
    for (fields, field) in [
        (12, layout.lm),
        (20, layout.nt),
        (28, layout.domain),
        (36, layout.user),
        (44, layout.workstation),
        (52, layout.session_key),
    ] {
        put_fields(msg, fields, field)?;
    }
    put(msg, 60, &negotiate_flags.to_le_bytes())?;
    if with_version && layout.header_len >= HEADER_WITH_VERSION_LEN {
        put(msg, HEADER_LEN, &request.version.to_bytes())?;
    }
    if mic_present {
        let mic = compute_mic(
            provider,
            &exported_session_key,
            request.negotiate_message,
            challenge.as_bytes(),
            msg,
        )?;
        put(msg, MIC_OFFSET, &mic)?;
    }
    Ok(AuthenticateOutput {
        len: layout.total,
        exported_session_key,
        mic_present,
    })
}

/// Writes `temp` (NTLMv2_CLIENT_CHALLENGE, MS-NLMP §2.2.2.7) into a zeroed
/// buffer of exactly its length.
fn write_client_challenge(
    temp: &mut [u8],
    challenge: &ChallengeMessage<'_>,
    request: &AuthenticateRequest<'_>,
    time: u64,
    add_flags_pair: bool,
    mic_present: bool,
) -> Result<()> {
    // RespType, HiRespType, Reserved1, Reserved2 (zero), TimeStamp,
    // ChallengeFromClient, Reserved3 (zero).
    put(temp, 0, &[0x01, 0x01])?;
    put(temp, 8, &time.to_le_bytes())?;
    put(temp, 16, &request.client_challenge)?;
    let mut off = CLIENT_CHALLENGE_FIXED_LEN;
    for pair in challenge.av_pairs() {
        let pair = pair?;
        if pair.id == AvId::FLAGS && mic_present {
            let v: [u8; 4] = pair.value.try_into().map_err(|_| Error::Malformed)?;
            let flags = u32::from_le_bytes(v) | AV_FLAG_MIC_PRESENT;
            off = emit_av_pair(AvId::FLAGS, &flags.to_le_bytes(), temp, off)?;
        } else {
            off = emit_av_pair(pair.id, pair.value, temp, off)?;
        }
    }
    if add_flags_pair {
        off = emit_av_pair(AvId::FLAGS, &AV_FLAG_MIC_PRESENT.to_le_bytes(), temp, off)?;
    }
    put(temp, off, request.client_av_pairs)?;
    off = off
        .checked_add(request.client_av_pairs.len())
        .ok_or(Error::Overflow)?;
    off = emit_av_pair(AvId::EOL, &[], temp, off)?;
    // Z(4): already zero; check it fits exactly.
    if off.checked_add(4) != Some(temp.len()) {
        return Err(Error::Malformed);
    }
    Ok(())
}

fn put(buf: &mut [u8], off: usize, src: &[u8]) -> Result<()> {
    let end = off.checked_add(src.len()).ok_or(Error::Overflow)?;
    buf.get_mut(off..end)
        .ok_or(Error::BufferTooSmall)?
        .copy_from_slice(src);
    Ok(())
}

/// Writes a (Len, MaxLen, BufferOffset) triple.
fn put_fields(buf: &mut [u8], at: usize, (offset, len): (usize, usize)) -> Result<()> {
    let len = u16::try_from(len).map_err(|_| Error::Oversized)?;
    let offset = u32::try_from(offset).map_err(|_| Error::Oversized)?;
    put(buf, at, &len.to_le_bytes())?;
    put(
        buf,
        at.checked_add(2).ok_or(Error::Overflow)?,
        &len.to_le_bytes(),
    )?;
    put(
        buf,
        at.checked_add(4).ok_or(Error::Overflow)?,
        &offset.to_le_bytes(),
    )
}
