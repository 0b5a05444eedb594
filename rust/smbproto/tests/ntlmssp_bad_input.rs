// SPDX-License-Identifier: GPL-2.0
//! NTLMSSP decoders and encoder on bad, hostile and arbitrary input.
#![allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation,
    missing_docs
)]

mod host_crypto;

use host_crypto::{hex, HostCrypto};
use proptest::prelude::*;
use smbproto::proto::ntlmssp::authenticate::{
    emit_authenticate, AuthenticateRequest, MAX_AUTHENTICATE_LEN, MAX_CLIENT_AV_PAIRS_LEN,
    MAX_DOMAIN_UTF16_UNITS, MAX_TARGET_INFO_LEN, MAX_USER_UTF16_UNITS, MAX_WORKSTATION_UTF16_UNITS,
};
use smbproto::proto::ntlmssp::av_pair::{validate_target_info, AvId, AvPairs};
use smbproto::proto::ntlmssp::challenge::ChallengeMessage;
use smbproto::proto::ntlmssp::flags;
use smbproto::proto::ntlmssp::ntlmv2::verify_mic;
use smbproto::proto::ntlmssp::version::Version;
use smbproto::proto::Error;

/// Builds a CHALLENGE_MESSAGE (with Version) whose payload is TargetName
/// "S" then `target_info`.
fn challenge_with(target_info: &[u8], flags_value: u32) -> Vec<u8> {
    let name = [b'S', 0];
    let mut m = Vec::new();
    m.extend_from_slice(b"NTLMSSP\0");
    m.extend_from_slice(&2u32.to_le_bytes());
    let name_off = 56u32;
    let info_off = name_off + name.len() as u32;
    m.extend_from_slice(&(name.len() as u16).to_le_bytes());
    m.extend_from_slice(&(name.len() as u16).to_le_bytes());
    m.extend_from_slice(&name_off.to_le_bytes());
    m.extend_from_slice(&flags_value.to_le_bytes());
    m.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
    m.extend_from_slice(&[0; 8]);
    m.extend_from_slice(&(target_info.len() as u16).to_le_bytes());
    m.extend_from_slice(&(target_info.len() as u16).to_le_bytes());
    m.extend_from_slice(&info_off.to_le_bytes());
    m.extend_from_slice(&[10, 0, 0x61, 0x4a, 0, 0, 0, 15]);
    m.extend_from_slice(&name);
    m.extend_from_slice(target_info);
    m
}

fn pair(id: u16, value: &[u8]) -> Vec<u8> {
    let mut v = id.to_le_bytes().to_vec();
    v.extend_from_slice(&(value.len() as u16).to_le_bytes());
    v.extend_from_slice(value);
    v
}

const SERVER_FLAGS: u32 = 0xe28a8215;

fn good_target_info() -> Vec<u8> {
    [
        pair(2, &[b'D', 0]),
        pair(7, &[1, 2, 3, 4, 5, 6, 7, 8]),
        pair(0, &[]),
    ]
    .concat()
}

fn request<'a>(nt: &'a [u8; 16], negotiate: &'a [u8]) -> AuthenticateRequest<'a> {
    AuthenticateRequest {
        nt_hash: nt,
        user: "user",
        domain: "DOMAIN",
        workstation: "WS",
        negotiate_flags: 0xe2088215,
        version: Version {
            major: 10,
            minor: 0,
            build: 19041,
            revision: 15,
        },
        client_challenge: [7; 8],
        time: 0,
        random_session_key: [9; 16],
        client_av_pairs: &[],
        negotiate_message: negotiate,
    }
}

#[test]
fn good_challenge_decodes() {
    let m = challenge_with(&good_target_info(), SERVER_FLAGS);
    let c = ChallengeMessage::new_checked(&m).unwrap();
    assert_eq!(c.timestamp(), Some(0x0807060504030201));
    assert_eq!(c.server_challenge(), [1, 2, 3, 4, 5, 6, 7, 8]);
}

#[test]
fn wrong_signature_or_type_is_malformed() {
    let mut m = challenge_with(&good_target_info(), SERVER_FLAGS);
    m[0] = b'X';
    assert_eq!(
        ChallengeMessage::new_checked(&m).err(),
        Some(Error::Malformed)
    );
    let mut m = challenge_with(&good_target_info(), SERVER_FLAGS);
    m[8] = 3;
    assert_eq!(
        ChallengeMessage::new_checked(&m).err(),
        Some(Error::Malformed)
    );
}

#[test]
fn short_challenge_is_truncated() {
    let m = challenge_with(&good_target_info(), SERVER_FLAGS);
    for len in [0, 7, 11, 47] {
        assert_eq!(
            ChallengeMessage::new_checked(&m[..len]).err(),
            Some(Error::Truncated),
            "{len}"
        );
    }
    // Version flag set but the message ends inside the Version field.
    let mut short = m[..52].to_vec();
    short[40..48].copy_from_slice(&[0; 8]); // no TargetInfo
    short[12..20].copy_from_slice(&[0; 8]); // no TargetName
    assert_eq!(
        ChallengeMessage::new_checked(&short).err(),
        Some(Error::Truncated)
    );
}

#[test]
fn target_info_outside_the_buffer_is_out_of_bounds() {
    let mut m = challenge_with(&good_target_info(), SERVER_FLAGS);
    let len = m.len() as u32;
    m[44..48].copy_from_slice(&len.to_le_bytes());
    assert_eq!(
        ChallengeMessage::new_checked(&m).err(),
        Some(Error::OutOfBounds)
    );
    // Length one past the end.
    let mut m = challenge_with(&good_target_info(), SERVER_FLAGS);
    let info_len = u16::from_le_bytes([m[40], m[41]]) + 1;
    m[40..42].copy_from_slice(&info_len.to_le_bytes());
    assert_eq!(
        ChallengeMessage::new_checked(&m).err(),
        Some(Error::OutOfBounds)
    );
    // Same for TargetName.
    let mut m = challenge_with(&good_target_info(), SERVER_FLAGS);
    m[16..20].copy_from_slice(&0x1000u32.to_le_bytes());
    assert_eq!(
        ChallengeMessage::new_checked(&m).err(),
        Some(Error::OutOfBounds)
    );
}

#[test]
fn overflowing_offset_plus_length_is_overflow() {
    let mut m = challenge_with(&good_target_info(), SERVER_FLAGS);
    m[44..48].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    assert_eq!(
        ChallengeMessage::new_checked(&m).err(),
        Some(Error::Overflow)
    );
    let mut m = challenge_with(&good_target_info(), SERVER_FLAGS);
    m[16..20].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(
        ChallengeMessage::new_checked(&m).err(),
        Some(Error::Overflow)
    );
}

#[test]
fn bad_av_pairs_are_rejected() {
    // AvLen past the end of TargetInfo.
    let info = [
        pair(2, &[b'D', 0]),
        vec![1, 0, 0x40, 0, b'x', 0],
        pair(0, &[]),
    ]
    .concat();
    let m = challenge_with(&info, SERVER_FLAGS);
    assert_eq!(
        ChallengeMessage::new_checked(&m).err(),
        Some(Error::OutOfBounds)
    );
    // Missing EOL.
    let m = challenge_with(&pair(2, &[b'D', 0]), SERVER_FLAGS);
    assert_eq!(
        ChallengeMessage::new_checked(&m).err(),
        Some(Error::Truncated)
    );
    // Duplicate EOL.
    let info = [good_target_info(), pair(0, &[])].concat();
    let m = challenge_with(&info, SERVER_FLAGS);
    assert_eq!(
        ChallengeMessage::new_checked(&m).err(),
        Some(Error::Malformed)
    );
    // Timestamp of the wrong size.
    let info = [pair(7, &[1, 2, 3]), pair(0, &[])].concat();
    let m = challenge_with(&info, SERVER_FLAGS);
    assert_eq!(
        ChallengeMessage::new_checked(&m).err(),
        Some(Error::Malformed)
    );
}

#[test]
fn server_av_flags_are_extended_not_duplicated() {
    let p = HostCrypto;
    let info = [
        pair(2, &[b'D', 0]),
        pair(6, &1u32.to_le_bytes()),
        pair(7, &[1, 2, 3, 4, 5, 6, 7, 8]),
        pair(0, &[]),
    ]
    .concat();
    let m = challenge_with(&info, SERVER_FLAGS);
    let c = ChallengeMessage::new_checked(&m).unwrap();
    let nt = [3u8; 16];
    let neg = [0u8; 40];
    let mut out = [0u8; MAX_AUTHENTICATE_LEN];
    let r = emit_authenticate(&p, &request(&nt, &neg), &c, &mut out).unwrap();
    assert!(r.mic_present);
    let msg = &out[..r.len];
    // LM response is Z(24) when the server sent MsvAvTimestamp.
    let lm_off = u32::from_le_bytes(msg[16..20].try_into().unwrap()) as usize;
    assert_eq!(&msg[lm_off..lm_off + 24], &[0u8; 24]);
    let nt_len = u16::from_le_bytes([msg[20], msg[21]]) as usize;
    let nt_off = u32::from_le_bytes(msg[24..28].try_into().unwrap()) as usize;
    let blob = &msg[nt_off + 16..nt_off + nt_len];
    let pairs = &blob[28..blob.len() - 4];
    let summary = validate_target_info(pairs).unwrap();
    assert_eq!(summary.flags, Some(1 | 2));
    assert_eq!(
        AvPairs::new(pairs)
            .filter(|p| p.unwrap().id == AvId::FLAGS)
            .count(),
        1
    );
    verify_mic(&p, &r.exported_session_key, &neg, &m, msg).unwrap();
}

#[test]
fn no_key_exchange_exports_the_key_exchange_key() {
    let p = HostCrypto;
    let m = challenge_with(&good_target_info(), SERVER_FLAGS);
    let c = ChallengeMessage::new_checked(&m).unwrap();
    let nt = [3u8; 16];
    let mut req = request(&nt, &[]);
    req.negotiate_flags &= !flags::NEGOTIATE_KEY_EXCH;
    let mut out = [0u8; MAX_AUTHENTICATE_LEN];
    let r = emit_authenticate(&p, &req, &c, &mut out).unwrap();
    assert_ne!(r.exported_session_key, req.random_session_key);
    // EncryptedRandomSessionKeyFields: empty.
    assert_eq!(&out[52..54], &[0, 0]);
}

#[test]
fn authenticate_input_limits() {
    let p = HostCrypto;
    let m = challenge_with(&good_target_info(), SERVER_FLAGS);
    let c = ChallengeMessage::new_checked(&m).unwrap();
    let nt = [3u8; 16];
    let mut out = [0u8; MAX_AUTHENTICATE_LEN];

    let mut req = request(&nt, &[]);
    req.negotiate_flags &= !flags::NEGOTIATE_UNICODE;
    assert_eq!(
        emit_authenticate(&p, &req, &c, &mut out).err(),
        Some(Error::Unsupported)
    );

    let long_user = "u".repeat(MAX_USER_UTF16_UNITS + 1);
    let mut req = request(&nt, &[]);
    req.user = &long_user;
    assert_eq!(
        emit_authenticate(&p, &req, &c, &mut out).err(),
        Some(Error::Oversized)
    );

    let mut req = request(&nt, &[]);
    req.user = "µser";
    assert_eq!(
        emit_authenticate(&p, &req, &c, &mut out).err(),
        Some(Error::Unsupported)
    );

    let bad_pairs = pair(0, &[]);
    let mut req = request(&nt, &[]);
    req.client_av_pairs = &bad_pairs;
    assert_eq!(
        emit_authenticate(&p, &req, &c, &mut out).err(),
        Some(Error::Malformed)
    );

    let req = request(&nt, &[]);
    assert_eq!(
        emit_authenticate(&p, &req, &c, &mut out[..100]).err(),
        Some(Error::BufferTooSmall)
    );
}

#[test]
fn max_authenticate_len_fits_the_largest_inputs() {
    let p = HostCrypto;
    // A TargetInfo of exactly MAX_TARGET_INFO_LEN bytes with a timestamp.
    let filler_len = MAX_TARGET_INFO_LEN - 12 - 4 - 4;
    let info = [
        pair(7, &[1; 8]),
        pair(5, &vec![b'a'; filler_len]),
        pair(0, &[]),
    ]
    .concat();
    assert_eq!(info.len(), MAX_TARGET_INFO_LEN);
    let m = challenge_with(&info, SERVER_FLAGS);
    let c = ChallengeMessage::new_checked(&m).unwrap();
    let nt = [3u8; 16];
    let user = "ü".repeat(MAX_USER_UTF16_UNITS);
    let domain = "d".repeat(MAX_DOMAIN_UTF16_UNITS);
    let ws = "w".repeat(MAX_WORKSTATION_UTF16_UNITS);
    let extra = pair(9, &vec![b's'; MAX_CLIENT_AV_PAIRS_LEN - 4]);
    let mut req = request(&nt, &[]);
    req.user = &user;
    req.domain = &domain;
    req.workstation = &ws;
    req.client_av_pairs = &extra;
    let mut out = [0u8; MAX_AUTHENTICATE_LEN];
    let r = emit_authenticate(&p, &req, &c, &mut out).unwrap();
    assert_eq!(r.len, MAX_AUTHENTICATE_LEN);

    let too_big = [
        pair(5, &vec![b'a'; filler_len + 1]),
        pair(7, &[1; 8]),
        pair(0, &[]),
    ]
    .concat();
    let m = challenge_with(&too_big, SERVER_FLAGS);
    let c = ChallengeMessage::new_checked(&m).unwrap();
    assert_eq!(
        emit_authenticate(&p, &request(&nt, &[]), &c, &mut out).err(),
        Some(Error::Oversized)
    );
}

#[test]
fn real_challenge_decodes_from_hex() {
    // Sanity check that the hex helper and decoder agree on a real message
    // (MS-NLMP §4.2.4.3).
    let m = hex(
        "4e544c4d53535000020000000c000c003800000033828ae20123456789abcdef
         00000000000000002400240044000000060070170000000f5300650072007600
         6500720002000c0044006f006d00610069006e0001000c005300650072007600
         6500720000000000",
    );
    assert!(ChallengeMessage::new_checked(&m).is_ok());
}

proptest! {
    #[test]
    fn av_pairs_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let mut steps = 0usize;
        for item in AvPairs::new(&bytes) {
            steps += 1;
            prop_assert!(steps <= bytes.len() / 4 + 1);
            if item.is_err() {
                break;
            }
        }
        let _ = validate_target_info(&bytes);
    }

    #[test]
    fn challenge_decoder_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = ChallengeMessage::new_checked(&bytes);
        // Also with a valid prefix so the payload checks are reached.
        let mut m = challenge_with(&good_target_info(), SERVER_FLAGS)[..48].to_vec();
        m.extend_from_slice(&bytes);
        let _ = ChallengeMessage::new_checked(&m);
    }

    #[test]
    fn mutated_challenges_never_panic(
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8),
        cut in any::<usize>(),
    ) {
        let mut m = challenge_with(&good_target_info(), SERVER_FLAGS);
        for (at, x) in flips {
            let i = at % m.len();
            m[i] ^= x;
        }
        m.truncate(cut % (m.len() + 1));
        if let Ok(c) = ChallengeMessage::new_checked(&m) {
            for item in c.av_pairs() {
                prop_assert!(item.is_ok());
            }
            let nt = [3u8; 16];
            let mut out = vec![0u8; MAX_AUTHENTICATE_LEN];
            let _ = emit_authenticate(&HostCrypto, &request(&nt, &[]), &c, &mut out);
        }
    }
}
