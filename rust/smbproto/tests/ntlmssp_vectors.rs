// SPDX-License-Identifier: GPL-2.0
//! Known-answer tests for NTLMSSP and NTLMv2.
//!
//! Sources:
//! * [MS-NLMP] §4.2.2.1.2 (NTOWFv1) and §4.2.4 "NTLMv2 Authentication"
//!   (§4.2.4.1.1 NTOWFv2, §4.2.4.1.2 Session Base Key, §4.2.4.2.1 LMv2
//!   Response, §4.2.4.2.2 NTLMv2 Response, §4.2.4.2.3 Encrypted Session Key,
//!   §4.2.4.3 Messages).
//! * Microsoft Open Specifications blog, "SMB 2 and SMB 3 security in
//!   Windows 10: the anatomy of signing and cryptographic keys" (Edgar
//!   Olougouna), appendix "Key derivation example for SMB 3.1.1
//!   multichannel" (the SESSION_SETUP packets carrying NTLMSSP) and
//!   "NTLMv2 SessionKey calculation example" (password "Password01!").
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

use host_crypto::{hex, hex_n, HostCrypto};
use smbproto::proto::ntlmssp::authenticate::{
    emit_authenticate, AuthenticateRequest, MAX_AUTHENTICATE_LEN,
};
use smbproto::proto::ntlmssp::av_pair::{AvId, AvPair};
use smbproto::proto::ntlmssp::challenge::ChallengeMessage;
use smbproto::proto::ntlmssp::negotiate::emit_negotiate;
use smbproto::proto::ntlmssp::ntlmv2::{
    compute_mic, lmv2_response, nt_hash, nt_proof_str, ntlmv2_response, ntowfv2, rc4_session_key,
    session_base_key, verify_mic,
};
use smbproto::proto::ntlmssp::version::Version;
use smbproto::proto::Error;

// ---- MS-NLMP §4.2.4 -------------------------------------------------------

/// MS-NLMP §4.2.4.3: the CHALLENGE_MESSAGE of the NTLMv2 example.
const NLMP_CHALLENGE: &str = "
    4e544c4d53535000020000000c000c003800000033828ae20123456789abcdef
    00000000000000002400240044000000060070170000000f5300650072007600
    6500720002000c0044006f006d00610069006e0001000c005300650072007600
    6500720000000000";

/// MS-NLMP §4.2.4.3: the AUTHENTICATE_MESSAGE of the NTLMv2 example.
const NLMP_AUTHENTICATE: &str = "
    4e544c4d5353500003000000180018006c00000054005400840000000c000c00
    480000000800080054000000100010005c00000010001000d8000000358288e2
    0501280a0000000f44006f006d00610069006e00550073006500720043004f00
    4d005000550054004500520086c35097ac9cec102554764a57cccc19aaaaaaaa
    aaaaaaaa68cd0ab851e51c96aabc927bebef6a1c010100000000000000000000
    00000000aaaaaaaaaaaaaaaa0000000002000c0044006f006d00610069006e00
    01000c005300650072007600650072000000000000000000c5dad2544fc97990
    94ce1ce90bc9d03e";

#[test]
fn nt_hash_matches_ms_nlmp_4_2_2() {
    // MS-NLMP §4.2.2.1.2: NTOWFv1("Password") = MD4(UNICODE("Password")).
    assert_eq!(
        nt_hash(&HostCrypto, "Password").unwrap(),
        hex_n::<16>("a4f49c406510bdcab6824ee7c30fd852")
    );
}

#[test]
fn ntlmv2_values_match_ms_nlmp_4_2_4() {
    let p = HostCrypto;
    let nt = nt_hash(&p, "Password").unwrap();
    // §4.2.4.1.1 NTOWFv2("Password", "User", "Domain").
    let key = ntowfv2(&p, &nt, "User", "Domain").unwrap();
    assert_eq!(key, hex_n::<16>("0c868a403bfd7a93a3001ef22ef02e3f"));
    let server_challenge = hex_n::<8>("0123456789abcdef");
    let client_challenge = [0xaa; 8];
    // §4.2.4.2.1 LMv2 response.
    assert_eq!(
        lmv2_response(&p, &key, &server_challenge, &client_challenge).to_vec(),
        hex("86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa")
    );
    // §4.2.4.2.2: temp built from Time 0, ClientChallenge aa*8 and the
    // §4.2.4.3 TargetInfo (Domain/Server).
    let temp = hex("0101000000000000 0000000000000000 aaaaaaaaaaaaaaaa 00000000
         02000c0044006f006d00610069006e00 01000c00530065007200760065007200
         00000000 00000000");
    let proof = nt_proof_str(&p, &key, &server_challenge, &temp);
    assert_eq!(proof, hex_n::<16>("68cd0ab851e51c96aabc927bebef6a1c"));
    // §4.2.4.1.2 Session Base Key (= KeyExchangeKey for NTLMv2).
    let base = session_base_key(&p, &key, &proof);
    assert_eq!(base, hex_n::<16>("8de40ccadbc14a82f15cb0ad0de95ca3"));
    // §4.2.4.2.3 Encrypted Session Key with RandomSessionKey 0x55*16.
    assert_eq!(
        rc4_session_key(&p, &base, &[0x55; 16]),
        hex_n::<16>("c5dad2544fc9799094ce1ce90bc9d03e")
    );
}

#[test]
fn ntlmv2_response_matches_ms_nlmp_4_2_4() {
    let p = HostCrypto;
    let key = ntowfv2(&p, &nt_hash(&p, "Password").unwrap(), "User", "Domain").unwrap();
    // §4.2.4.3: the CHALLENGE's TargetInfo (Domain/Server, EOL).
    let target_info =
        hex("02000c0044006f006d00610069006e00 01000c00530065007200760065007200 00000000");
    let mut out = [0u8; 128];
    let (len, base) = ntlmv2_response(
        &p,
        &key,
        &hex_n::<8>("0123456789abcdef"),
        &[0xaa; 8],
        0,
        &target_info,
        &mut out,
    )
    .unwrap();
    // §4.2.4.3: the AUTHENTICATE's NtChallengeResponse (84 bytes at 0x84).
    let auth = hex(NLMP_AUTHENTICATE);
    assert_eq!(&out[..len], &auth[0x84..0x84 + 0x54]);
    assert_eq!(base, hex_n::<16>("8de40ccadbc14a82f15cb0ad0de95ca3"));
    // Too small a buffer, and a TargetInfo without EOL, are errors.
    assert_eq!(
        ntlmv2_response(
            &p,
            &key,
            &[0; 8],
            &[0; 8],
            0,
            &target_info,
            &mut out[..len - 1]
        ),
        Err(Error::BufferTooSmall)
    );
    assert!(ntlmv2_response(&p, &key, &[0; 8], &[0; 8], 0, &target_info[..16], &mut out).is_err());
}

#[test]
fn challenge_message_of_ms_nlmp_4_2_4_3_decodes() {
    let bytes = hex(NLMP_CHALLENGE);
    let c = ChallengeMessage::new_checked(&bytes).unwrap();
    assert_eq!(c.negotiate_flags(), 0xe28a8233);
    assert_eq!(c.server_challenge(), hex_n::<8>("0123456789abcdef"));
    assert_eq!(
        c.target_name(),
        "Server"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect::<Vec<_>>()
    );
    assert_eq!(c.timestamp(), None);
    assert_eq!(
        c.version(),
        Some(Version {
            major: 6,
            minor: 0,
            build: 6000,
            revision: 15
        })
    );
    let pairs: Vec<AvPair<'_>> = c.av_pairs().map(Result::unwrap).collect();
    assert_eq!(pairs.len(), 2);
    assert_eq!(pairs[0].id, AvId::NB_DOMAIN_NAME);
    assert_eq!(pairs[1].id, AvId::NB_COMPUTER_NAME);
}

#[test]
fn authenticate_message_matches_ms_nlmp_4_2_4_3() {
    let p = HostCrypto;
    let challenge_bytes = hex(NLMP_CHALLENGE);
    let challenge = ChallengeMessage::new_checked(&challenge_bytes).unwrap();
    let nt = nt_hash(&p, "Password").unwrap();
    let request = AuthenticateRequest {
        nt_hash: &nt,
        user: "User",
        domain: "Domain",
        workstation: "COMPUTER",
        negotiate_flags: 0xe2888235,
        version: Version {
            major: 5,
            minor: 1,
            build: 2600,
            revision: 15,
        },
        client_challenge: [0xaa; 8],
        time: 0,
        random_session_key: [0x55; 16],
        client_av_pairs: &[],
        negotiate_message: &[],
    };
    let mut out = [0u8; MAX_AUTHENTICATE_LEN];
    let result = emit_authenticate(&p, &request, &challenge, &mut out).unwrap();
    assert!(!result.mic_present);
    assert_eq!(result.exported_session_key, [0x55; 16]);
    assert_eq!(
        hex::encode(&out[..result.len]),
        hex::encode(&hex(NLMP_AUTHENTICATE))
    );
}

// ---- The Windows exchange of the "anatomy of keys" blog ----------------

/// NTLMSSP NEGOTIATE inside the first SESSION_SETUP request.
const WIN_NEGOTIATE: &str =
    "4e544c4d5353500001000000978208e200000000000000000000000000000000060380250000000f";

/// NTLMSSP CHALLENGE inside the first SESSION_SETUP response.
const WIN_CHALLENGE: &str = "
    4e544c4d53535000020000000c000c003800000015828ae20d1d8ba31179d008
    000000000000000050005000440000000a0092270000000f5300550054003300
    3100310002000c0053005500540033003100310001000c005300550054003300
    3100310004000c0053005500540033003100310003000c005300550054003300
    3100310007000800a1a1f5adcbaed00100000000";

/// NTLMSSP AUTHENTICATE inside the second SESSION_SETUP request (sent by
/// Windows 8.1; note its NTLMv2 blob ends with 8 zero bytes, not 4).
const WIN_AUTHENTICATE: &str = "
    4e544c4d53535000030000001800180090000000ee00ee00a80000000c000c00
    580000001a001a0064000000120012007e0000001000100096010000158288e2
    060380250000000fecac77a5f385a8bf9c38c706eeeddcd35300550054003300
    31003100610064006d0069006e006900730074007200610074006f0072004400
    5200490056004500520033003100310000000000000000000000000000000000
    000000000000000063078eb639fe03e20a231c3ae3bf23080101000000000000
    a1a1f5adcbaed001bc4ad05f223cc90f0000000002000c005300550054003300
    3100310001000c0053005500540033003100310004000c005300550054003300
    3100310003000c0053005500540033003100310007000800a1a1f5adcbaed001
    06000400020000000800300030000000000000000000000000300000b61fefca
    a857ea57bf1edcebf8974b8e0eba5a6dfd9d07a31d11b548f8c9d0cc0a001000
    000000000000000000000000000000000900160063006900660073002f005300
    550054003300310031000000000000000000000000003b9bdff38f5ee8f9663f
    11a0f4c03a78";

#[test]
fn negotiate_message_matches_windows() {
    let mut out = [0u8; 64];
    let len = emit_negotiate(
        0xe2088297,
        Version {
            major: 6,
            minor: 3,
            build: 9600,
            revision: 15,
        },
        &mut out,
    )
    .unwrap();
    assert_eq!(&out[..len], &hex(WIN_NEGOTIATE)[..]);
}

#[test]
fn windows_challenge_decodes() {
    let bytes = hex(WIN_CHALLENGE);
    let c = ChallengeMessage::new_checked(&bytes).unwrap();
    assert_eq!(c.negotiate_flags(), 0xe28a8215);
    assert_eq!(c.server_challenge(), hex_n::<8>("0d1d8ba31179d008"));
    assert_eq!(c.target_name(), &hex("530055005400330031003100")[..]);
    assert_eq!(
        c.timestamp(),
        Some(u64::from_le_bytes(hex_n("a1a1f5adcbaed001")))
    );
    assert_eq!(c.av_flags(), None);
    assert_eq!(
        c.version(),
        Some(Version {
            major: 10,
            minor: 0,
            build: 10130,
            revision: 15
        })
    );
    let ids: Vec<u16> = c.av_pairs().map(|p| p.unwrap().id.0).collect();
    assert_eq!(ids, [2, 1, 4, 3, 7]);
}

#[test]
fn windows_ntlmv2_keys_and_mic() {
    let p = HostCrypto;
    // The blog: NtHash = MD4(UNICODE("Password01!")), NTOWFv2 over
    // "ADMINISTRATOR" ‖ "SUT311" (the user typed "administrator").
    let nt = nt_hash(&p, "Password01!").unwrap();
    assert_eq!(nt, hex_n::<16>("7c4fe5eada682714a036e39378362bab"));
    let key = ntowfv2(&p, &nt, "administrator", "SUT311").unwrap();
    assert_eq!(key, hex_n::<16>("aee3959b44a815f1eb28c9511b4f533b"));

    let auth = hex(WIN_AUTHENTICATE);
    let nt_response = &auth[168..168 + 238];
    let proof = nt_proof_str(&p, &key, &hex_n("0d1d8ba31179d008"), &nt_response[16..]);
    assert_eq!(proof, hex_n::<16>("63078eb639fe03e20a231c3ae3bf2308"));
    assert_eq!(&nt_response[..16], &proof);
    let base = session_base_key(&p, &key, &proof);
    assert_eq!(base, hex_n::<16>("b4cf22566926b1c069acd80e4d73c814"));
    // ExportedSessionKey = RC4(KeyExchangeKey, EncryptedRandomSessionKey).
    let exported = rc4_session_key(&p, &base, &hex_n("3b9bdff38f5ee8f9663f11a0f4c03a78"));
    assert_eq!(exported, hex_n::<16>("270e1ba896585eeb7af3472d3b4c75a7"));

    // The MIC Windows sent verifies over NEGOTIATE ‖ CHALLENGE ‖ AUTHENTICATE.
    let neg = hex(WIN_NEGOTIATE);
    let chal = hex(WIN_CHALLENGE);
    assert_eq!(
        compute_mic(&p, &exported, &neg, &chal, &auth).unwrap(),
        hex_n::<16>("ecac77a5f385a8bf9c38c706eeeddcd3")
    );
    verify_mic(&p, &exported, &neg, &chal, &auth).unwrap();
    let mut tampered = auth.clone();
    tampered[100] ^= 1;
    assert_eq!(
        verify_mic(&p, &exported, &neg, &chal, &tampered),
        Err(Error::BadSignature)
    );
}

/// Our AUTHENTICATE for the Windows challenge and inputs, with the same
/// extra AV pairs Windows sent (MsvAvSingleHost, MsvAvChannelBindings,
/// MsvAvTargetName). It differs from Windows' only by the NTLMv2 blob ending
/// in Z(4), as MS-NLMP §3.3.2 specifies, where Windows pads to 8 zero bytes.
/// Expected bytes: an independent computation with Python 3.11 hashlib/hmac
/// (HMAC-MD5, a reference MD4 and RC4) from the same inputs.
#[test]
fn authenticate_with_mic_matches_independent_computation() {
    let p = HostCrypto;
    let challenge_bytes = hex(WIN_CHALLENGE);
    let challenge = ChallengeMessage::new_checked(&challenge_bytes).unwrap();
    let negotiate = hex(WIN_NEGOTIATE);
    let nt = nt_hash(&p, "Password01!").unwrap();
    let extra = hex(
        "08003000 30000000000000000000000000300000b61fefcaa857ea57bf1edcebf8974b8e0eba5a6dfd9d07a31d11b548f8c9d0cc
         0a001000 00000000000000000000000000000000
         09001600 63006900660073002f00530055005400330031003100",
    );
    let request = AuthenticateRequest {
        nt_hash: &nt,
        user: "administrator",
        domain: "SUT311",
        workstation: "DRIVER311",
        negotiate_flags: 0xe2888215,
        version: Version {
            major: 6,
            minor: 3,
            build: 9600,
            revision: 15,
        },
        client_challenge: hex_n("bc4ad05f223cc90f"),
        time: 0x1234, // ignored: the challenge carries MsvAvTimestamp
        random_session_key: hex_n("270e1ba896585eeb7af3472d3b4c75a7"),
        client_av_pairs: &extra,
        negotiate_message: &negotiate,
    };
    let mut out = [0u8; MAX_AUTHENTICATE_LEN];
    let result = emit_authenticate(&p, &request, &challenge, &mut out).unwrap();
    assert!(result.mic_present);
    assert_eq!(
        result.exported_session_key,
        hex_n::<16>("270e1ba896585eeb7af3472d3b4c75a7")
    );
    let expected = hex(
        "4e544c4d53535000030000001800180090000000ea00ea00a80000000c000c00580000001a001a0064000000120012007e0000001000100092010000158288e2060380250000000fa6981fa4bd4437f6b16cfc8feec42db4530055005400330031003100610064006d0069006e006900730074007200610074006f007200440052004900560045005200330031003100000000000000000000000000000000000000000000000000e6826b5d56a73e8a3052f814161987290101000000000000a1a1f5adcbaed001bc4ad05f223cc90f0000000002000c0053005500540033003100310001000c0053005500540033003100310004000c0053005500540033003100310003000c0053005500540033003100310007000800a1a1f5adcbaed00106000400020000000800300030000000000000000000000000300000b61fefcaa857ea57bf1edcebf8974b8e0eba5a6dfd9d07a31d11b548f8c9d0cc0a001000000000000000000000000000000000000900160063006900660073002f0053005500540033003100310000000000000000007bcff313cac6d55d01e2789084508130",
    );
    assert_eq!(hex::encode(&out[..result.len]), hex::encode(&expected));
    verify_mic(
        &p,
        &result.exported_session_key,
        &negotiate,
        &challenge_bytes,
        &out[..result.len],
    )
    .unwrap();
}

mod hex {
    pub(crate) fn encode(b: &[u8]) -> String {
        use std::fmt::Write;
        b.iter().fold(String::new(), |mut s, x| {
            let _ = write!(s, "{x:02x}");
            s
        })
    }
}
