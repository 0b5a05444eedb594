// SPDX-License-Identifier: GPL-2.0
//! Real traffic: cifs.ko (Linux 7.3) against ksmbd, captured in the test VM
//! by tools/testing/guest/capture.sh and split into one file per SMB2
//! message by tools/testing/vectors/extract.py (see tests/vectors/*/index.txt
//! for what each capture is: dialect 2.1 to 3.1.1, with and without
//! signing, and sealed with AES-CCM and AES-GCM).
//!
//! For every message of every capture:
//! * each PDU decodes: requests with the request decoders, responses with
//!   the response decoders, compound chains walked PDU by PDU;
//! * each PDU re-encodes byte for byte from its decoded form, with the
//!   exceptions listed in [`Masked`] (fields the codec does not model),
//!   where the re-encoding must decode to the same values instead;
//! * the session keys are recomputed from the test password: NTOWFv2 from
//!   the password, NTProofStr checked against the captured AUTHENTICATE,
//!   SessionBaseKey, ExportedSessionKey via RC4 when KEY_EXCH, the MIC
//!   checked; for 3.1.1 the preauth integrity hash over the captured
//!   NEGOTIATE and SESSION_SETUP messages; then the codec's KDF;
//! * every PDU with SMB2_FLAGS_SIGNED verifies with the codec's
//!   `signing::verify`;
//! * every transform message decrypts with the derived keys, and what is
//!   inside decodes (and re-encodes) like the rest.
//!
//! Counts are asserted per capture, so an empty or partial vector
//! directory fails.
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

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use host_crypto::HostCrypto;
use smbproto::proto::compound::CompoundRanges;
use smbproto::proto::crypto::Cipher;
use smbproto::proto::dispatch::{
    decode_request, decode_response, decode_response_any, Request, Response,
};
use smbproto::proto::fast_path::{peek_header, PduPeek};
use smbproto::proto::file_io::read_response_data_span;
use smbproto::proto::framing::{message_kind, MessageKind};
use smbproto::proto::header::{flags, Command, Header};
use smbproto::proto::kdf::{derive_session_keys, KeySchedule, SessionKeys};
use smbproto::proto::message::Message;
use smbproto::proto::negotiate_ctx::NegotiateContext;
use smbproto::proto::ntlmssp::av_pair::{AvId, AvPairs, AV_FLAG_MIC_PRESENT};
use smbproto::proto::ntlmssp::challenge::ChallengeMessage;
use smbproto::proto::ntlmssp::flags as ntlm_flags;
use smbproto::proto::ntlmssp::ntlmv2::{
    nt_hash, nt_proof_str, ntowfv2, rc4_session_key, session_base_key, verify_mic,
};
use smbproto::proto::preauth::PreauthHash;
use smbproto::proto::signing::{verify, SigningAlgorithm};
use smbproto::proto::status::NtStatus;
use smbproto::proto::transform::{TransformHeader, TRANSFORM_HEADER_LEN};
use smbproto::proto::transform_crypt::decrypt_in_place;

/// The captures that must be present (one directory each under
/// tests/vectors/), as capture.sh names them.
const CAPTURES: &[&str] = &[
    "smb2.1",
    "smb2.1-sign",
    "smb3.0",
    "smb3.0-sign",
    "smb3.0-seal",
    "smb3.0.2",
    "smb3.0.2-sign",
    "smb3.1.1",
    "smb3.1.1-sign",
    "smb3.1.1-seal",
];

// ---- loading -------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dir {
    C2s,
    S2c,
}

struct Msg {
    file: String,
    dir: Dir,
    conn: u32,
    bytes: Vec<u8>,
}

struct Capture {
    name: String,
    sign: bool,
    seal: bool,
    user: String,
    password: String,
    msgs: Vec<Msg>,
}

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

fn load(name: &str) -> Capture {
    let dir = vectors_dir().join(name);
    let index = fs::read_to_string(dir.join("index.txt")).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (captures are made by tools/testing/guest/capture.sh and extract.py)",
            dir.display()
        )
    });
    let mut c = Capture {
        name: name.to_string(),
        sign: false,
        seal: false,
        user: String::new(),
        password: String::new(),
        msgs: Vec::new(),
    };
    for line in index.lines().filter(|l| !l.starts_with('#')) {
        let (key, rest) = line.split_once(' ').unwrap_or((line, ""));
        match key {
            "sign" => c.sign = rest == "1",
            "seal" => c.seal = rest == "1",
            "user" => c.user = rest.to_string(),
            "password" => c.password = rest.to_string(),
            "msg" => {
                let f: Vec<&str> = rest.split(' ').collect();
                let direction = match f[1] {
                    "c2s" => Dir::C2s,
                    "s2c" => Dir::S2c,
                    d => panic!("{name}: bad direction {d}"),
                };
                c.msgs.push(Msg {
                    file: f[3].to_string(),
                    dir: direction,
                    conn: f[2].parse().unwrap(),
                    bytes: fs::read(dir.join(f[3])).unwrap(),
                });
            }
            _ => {}
        }
    }
    assert!(!c.msgs.is_empty(), "{name}: index.txt lists no messages");
    c
}

// ---- what happened, per capture --------------------------------------------------

#[derive(Default, Debug)]
struct Counts {
    messages: usize,
    pdus: usize,
    requests: usize,
    responses: usize,
    compounds: usize,
    byte_exact: usize,
    /// PDUs that differ only in the sync header's Reserved field.
    exact_but_reserved: usize,
    masked: std::collections::BTreeMap<&'static str, usize>,
    signed: usize,
    verified: usize,
    transforms: usize,
    decrypted: usize,
    sessions: usize,
    ntlm_proofs: usize,
    mics: usize,
    commands: HashMap<(Command, bool), usize>,
    failures: Vec<String>,
}

/// Fields a re-encoding cannot reproduce because the codec does not model
/// them. Each is compared at the decode level instead (the re-encoded PDU
/// must decode to the same header and body).
#[derive(Debug, Clone, Copy)]
enum Masked {
    /// Header bytes 32..36 of a sync header: "Reserved" in MS-SMB2 §2.2.1.2,
    /// which cifs.ko fills with the caller's process id (`ProcessId`) and
    /// ksmbd echoes back. `Header` keeps only the TreeId (36..40), as the
    /// spec says the field is ignored on receipt.
    SyncReserved,
    /// A body whose StructureSize is odd (fixed part + 1) with an empty
    /// variable part: the codec's encoders write the one byte the
    /// StructureSize counts (MS-SMB2 §2.2: "the variable-length buffer"
    /// starts there), ksmbd ends the PDU at the fixed part. Both decode
    /// the same; the decoders accept either.
    EmptyBufferByte,
    /// Zero padding after the last PDU of a compound chain (ksmbd aligns
    /// every PDU of a compound response to 8 bytes, the last one too). The
    /// padding is not part of any body; the codec's chain walker gives it
    /// to the last PDU.
    LastPduPadding,
    /// QUERY_INFO request with an empty input buffer: cifs.ko still points
    /// InputBufferOffset (bytes 72..74) at the end of the fixed part (0x68),
    /// the codec writes 0. MS-SMB2 §2.2.37 leaves the offset meaningless
    /// when InputBufferLength is 0; the decoder ignores it.
    EmptyInputOffset,
    /// CREATE request layout (decode-level equality only): cifs.ko gives an
    /// empty name an 8-byte Buffer, so its create contexts start at 0x80
    /// rather than at 0x78, and it pads the last create context to 8 bytes
    /// (and counts the padding in CreateContextsLength). The codec's
    /// encoder starts contexts at the first 8-byte boundary after the name
    /// and does not pad the last one (MS-SMB2 §2.2.13.2 only requires each
    /// context to start 8-aligned). The codec does not keep offsets or
    /// padding, so these bytes cannot be reproduced.
    CreateLayout,
}

impl Masked {
    fn label(self) -> &'static str {
        match self {
            Masked::SyncReserved => "sync header Reserved (ProcessId)",
            Masked::EmptyBufferByte => "no byte for an empty variable part",
            Masked::LastPduPadding => "padding after the last PDU of a chain",
            Masked::EmptyInputOffset => "InputBufferOffset of an empty QUERY_INFO input",
            Masked::CreateLayout => "CREATE request context layout (decode-level)",
        }
    }
}

// ---- keys ------------------------------------------------------------------------

/// Per-connection state needed to rebuild the session keys.
#[derive(Default)]
struct Conn {
    dialect: u16,
    cipher: Option<Cipher>,
    signing: Option<SigningAlgorithm>,
    preauth: PreauthHash,
    /// The session setup exchange in progress.
    setup: Option<Setup>,
    sessions: HashMap<u64, SessionKeys>,
}

#[derive(Clone)]
struct Setup {
    preauth: PreauthHash,
    negotiate: Option<Vec<u8>>,
    challenge: Option<Vec<u8>>,
    authenticate: Option<Vec<u8>>,
}

fn find_token(blob: &[u8], msg_type: u8) -> Option<&[u8]> {
    let sig = [
        b'N', b'T', b'L', b'M', b'S', b'S', b'P', 0, msg_type, 0, 0, 0,
    ];
    blob.windows(sig.len())
        .position(|w| w == sig)
        .map(|i| &blob[i..])
}

fn le16(b: &[u8], off: usize) -> usize {
    u16::from_le_bytes([b[off], b[off + 1]]) as usize
}

fn le32(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes(b[off..off + 4].try_into().unwrap())
}

/// A payload field (Len, MaxLen, Offset) of an NTLMSSP message.
fn ntlm_field(msg: &[u8], at: usize) -> &[u8] {
    let len = le16(msg, at);
    let off = le32(msg, at + 4) as usize;
    &msg[off..off + len]
}

fn utf16(b: &[u8]) -> String {
    let units: Vec<u16> = b
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16(&units).unwrap()
}

/// The ExportedSessionKey of a finished NTLM exchange, recomputed from the
/// password and checked against the captured AUTHENTICATE_MESSAGE
/// (MS-NLMP §3.3.2, §3.1.5.1.2).
fn exported_session_key(c: &Capture, s: &Setup, counts: &mut Counts) -> [u8; 16] {
    let auth = s.authenticate.as_deref().expect("an AUTHENTICATE was sent");
    let challenge_bytes = s.challenge.as_deref().expect("a CHALLENGE was received");
    let challenge = ChallengeMessage::new_checked(challenge_bytes).expect("CHALLENGE parses");
    let nt = ntlm_field(auth, 20);
    let domain = utf16(ntlm_field(auth, 28));
    let user = utf16(ntlm_field(auth, 36));
    let encrypted_key = ntlm_field(auth, 52);
    let negotiate_flags = le32(auth, 60);
    assert_eq!(user, c.user, "{}: user in AUTHENTICATE", c.name);

    let hash = nt_hash(&HostCrypto, &c.password).unwrap();
    let key = ntowfv2(&HostCrypto, &hash, &user, &domain).unwrap();
    let proof: [u8; 16] = nt[..16].try_into().unwrap();
    let temp = &nt[16..];
    assert_eq!(
        nt_proof_str(&HostCrypto, &key, &challenge.server_challenge(), temp),
        proof,
        "{}: NTProofStr does not match the test password",
        c.name
    );
    counts.ntlm_proofs += 1;
    let base = session_base_key(&HostCrypto, &key, &proof);
    let exported =
        if negotiate_flags & ntlm_flags::NEGOTIATE_KEY_EXCH != 0 && encrypted_key.len() == 16 {
            rc4_session_key(&HostCrypto, &base, encrypted_key.try_into().unwrap())
        } else {
            base
        };

    // The MIC, when MsvAvFlags in the echoed AV pairs says there is one.
    let pairs = &temp[28..];
    let mic_present = AvPairs::new(pairs)
        .map_while(Result::ok)
        .any(|p| p.id == AvId::FLAGS && le32(p.value, 0) & AV_FLAG_MIC_PRESENT != 0);
    if mic_present {
        let negotiate = s
            .negotiate
            .as_deref()
            .expect("a NEGOTIATE_MESSAGE was sent");
        verify_mic(&HostCrypto, &exported, negotiate, challenge_bytes, auth)
            .unwrap_or_else(|e| panic!("{}: MIC: {e:?}", c.name));
        counts.mics += 1;
    }
    exported
}

// ---- re-encoding -----------------------------------------------------------------

fn reemit<'a, M: Message<'a>>(m: &M, buf: &mut [u8]) -> usize {
    m.emit(buf).expect("a decoded message re-encodes")
}

/// Re-encodes a decoded response body after `h`; returns the PDU length.
fn emit_response(h: &Header, r: &Response<'_>, pdu: &[u8], buf: &mut [u8]) -> usize {
    h.emit(buf).unwrap();
    match r {
        Response::Error(m) => reemit(m, buf),
        Response::Negotiate(m) => reemit(m, buf),
        Response::SessionSetup(m) => reemit(m, buf),
        Response::Logoff(m) => reemit(m, buf),
        Response::TreeConnect(m) => reemit(m, buf),
        Response::TreeDisconnect(m) => reemit(m, buf),
        Response::Create(m) => reemit(m, buf),
        Response::Close(m) => reemit(m, buf),
        Response::Flush(m) => reemit(m, buf),
        Response::Read(m) => m
            .emit_with_payload(m.payload(pdu).unwrap(), buf)
            .expect("READ re-encodes"),
        Response::Write(m) => reemit(m, buf),
        Response::Lock(m) => reemit(m, buf),
        Response::Ioctl(m) => reemit(m, buf),
        Response::Echo(m) => reemit(m, buf),
        Response::QueryDirectory(m) => reemit(m, buf),
        Response::QueryInfo(m) => reemit(m, buf),
        Response::SetInfo(m) => reemit(m, buf),
        Response::Break(b) => match b {
            smbproto::proto::oplock::BreakMessage::Oplock(m) => reemit(m, buf),
            smbproto::proto::oplock::BreakMessage::LeaseNotification(m) => reemit(m, buf),
            smbproto::proto::oplock::BreakMessage::LeaseResponse(m) => reemit(m, buf),
        },
    }
}

fn emit_request(h: &Header, r: &Request<'_>, pdu: &[u8], buf: &mut [u8]) -> usize {
    h.emit(buf).unwrap();
    match r {
        Request::Negotiate(m) => reemit(m, buf),
        Request::SessionSetup(m) => reemit(m, buf),
        Request::Logoff(m) => reemit(m, buf),
        Request::TreeConnect(m) => reemit(m, buf),
        Request::TreeDisconnect(m) => reemit(m, buf),
        Request::Create(m) => reemit(m, buf),
        Request::Close(m) => reemit(m, buf),
        Request::Flush(m) => reemit(m, buf),
        Request::Read(m) => reemit(m, buf),
        Request::Write(m) => m
            .emit_with_payload(m.payload(pdu).unwrap(), buf)
            .expect("WRITE re-encodes"),
        Request::Lock(m) => reemit(m, buf),
        Request::Ioctl(m) => reemit(m, buf),
        Request::Cancel(m) => reemit(m, buf),
        Request::Echo(m) => reemit(m, buf),
        Request::QueryDirectory(m) => reemit(m, buf),
        Request::QueryInfo(m) => reemit(m, buf),
        Request::SetInfo(m) => reemit(m, buf),
        Request::OplockBreakAck(m) => reemit(m, buf),
        Request::LeaseBreakAck(m) => reemit(m, buf),
    }
}

/// Compares a re-encoding with the captured PDU. `last` is false for a PDU
/// followed by another in its chain: its slice then includes the padding
/// to the next 8-byte boundary, which the body encoder does not write.
fn compare(pdu: &[u8], out: &[u8], last: bool, in_chain: bool) -> Result<Vec<Masked>, String> {
    let mut masked = Vec::new();
    let mut body_len = out.len();
    let ss = u16::from_le_bytes([pdu[64], pdu[65]]);
    if body_len == pdu.len() + 1 && ss % 2 == 1 && out[body_len - 1] == 0 {
        body_len -= 1;
        masked.push(Masked::EmptyBufferByte);
    }
    if last && !in_chain && body_len != pdu.len() {
        return Err(format!(
            "re-encoded {body_len} bytes, captured {}",
            pdu.len()
        ));
    }
    if last && in_chain && body_len != pdu.len() {
        // ksmbd pads the last PDU of a compound response to 8 bytes too
        // (MS-SMB2 §3.3.4.1.3 asks that only of the PDUs before it).
        if !(body_len < pdu.len() && pdu.len() - body_len < 8 && pdu.len() % 8 == 0) {
            return Err(format!(
                "re-encoded {body_len} bytes, captured {}",
                pdu.len()
            ));
        }
        if !pdu[body_len..].iter().all(|&b| b == 0) {
            return Err("padding after the last PDU is not zero".into());
        }
        masked.push(Masked::LastPduPadding);
    }
    if !last {
        if !(body_len <= pdu.len() && pdu.len() - body_len < 8) {
            return Err(format!(
                "re-encoded {body_len} bytes into a {}-byte compound slot",
                pdu.len()
            ));
        }
        if !pdu[body_len..].iter().all(|&b| b == 0) {
            return Err("compound padding is not zero".into());
        }
    }
    let mut diff: Vec<usize> = (0..body_len).filter(|&i| pdu[i] != out[i]).collect();
    let command = u16::from_le_bytes([pdu[12], pdu[13]]);
    let is_request = pdu[16] & 1 == 0;
    if command == Command::QueryInfo.to_u16()
        && is_request
        && pdu.len() >= 80
        && pdu[76..80] == [0; 4]
        && diff.iter().any(|i| (72..74).contains(i))
    {
        assert!(out[72..74] == [0; 2]);
        diff.retain(|i| !(72..74).contains(i));
        masked.push(Masked::EmptyInputOffset);
    }
    let sync = u32::from_le_bytes(pdu[16..20].try_into().unwrap()) & flags::ASYNC_COMMAND == 0;
    if sync && diff.iter().any(|i| (32..36).contains(i)) {
        assert!(out[32..36] == [0; 4]);
        diff.retain(|i| !(32..36).contains(i));
        masked.push(Masked::SyncReserved);
    }
    if !diff.is_empty() {
        let d = diff[0];
        return Err(format!(
            "re-encoding differs at bytes {:?}\n captured: {:02x?}\n encoded:  {:02x?}",
            &diff[..diff.len().min(16)],
            &pdu[d.saturating_sub(4)..(d + 12).min(body_len)],
            &out[d.saturating_sub(4)..(d + 12).min(body_len)],
        ));
    }
    Ok(masked)
}

/// Compares, then accounts for the outcome; a difference not explained by
/// [`Masked`] or [`layout_exception`] fails the test. Returns true when the
/// caller must check decode-level equality instead.
fn check_reencoding(
    what: &str,
    key: (Command, Dir),
    pdu: &[u8],
    out: &[u8],
    last: bool,
    in_chain: bool,
    counts: &mut Counts,
) -> bool {
    let masked = match compare(pdu, out, last, in_chain) {
        Ok(m) => m,
        Err(diff) => match layout_exception(key, pdu, out) {
            Ok(m) => vec![m],
            Err(why) => {
                counts.failures.push(format!("{what} {key:?}: {diff}{why}"));
                return false;
            }
        },
    };
    if masked.is_empty() {
        counts.byte_exact += 1;
    } else if masked.iter().all(|m| matches!(m, Masked::SyncReserved)) {
        counts.exact_but_reserved += 1;
    }
    for m in &masked {
        *counts.masked.entry(m.label()).or_default() += 1;
    }
    !masked.is_empty()
}

/// Messages whose layout the codec does not reproduce (see each reason);
/// for them the re-encoding must decode to the same values, which the
/// caller checks. What can still be compared byte for byte is.
fn layout_exception(key: (Command, Dir), pdu: &[u8], out: &[u8]) -> Result<Masked, String> {
    match key {
        (Command::Create, Dir::C2s) => {
            // Header (but the sync Reserved field) and the fixed body up to
            // NameLength: only the context offset/length and what follows
            // the name may differ.
            let fixed = 64 + 48;
            let same = |r: core::ops::Range<usize>| pdu.get(r.clone()) == out.get(r);
            if !(same(0..32) && same(36..fixed)) {
                return Err("; the fixed part differs too".into());
            }
            let name_off = le16(pdu, 64 + 44);
            let name_len = le16(pdu, 64 + 46);
            if pdu.get(name_off..name_off + name_len) != out.get(120..120 + name_len) {
                return Err("; the name differs".into());
            }
            Ok(Masked::CreateLayout)
        }
        _ => Err(String::new()),
    }
}

// ---- the walk ----------------------------------------------------------------------

fn dialect_signing(dialect: u16, negotiated: Option<SigningAlgorithm>) -> SigningAlgorithm {
    match dialect {
        0x0202 | 0x0210 => SigningAlgorithm::HmacSha256,
        0x0300 | 0x0302 => SigningAlgorithm::AesCmac,
        _ => negotiated.unwrap_or(SigningAlgorithm::AesCmac),
    }
}

/// Decodes, re-encodes, tracks keys and verifies one plain SMB2 message.
fn plain_message(
    c: &Capture,
    m: &Msg,
    msg: &[u8],
    conn: &mut Conn,
    counts: &mut Counts,
    inside: &str,
) {
    assert_eq!(message_kind(msg), Ok(MessageKind::Smb2));
    let ranges: Vec<_> = CompoundRanges::new(msg)
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{}/{}{inside}: chain: {e:?}", c.name, m.file));
    if ranges.len() > 1 {
        counts.compounds += 1;
    }
    if m.dir == Dir::S2c {
        assert_eq!(
            decode_response_any(msg),
            Ok(ranges.len()),
            "{}/{}",
            c.name,
            m.file
        );
    }
    let nranges = ranges.len();
    for (i, r) in ranges.into_iter().enumerate() {
        let pdu = &msg[r];
        let what = format!("{}/{}{inside} PDU {i}", c.name, m.file);
        let last = i + 1 == nranges;
        let mut buf = vec![0xA5u8; pdu.len() + 64];
        let h = Header::parse(pdu).unwrap_or_else(|e| panic!("{what}: header: {e:?}"));
        match peek_header(pdu) {
            Ok(PduPeek::Smb2(s)) => {
                assert_eq!(s.message_id, h.message_id, "{what}");
                assert_eq!(s.command, h.command.to_u16(), "{what}");
            }
            other => panic!("{what}: fast path: {other:?}"),
        }
        counts.pdus += 1;
        *counts
            .commands
            .entry((h.command, m.dir == Dir::S2c))
            .or_default() += 1;
        match m.dir {
            Dir::C2s => {
                assert!(!h.is_response(), "{what}: a response from the client");
                let (_, req) = decode_request(pdu).unwrap_or_else(|e| panic!("{what}: {e:?}"));
                counts.requests += 1;
                let n = emit_request(&h, &req, pdu, &mut buf);
                let key = (h.command, m.dir);
                if check_reencoding(&what, key, pdu, &buf[..n], last, nranges > 1, counts) {
                    let (h2, req2) = decode_request(&buf[..n]).unwrap();
                    assert_eq!(req2, req, "{what}: re-encoding decodes differently");
                    assert_eq!(h2, h, "{what}");
                }
                track_request(&h, &req, pdu, conn);
            }
            Dir::S2c => {
                assert!(h.is_response(), "{what}: a request from the server");
                let (_, rsp) = decode_response(pdu).unwrap_or_else(|e| panic!("{what}: {e:?}"));
                counts.responses += 1;
                if let Response::Read(r) = &rsp {
                    // The receive path's split agrees with the decoder.
                    let (off, len) = read_response_data_span(pdu, pdu.len()).unwrap();
                    assert_eq!(len, r.data_length as usize, "{what}");
                    assert!(len == 0 || off == usize::from(r.data_offset), "{what}");
                }
                let n = emit_response(&h, &rsp, pdu, &mut buf);
                let key = (h.command, m.dir);
                if check_reencoding(&what, key, pdu, &buf[..n], last, nranges > 1, counts) {
                    let (h2, rsp2) = decode_response(&buf[..n]).unwrap();
                    assert_eq!(rsp2, rsp, "{what}: re-encoding decodes differently");
                    assert_eq!(h2, h, "{what}");
                }
                track_response(c, &h, &rsp, pdu, conn, counts);
            }
        }
        if h.flags & flags::SIGNED != 0 {
            counts.signed += 1;
            let keys = conn
                .sessions
                .get(&h.session_id)
                .unwrap_or_else(|| panic!("{what}: signed for unknown session {:x}", h.session_id));
            let alg = dialect_signing(conn.dialect, conn.signing);
            verify(&HostCrypto, alg, &keys.signing_key, pdu, &[0u8; 0][..])
                .unwrap_or_else(|e| panic!("{what}: signature ({alg:?}): {e:?}"));
            counts.verified += 1;
        }
    }
}

fn track_request(h: &Header, req: &Request<'_>, pdu: &[u8], conn: &mut Conn) {
    match req {
        Request::Negotiate(_) => {
            conn.preauth = PreauthHash::new();
            conn.preauth.update(&HostCrypto, pdu);
        }
        Request::SessionSetup(s) => {
            if h.session_id == 0 || conn.setup.is_none() {
                conn.setup = Some(Setup {
                    preauth: conn.preauth.begin_session(),
                    negotiate: None,
                    challenge: None,
                    authenticate: None,
                });
            }
            let setup = conn.setup.as_mut().unwrap();
            setup.preauth.update(&HostCrypto, pdu);
            if let Some(t) = find_token(s.security_buffer, 1) {
                setup.negotiate = Some(t.to_vec());
            }
            if let Some(t) = find_token(s.security_buffer, 3) {
                setup.authenticate = Some(t.to_vec());
            }
        }
        _ => {}
    }
}

fn track_response(
    c: &Capture,
    h: &Header,
    rsp: &Response<'_>,
    pdu: &[u8],
    conn: &mut Conn,
    counts: &mut Counts,
) {
    match rsp {
        Response::Negotiate(n) => {
            conn.dialect = n.dialect_revision;
            conn.preauth.update(&HostCrypto, pdu);
            for ctx in n.contexts.iter() {
                match ctx.unwrap() {
                    NegotiateContext::Encryption { ciphers } => {
                        conn.cipher = Some(Cipher::from_id(ciphers.get(0).unwrap()).unwrap());
                    }
                    NegotiateContext::Signing { algorithms } => {
                        conn.signing =
                            Some(SigningAlgorithm::from_id(algorithms.get(0).unwrap()).unwrap());
                    }
                    _ => {}
                }
            }
        }
        Response::SessionSetup(s) => {
            let setup = conn
                .setup
                .as_mut()
                .expect("a SESSION_SETUP request came first");
            if h.nt_status() == NtStatus::Success {
                let setup = setup.clone();
                let exported = exported_session_key(c, &setup, counts);
                let schedule = match conn.dialect {
                    0x0202 | 0x0210 => KeySchedule::Smb2,
                    0x0300 | 0x0302 => KeySchedule::Smb30,
                    0x0311 => KeySchedule::Smb311 {
                        preauth_hash: setup.preauth.value(),
                    },
                    d => panic!("{}: dialect {d:#x}", c.name),
                };
                let cipher = match conn.dialect {
                    0x0300 | 0x0302 => Some(Cipher::Aes128Ccm),
                    0x0311 => conn.cipher,
                    _ => None,
                };
                let keys = derive_session_keys(&HostCrypto, schedule, &exported, cipher).unwrap();
                conn.sessions.insert(h.session_id, keys);
                conn.setup = None;
                counts.sessions += 1;
            } else {
                setup.preauth.update(&HostCrypto, pdu);
                if let Some(t) = find_token(s.security_buffer, 2) {
                    setup.challenge = Some(t.to_vec());
                }
            }
        }
        _ => {}
    }
}

fn transform_message(c: &Capture, m: &Msg, conn: &mut Conn, counts: &mut Counts) {
    let what = format!("{}/{}", c.name, m.file);
    counts.transforms += 1;
    let th = TransformHeader::parse(&m.bytes).unwrap_or_else(|e| panic!("{what}: {e:?}"));
    let keys = conn
        .sessions
        .get(&th.session_id)
        .unwrap_or_else(|| panic!("{what}: encrypted for unknown session {:x}", th.session_id));
    // The client encrypts with its EncryptionKey (client to server) and
    // decrypts with its DecryptionKey (server to client).
    let key = match m.dir {
        Dir::C2s => keys.encryption_key,
        Dir::S2c => keys.decryption_key,
    }
    .unwrap_or_else(|| panic!("{what}: no cipher negotiated"));
    let mut plain = m.bytes[TRANSFORM_HEADER_LEN..].to_vec();
    decrypt_in_place(
        &HostCrypto,
        key.cipher(),
        key.as_bytes(),
        th.session_id,
        &m.bytes[..TRANSFORM_HEADER_LEN],
        &mut plain[..],
    )
    .unwrap_or_else(|e| panic!("{what}: decrypt ({:?}): {e:?}", key.cipher()));
    counts.decrypted += 1;
    plain_message(c, m, &plain, conn, counts, " (decrypted)");
}

fn run_capture(c: &Capture) -> Counts {
    let mut counts = Counts::default();
    let mut conns: HashMap<u32, Conn> = HashMap::new();
    for m in &c.msgs {
        counts.messages += 1;
        let conn = conns.entry(m.conn).or_default();
        match message_kind(&m.bytes) {
            Ok(MessageKind::Smb2) => plain_message(c, m, &m.bytes, conn, &mut counts, ""),
            Ok(MessageKind::Transform) => transform_message(c, m, conn, &mut counts),
            other => panic!("{}/{}: {other:?}", c.name, m.file),
        }
    }
    counts
}

#[test]
fn ksmbd_captures_decode_reencode_and_verify() {
    let mut report = String::new();
    let mut all_failures: Vec<String> = Vec::new();
    for name in CAPTURES {
        let c = load(name);
        let n = run_capture(&c);
        all_failures.extend(n.failures.iter().cloned());
        // Every capture: a whole mount, session and file operations.
        assert!(n.sessions >= 1, "{name}: no session was set up");
        assert!(n.ntlm_proofs >= 1, "{name}: NTLM not checked");
        assert!(
            n.requests >= 20 && n.responses >= 20,
            "{name}: too few PDUs: {n:?}"
        );
        for cmd in [
            Command::Negotiate,
            Command::SessionSetup,
            Command::TreeConnect,
            Command::Create,
            Command::Close,
            Command::Read,
            Command::Write,
            Command::QueryDirectory,
            Command::QueryInfo,
            Command::SetInfo,
        ] {
            assert!(
                n.commands.get(&(cmd, true)).copied().unwrap_or(0) > 0,
                "{name}: no {cmd:?} response"
            );
        }
        // SMB 3.x signs at least the final SESSION_SETUP response (3.1.1)
        // or the VALIDATE_NEGOTIATE_INFO exchange (3.0, 3.0.2) even
        // without `sign`; 2.1 signs nothing unless asked.
        if c.sign || name.starts_with("smb3") {
            assert!(n.signed >= 1, "{name}: nothing signed");
        }
        let has = |cmd: Command, rsp: bool| n.commands.get(&(cmd, rsp)).copied().unwrap_or(0) > 0;
        if name.starts_with("smb3.0") {
            // FSCTL_VALIDATE_NEGOTIATE_INFO.
            assert!(has(Command::Ioctl, true), "{name}: no IOCTL");
        }
        if *name == "smb3.1.1" {
            assert!(has(Command::OplockBreak, true), "{name}: no oplock break");
            assert!(
                has(Command::OplockBreak, false),
                "{name}: no oplock break ack"
            );
            assert!(has(Command::Lock, true), "{name}: no LOCK");
        }
        assert_eq!(n.signed, n.verified, "{name}");
        if c.sign {
            // With `sign`, everything after SESSION_SETUP is signed.
            assert!(
                n.signed * 2 > n.pdus,
                "{name}: only {} of {} PDUs signed",
                n.signed,
                n.pdus
            );
        }
        if c.seal {
            assert!(
                n.decrypted >= 10,
                "{name}: only {} messages decrypted",
                n.decrypted
            );
        }
        assert_eq!(n.transforms, n.decrypted, "{name}");
        let mut seen: Vec<String> = n
            .commands
            .iter()
            .map(|((cmd, rsp), k)| format!("{cmd:?}{} {k}", if *rsp { "<" } else { ">" }))
            .collect();
        seen.sort();
        report.push_str(&format!("{name} commands: {}\n", seen.join(", ")));
        report.push_str(&format!(
            "{name}: {} messages, {} PDUs ({} requests, {} responses, {} compounds), \
             {} byte-exact, {} exact but for the sync Reserved field, masked {:?}, \
             {} signed and verified, {} decrypted, \
             {} sessions ({} NTProofStr, {} MIC)\n",
            n.messages,
            n.pdus,
            n.requests,
            n.responses,
            n.compounds,
            n.byte_exact,
            n.exact_but_reserved,
            n.masked,
            n.verified,
            n.decrypted,
            n.sessions,
            n.ntlm_proofs,
            n.mics
        ));
    }
    println!("{report}");
    assert!(
        all_failures.is_empty(),
        "{} PDUs do not re-encode:\n{}",
        all_failures.len(),
        all_failures.join("\n")
    );
}

#[test]
fn no_unexpected_vector_directories() {
    // A capture added by capture.sh must also be listed in CAPTURES.
    for e in fs::read_dir(vectors_dir()).unwrap() {
        let e = e.unwrap();
        if e.path().is_dir() {
            let name = e.file_name().to_string_lossy().to_string();
            assert!(
                CAPTURES.contains(&name.as_str()),
                "{name} is not in CAPTURES"
            );
        }
    }
}
