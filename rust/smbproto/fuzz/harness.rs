// SPDX-License-Identifier: GPL-2.0
//! The bodies of the fuzz targets, as plain functions.
//!
//! Shared by the libFuzzer binaries in `fuzz_targets/` and by the codec's
//! `tests/fuzz_seeds.rs`, which replays every committed seed (and every
//! saved crash reproducer) through exactly this code under `cargo test`.
//! The includer must also have a `host_crypto` module at the crate root
//! (`tests/host_crypto/mod.rs`, the RustCrypto `CryptoProvider`).
//!
//! Besides "no panic, no overflow", each function asserts a few
//! consistency properties, so a wrong decode is also a crash.

use crate::host_crypto::HostCrypto;
use smbproto::proto::compound::{CompoundIter, CompoundRanges};
use smbproto::proto::crypto::Cipher;
use smbproto::proto::dispatch::{
    body_is_error, decode_request, decode_response, decode_response_any, Response,
};
use smbproto::proto::fast_path::{peek_header, PduPeek};
use smbproto::proto::file_io::{read_response_data_span, READ_RESPONSE_PREFIX_LEN};
use smbproto::proto::framing::{decode_frame_length, message_kind, MessageKind};
use smbproto::proto::header::{Header, HEADER_LEN};
use smbproto::proto::ntlmssp::authenticate::{
    emit_authenticate, AuthenticateRequest, MAX_AUTHENTICATE_LEN,
};
use smbproto::proto::ntlmssp::av_pair::{validate_target_info, AvPairs};
use smbproto::proto::ntlmssp::challenge::ChallengeMessage;
use smbproto::proto::ntlmssp::flags;
use smbproto::proto::ntlmssp::version::{Version, NTLMSSP_REVISION_W2K3};
use smbproto::proto::transform::{
    transform_aad, transform_payload, TransformHeader, TRANSFORM_HEADER_LEN,
};
use smbproto::proto::transform_crypt::{decrypt_in_place, encrypt_in_place};
use smbproto::proto::Error;

/// Target `dispatch`: `data` is one received SMB2 message as it follows
/// the 4-byte RFC 1002 frame header (a plain PDU, a compound chain or a
/// transform header + ciphertext).
pub(crate) fn dispatch(data: &[u8]) {
    // Framing: the first four bytes read as a frame header, and the kind.
    if let Ok(len) = decode_frame_length(data) {
        assert!(len <= 0x00FF_FFFF, "24-bit frame length {len}");
    }
    let kind = message_kind(data);

    // The softirq fast path must agree with the full header decoder.
    let peek = peek_header(data);
    match (&peek, Header::parse(data)) {
        (Ok(PduPeek::Smb2(s)), Ok(h)) => {
            assert_eq!(s.message_id, h.message_id);
            assert_eq!(s.command, h.command.to_u16());
            assert_eq!(s.status, h.status);
            assert_eq!(s.flags, h.flags);
            assert_eq!(s.target, h.target);
            assert_eq!(s.session_id, h.session_id);
            assert_eq!(s.credit_charge, h.credit_charge);
            assert_eq!(s.credit_response, h.credits);
            assert_eq!(s.next_command, h.next_command);
        }
        (Err(_), Ok(_)) => panic!("peek_header failed where Header::parse succeeded"),
        _ => {}
    }
    if let Ok(PduPeek::Transform(t)) = peek {
        assert_eq!(kind, Ok(MessageKind::Transform));
        let full = TransformHeader::parse(data).ok();
        assert_eq!(full.map(|h| h.session_id), Some(t.session_id));
    }

    // Whole-message decode, then each PDU of the chain on its own.
    let total = decode_response_any(data);
    let mut pdus = 0usize;
    let mut all_ok = true;
    for pdu in CompoundIter::new(data) {
        let Ok(pdu) = pdu else {
            all_ok = false;
            break;
        };
        assert!(pdu.len() >= HEADER_LEN);
        pdus += 1;
        let rsp = decode_response(pdu);
        if rsp.is_err() {
            all_ok = false;
        }
        if let Ok((h, body)) = rsp {
            check_response(pdu, &h, &body);
        }
        let _ = decode_request(pdu);
        read_split(pdu);
    }
    if let Ok(n) = total {
        if kind == Ok(MessageKind::Smb2) {
            assert!(
                all_ok,
                "decode_response_any accepted a chain with a bad PDU"
            );
            assert_eq!(
                n, pdus,
                "decode_response_any counted {n} PDUs, the chain has {pdus}"
            );
        }
    }
    // The ranges iterator and the slice iterator walk the same chain.
    let ranges = CompoundRanges::new(data).take_while(Result::is_ok).count();
    let slices = CompoundIter::new(data).take_while(Result::is_ok).count();
    assert_eq!(ranges, slices);

    // The receive path's READ split on the raw message too (not only on
    // PDUs the chain walker accepted).
    read_split(data);
}

/// Properties of a successfully decoded response PDU.
fn check_response(pdu: &[u8], h: &Header, body: &Response<'_>) {
    assert!(h.is_response());
    let ss = pdu
        .get(HEADER_LEN..HEADER_LEN + 2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
        .expect("a decoded PDU has a StructureSize");
    let is_error = body_is_error(h.command, h.nt_status(), ss);
    assert_eq!(is_error, matches!(body, Response::Error(_)));
    if let Response::Read(r) = body {
        // The full decoder and the receive path's split agree on the data.
        let (off, len) = read_response_data_span(pdu, pdu.len()).expect("span of a valid READ");
        let payload = r.payload(pdu).expect("payload of a valid READ");
        assert_eq!(payload.len(), len);
        if len > 0 {
            assert_eq!(usize::from(r.data_offset), off);
        }
    }
}

/// `read_response_data_span` on a prefix of the PDU, as the transport sees
/// it, against the PDU length; a returned span must lie inside the PDU.
fn read_split(pdu: &[u8]) {
    let prefix = pdu.get(..READ_RESPONSE_PREFIX_LEN).unwrap_or(pdu);
    for pdu_len in [pdu.len(), pdu.len().saturating_sub(1), usize::MAX] {
        if let Ok((off, len)) = read_response_data_span(prefix, pdu_len) {
            let end = off.checked_add(len).expect("span end overflows");
            assert!(end <= pdu_len, "span {off}+{len} past {pdu_len}");
            assert!(len == 0 || off >= READ_RESPONSE_PREFIX_LEN);
        }
    }
}

/// The NT hash of the fixed password the `ntlmssp_challenge` target
/// answers with; MD4 is cheap but need not run per input.
fn fuzz_nt_hash() -> [u8; 16] {
    use std::sync::OnceLock;
    static H: OnceLock<[u8; 16]> = OnceLock::new();
    *H.get_or_init(|| {
        smbproto::proto::ntlmssp::ntlmv2::nt_hash(&HostCrypto, "Fuzz-Passw0rd").expect("nt hash")
    })
}

/// Target `ntlmssp_challenge`: `data` is a CHALLENGE_MESSAGE token as a
/// server would send it in the SESSION_SETUP response.
pub(crate) fn ntlmssp_challenge(data: &[u8]) {
    // The AV pair walkers on the raw bytes, whatever they are.
    AvPairs::new(data).for_each(drop);
    let _ = validate_target_info(data);

    let Ok(c) = ChallengeMessage::new_checked(data) else {
        return;
    };
    // Accessors of a validated message never fail or read out of bounds.
    assert_eq!(c.as_bytes(), data);
    let _ = c.negotiate_flags();
    let _ = c.server_challenge();
    let _ = c.target_name();
    let _ = c.version();
    let info = c.target_info();
    let summary = validate_target_info(info);
    for p in c.av_pairs() {
        p.expect("TargetInfo was validated");
    }
    if !info.is_empty() {
        let s = summary.expect("TargetInfo was validated");
        assert_eq!(s.timestamp, c.timestamp());
        assert_eq!(s.flags, c.av_flags());
    }

    // Answer it with fixed inputs; both with and without key exchange.
    let nt_hash = fuzz_nt_hash();
    let negotiate = [0u8; 40];
    for negotiate_flags in [
        flags::NEGOTIATE_UNICODE
            | flags::NEGOTIATE_NTLM
            | flags::NEGOTIATE_SIGN
            | flags::NEGOTIATE_KEY_EXCH
            | flags::NEGOTIATE_VERSION
            | flags::NEGOTIATE_EXTENDED_SESSIONSECURITY
            | flags::NEGOTIATE_128,
        flags::NEGOTIATE_UNICODE | flags::NEGOTIATE_NTLM,
    ] {
        let req = AuthenticateRequest {
            nt_hash: &nt_hash,
            user: "smbtest",
            domain: "WORKGROUP",
            workstation: "fuzz",
            negotiate_flags,
            version: Version {
                major: 6,
                minor: 1,
                build: 0,
                revision: NTLMSSP_REVISION_W2K3,
            },
            client_challenge: [0x11; 8],
            time: 0x01D0_0000_0000_0000,
            random_session_key: [0x22; 16],
            client_av_pairs: &[],
            negotiate_message: &negotiate,
        };
        let mut out = [0u8; MAX_AUTHENTICATE_LEN];
        match emit_authenticate(&HostCrypto, &req, &c, &mut out) {
            Ok(a) => {
                assert!(a.len <= MAX_AUTHENTICATE_LEN);
                assert_eq!(a.mic_present, c.timestamp().is_some());
            }
            // An oversized TargetInfo is refused, never truncated.
            Err(Error::Oversized) => assert!(info.len() > 1024),
            Err(e) => panic!("emit_authenticate failed on a valid challenge: {e:?}"),
        }
    }
}

/// Fixed keys of the `transform_decrypt` target.
const KEY_128: [u8; 16] = *b"smbfs-fuzz-key16";
const KEY_256: [u8; 32] = *b"smbfs-fuzz-key-thirty-two-bytes!";

/// Target `transform_decrypt`: `data` is a received transform message
/// (52-byte TRANSFORM_HEADER, then ciphertext). Decrypts it in place under
/// fixed keys with every cipher, as one segment and as two; a tag failure
/// must wipe the buffer. Then a cipher picked by the first input byte seals
/// the body under the header's nonce and SessionId and opens it again,
/// which must give the body back.
pub(crate) fn transform_decrypt(data: &[u8]) {
    let _ = TransformHeader::parse(data);
    let _ = transform_aad(data);
    let _ = transform_payload(data);
    let Some(header) = data.get(..TRANSFORM_HEADER_LEN) else {
        // Short input: only the error paths.
        let mut body = [0u8; 0];
        for cipher in CIPHERS {
            let r = decrypt_in_place(&HostCrypto, cipher, key(cipher), 0, data, &mut body[..]);
            assert!(r.is_err());
        }
        return;
    };
    let session_id = TransformHeader::parse(data).map_or(0, |h| h.session_id);
    let body = data.get(TRANSFORM_HEADER_LEN..).unwrap_or(&[]);

    for cipher in CIPHERS {
        let mut msg = body.to_vec();
        let r = decrypt_in_place(
            &HostCrypto,
            cipher,
            key(cipher),
            session_id,
            header,
            &mut msg[..],
        );
        match r {
            // Forged tags are astronomically unlikely; a success means the
            // input was built by the fuzzer from the encrypted path below.
            Ok(()) => dispatch(&msg),
            Err(Error::BadSignature) => assert!(msg.iter().all(|&b| b == 0), "plaintext kept"),
            Err(_) => {}
        }
        // The body split in two segments must behave the same.
        let mut a = body.to_vec();
        let cut = a.len() / 2;
        let (x, y) = a.split_at_mut(cut);
        let mut segs: [&mut [u8]; 2] = [x, y];
        let r2 = decrypt_in_place(
            &HostCrypto,
            cipher,
            key(cipher),
            session_id,
            header,
            &mut segs[..],
        );
        assert_eq!(r.is_ok(), r2.is_ok());
    }

    // Seal the body under the header's nonce and session, then open it.
    let cipher = CIPHERS[usize::from(data[0] & 3)];
    let nonce = &header[20..20 + cipher.nonce_len()];
    let mut plain = body.to_vec();
    let mut hdr = [0u8; TRANSFORM_HEADER_LEN];
    if encrypt_in_place(
        &HostCrypto,
        cipher,
        key(cipher),
        nonce,
        session_id,
        &mut hdr,
        &mut plain[..],
    )
    .is_ok()
    {
        let parsed = TransformHeader::parse(&hdr).expect("emitted header parses");
        assert_eq!(parsed.session_id, session_id);
        assert_eq!(parsed.original_message_size as usize, body.len());
        decrypt_in_place(
            &HostCrypto,
            cipher,
            key(cipher),
            session_id,
            &hdr,
            &mut plain[..],
        )
        .expect("own ciphertext opens");
        assert_eq!(plain, body);
    }
}

const CIPHERS: [Cipher; 4] = [
    Cipher::Aes128Ccm,
    Cipher::Aes128Gcm,
    Cipher::Aes256Ccm,
    Cipher::Aes256Gcm,
];

fn key(cipher: Cipher) -> &'static [u8] {
    if cipher.key_len() == 32 {
        &KEY_256
    } else {
        &KEY_128
    }
}
