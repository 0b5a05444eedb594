// SPDX-License-Identifier: GPL-2.0
//! No decoder panics, whatever the bytes: random byte vectors, random
//! bodies behind valid SMB2 headers, and mutations of valid encodings.
#![allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::panic,
    clippy::cast_possible_truncation,
    missing_docs
)]

use proptest::prelude::*;
use smbproto::proto::close::*;
use smbproto::proto::compound::{CompoundBuilder, CompoundIter, CompoundRanges};
use smbproto::proto::create::*;
use smbproto::proto::create_ctx::*;
use smbproto::proto::dispatch::{decode_request, decode_response, decode_response_any};
use smbproto::proto::echo::*;
use smbproto::proto::error_resp::*;
use smbproto::proto::fast_path::peek_header;
use smbproto::proto::file_io::*;
use smbproto::proto::framing::{decode_frame_length, message_kind};
use smbproto::proto::header::{flags, Command, Header, HeaderTarget};
use smbproto::proto::info::*;
use smbproto::proto::info_class::*;
use smbproto::proto::ioctl::*;
use smbproto::proto::lock::*;
use smbproto::proto::message::{encode, FileId, Message, U16List, WireList};
use smbproto::proto::negotiate::*;
use smbproto::proto::negotiate_ctx::*;
use smbproto::proto::oplock::*;
use smbproto::proto::query_dir::*;
use smbproto::proto::session::*;
use smbproto::proto::transform::{transform_aad, transform_payload, TransformHeader};
use smbproto::proto::tree::*;

/// Runs every decoder over `b` (a PDU or message) and walks everything they
/// return. Only panics matter here.
fn decode_everything(b: &[u8]) {
    let _ = decode_response_any(b);
    let _ = decode_response(b);
    let _ = decode_request(b);
    let _ = peek_header(b);
    let _ = decode_frame_length(b);
    let _ = message_kind(b);
    let _ = Header::parse(b);
    let _ = TransformHeader::parse(b);
    let _ = transform_aad(b);
    let _ = transform_payload(b);
    let _ = read_response_data_span(b, b.len());
    CompoundIter::new(b).for_each(drop);
    CompoundRanges::new(b).for_each(drop);

    if let Ok(m) = NegotiateRequest::parse(b) {
        m.contexts.iter().for_each(drop);
    }
    if let Ok(m) = NegotiateResponse::parse(b) {
        m.contexts.iter().for_each(drop);
    }
    if let Ok(m) = CreateRequest::parse(b) {
        m.contexts.iter().for_each(drop);
    }
    if let Ok(m) = CreateResponse::parse(b) {
        m.contexts.iter().for_each(drop);
    }
    if let Ok(e) = ErrorResponse::parse_pdu(b) {
        e.contexts().for_each(drop);
    }
    if let Ok(r) = ReadResponse::parse(b) {
        let _ = r.payload(b);
    }
    if let Ok(w) = WriteRequest::parse(b) {
        let _ = w.payload(b);
    }
    if let Ok(l) = LockRequest::parse(b) {
        l.locks.iter().for_each(drop);
    }
    let _ = SessionSetupRequest::parse(b);
    let _ = SessionSetupResponse::parse(b);
    let _ = TreeConnectRequest::parse(b);
    let _ = TreeConnectResponse::parse(b);
    let _ = CloseRequest::parse(b);
    let _ = CloseResponse::parse(b);
    let _ = FlushRequest::parse(b);
    let _ = ReadRequest::parse(b);
    let _ = WriteResponse::parse(b);
    let _ = IoctlRequest::parse(b);
    let _ = IoctlResponse::parse(b);
    let _ = QueryDirectoryRequest::parse(b);
    let _ = QueryInfoRequest::parse(b);
    let _ = QueryInfoResponse::parse(b);
    let _ = SetInfoRequest::parse(b);
    let _ = BreakMessage::parse(b);
    let _ = OplockBreakAck::parse(b);
    let _ = LeaseBreakAck::parse(b);
    let _ = EchoRequest::parse(b);
    if let Ok(q) = QueryDirectoryResponse::parse(b) {
        q.entries::<FileIdBothDirectoryInformation<'_>>()
            .for_each(drop);
        q.entries::<FileIdFullDirectoryInformation<'_>>()
            .for_each(drop);
    }
    decode_payloads(b);
    // The same bytes as bare lists and payloads.
    NegotiateContextIter::new(b, u16::MAX).for_each(drop);
    CreateContextIter::new(b, false).for_each(drop);
    CreateContextIter::new(b, true).for_each(drop);
    DirEntryIter::<FileIdBothDirectoryInformation<'_>>::new(b).for_each(drop);
    DirEntryIter::<FileIdFullDirectoryInformation<'_>>::new(b).for_each(drop);
}

fn decode_payloads(b: &[u8]) {
    let _ = FileAllInformation::parse(b);
    let _ = FileBasicInformation::parse(b);
    let _ = FileStandardInformation::parse(b);
    let _ = FileEndOfFileInformation::parse(b);
    let _ = FileRenameInformation::parse(b);
    let _ = FileDispositionInformation::parse(b);
    let _ = FileFsFullSizeInformation::parse(b);
    let _ = FileFsAttributeInformation::parse(b);
    let _ = FileFsVolumeInformation::parse(b);
    if let Ok(v) = ValidateNegotiateInfoRequest::parse(b) {
        v.dialects.iter().for_each(drop);
    }
    let _ = ValidateNegotiateInfoResponse::parse(b);
    let _ = ResumeKeyResponse::parse(b);
    if let Ok(c) = CopyChunkRequest::parse(b) {
        c.chunks.iter().for_each(drop);
    }
    let _ = CopyChunkResponse::parse(b);
}

/// One valid encoding of every message kind, plus a compound chain.
fn corpus() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut push = |h: Header, f: &dyn Fn(&mut [u8]) -> usize| {
        let mut b = vec![0u8; 4096];
        h.emit(&mut b).unwrap();
        let n = f(&mut b);
        b.truncate(n);
        out.push(b);
    };
    let rsp = |cmd: Command| {
        let mut h = Header::request(cmd);
        h.flags = flags::SERVER_TO_REDIR;
        h
    };
    let req = Header::request;
    let fid = FileId {
        persistent: 1,
        volatile: 2,
    };
    let neg_ctxs = [
        NegotiateContext::PreauthIntegrity {
            hash_algorithms: U16List::Values(&[1]),
            salt: &[7; 32],
        },
        NegotiateContext::Encryption {
            ciphers: U16List::Values(&[2, 1, 4, 3]),
        },
        NegotiateContext::Signing {
            algorithms: U16List::Values(&[1, 0]),
        },
        NegotiateContext::Other {
            context_type: 5,
            data: b"srv",
        },
    ];
    push(req(Command::Negotiate), &|b| {
        NegotiateRequest {
            security_mode: 1,
            capabilities: 0x7F,
            client_guid: [1; 16],
            dialects: U16List::Values(&[0x0210, 0x0300, 0x0311]),
            contexts: NegotiateContexts::List(&neg_ctxs),
        }
        .emit(b)
        .unwrap()
    });
    push(rsp(Command::Negotiate), &|b| {
        NegotiateResponse {
            security_mode: 1,
            dialect_revision: 0x0311,
            server_guid: [2; 16],
            capabilities: 0x2F,
            max_transact_size: 1 << 20,
            max_read_size: 1 << 20,
            max_write_size: 1 << 20,
            system_time: 1,
            server_start_time: 0,
            security_buffer: &[0x60; 20],
            contexts: NegotiateContexts::List(&neg_ctxs[..3]),
        }
        .emit(b)
        .unwrap()
    });
    push(req(Command::SessionSetup), &|b| {
        SessionSetupRequest {
            flags: 0,
            security_mode: 1,
            capabilities: 0,
            channel: 0,
            previous_session_id: 0,
            security_buffer: b"NTLMSSP\0\x01\0\0\0",
        }
        .emit(b)
        .unwrap()
    });
    push(rsp(Command::SessionSetup), &|b| {
        SessionSetupResponse {
            session_flags: 0,
            security_buffer: b"NTLMSSP\0\x02",
        }
        .emit(b)
        .unwrap()
    });
    push(req(Command::TreeConnect), &|b| {
        TreeConnectRequest {
            flags: 0,
            path: &[b'\\', 0, b'\\', 0, b's', 0],
        }
        .emit(b)
        .unwrap()
    });
    push(rsp(Command::TreeConnect), &|b| {
        TreeConnectResponse {
            share_type: 1,
            share_flags: 0,
            capabilities: 0,
            maximal_access: 0x1F01FF,
        }
        .emit(b)
        .unwrap()
    });
    let req_ctxs = [
        CreateContext::LeaseV2(LeaseV2 {
            lease_key: [3; 16],
            lease_state: 7,
            ..Default::default()
        }),
        CreateContext::DurableV2Request(DurableV2Request {
            timeout: 0,
            flags: 0,
            create_guid: [4; 16],
        }),
        CreateContext::DurableV2Reconnect(DurableV2Reconnect {
            file_id: fid,
            create_guid: [4; 16],
            flags: 0,
        }),
        CreateContext::QueryOnDiskId,
        CreateContext::MaximalAccessRequest { timestamp: Some(5) },
    ];
    push(req(Command::Create), &|b| {
        CreateRequest {
            security_flags: 0,
            requested_oplock_level: 0xFF,
            impersonation_level: 2,
            smb_create_flags: 0,
            desired_access: 0x80,
            file_attributes: 0,
            share_access: 7,
            create_disposition: 1,
            create_options: 0,
            name: &[b'a', 0],
            contexts: CreateContexts::List(&req_ctxs),
        }
        .emit(b)
        .unwrap()
    });
    let rsp_ctxs = [
        CreateContext::LeaseV2(LeaseV2 {
            lease_key: [3; 16],
            lease_state: 1,
            ..Default::default()
        }),
        CreateContext::DurableV2Response(DurableV2Response {
            timeout: 1,
            flags: 0,
        }),
        CreateContext::OnDiskId(OnDiskId {
            disk_file_id: [5; 16],
            volume_id: 6,
        }),
        CreateContext::MaximalAccessResponse(MaximalAccessResponse {
            query_status: 0,
            maximal_access: 0x1F01FF,
        }),
    ];
    push(rsp(Command::Create), &|b| {
        CreateResponse {
            oplock_level: 0xFF,
            flags: 0,
            create_action: 1,
            creation_time: 1,
            last_access_time: 2,
            last_write_time: 3,
            change_time: 4,
            allocation_size: 5,
            end_of_file: 6,
            file_attributes: 0x20,
            file_id: fid,
            contexts: CreateContexts::List(&rsp_ctxs),
        }
        .emit(b)
        .unwrap()
    });
    push(req(Command::Close), &|b| {
        CloseRequest {
            flags: 1,
            file_id: fid,
        }
        .emit(b)
        .unwrap()
    });
    push(rsp(Command::Close), &|b| {
        CloseResponse {
            flags: 1,
            ..Default::default()
        }
        .emit(b)
        .unwrap()
    });
    push(req(Command::Read), &|b| {
        ReadRequest {
            padding: 0x50,
            flags: 0,
            length: 4096,
            offset: 0,
            file_id: fid,
            minimum_count: 0,
            channel: 0,
            remaining_bytes: 0,
        }
        .emit(b)
        .unwrap()
    });
    push(rsp(Command::Read), &|b| {
        ReadResponse {
            data_offset: 0x50,
            data_length: 16,
            data_remaining: 0,
            flags: 0,
        }
        .emit_with_payload(&[9; 16], b)
        .unwrap()
    });
    push(req(Command::Write), &|b| {
        WriteRequest {
            data_offset: 0x70,
            length: 8,
            offset: 0,
            file_id: fid,
            channel: 0,
            remaining_bytes: 0,
            flags: 0,
        }
        .emit_with_payload(&[8; 8], b)
        .unwrap()
    });
    push(rsp(Command::Write), &|b| {
        WriteResponse {
            count: 8,
            remaining: 0,
        }
        .emit(b)
        .unwrap()
    });
    push(req(Command::Lock), &|b| {
        LockRequest {
            lock_sequence: 0,
            file_id: fid,
            locks: WireList::Values(&[
                LockElement {
                    offset: 0,
                    length: 1,
                    flags: 2,
                },
                LockElement {
                    offset: 9,
                    length: 1,
                    flags: 4,
                },
            ]),
        }
        .emit(b)
        .unwrap()
    });
    let mut vni = [0u8; 64];
    let vn = ValidateNegotiateInfoRequest {
        capabilities: 0x44,
        guid: [1; 16],
        security_mode: 1,
        dialects: U16List::Values(&[0x0300, 0x0302]),
    }
    .emit(&mut vni)
    .unwrap();
    push(req(Command::Ioctl), &|b| {
        IoctlRequest {
            ctl_code: ctl_code::FSCTL_VALIDATE_NEGOTIATE_INFO,
            file_id: FileId::COMPOUND,
            input: &vni[..vn],
            max_input_response: 0,
            output: &[],
            max_output_response: 24,
            flags: 1,
        }
        .emit(b)
        .unwrap()
    });
    let mut cc = [0u8; 128];
    let cn = CopyChunkRequest {
        source_key: [1; 24],
        chunks: WireList::Values(&[CopyChunk {
            source_offset: 0,
            target_offset: 0,
            length: 10,
        }]),
    }
    .emit(&mut cc)
    .unwrap();
    push(req(Command::Ioctl), &|b| {
        IoctlRequest {
            ctl_code: ctl_code::FSCTL_SRV_COPYCHUNK_WRITE,
            file_id: fid,
            input: &cc[..cn],
            max_input_response: 0,
            output: &[],
            max_output_response: 12,
            flags: 1,
        }
        .emit(b)
        .unwrap()
    });
    let mut rk = [0u8; 64];
    let rn = ResumeKeyResponse {
        resume_key: [2; 24],
        context: &[1, 2, 3, 4],
    }
    .emit(&mut rk)
    .unwrap();
    push(rsp(Command::Ioctl), &|b| {
        IoctlResponse {
            ctl_code: ctl_code::FSCTL_SRV_REQUEST_RESUME_KEY,
            file_id: fid,
            input: &[],
            output: &rk[..rn],
            flags: 0,
        }
        .emit(b)
        .unwrap()
    });
    let mut dir = [0u8; 512];
    let mut w = DirEntryWriter::new(&mut dir);
    w.push(&FileIdBothDirectoryInformation {
        file_index: 0,
        times: DirTimes::default(),
        ea_size: 0,
        short_name: &[b'A', 0],
        file_id: 1,
        file_name: &[b'.', 0],
    })
    .unwrap();
    w.push(&FileIdBothDirectoryInformation {
        file_index: 0,
        times: DirTimes::default(),
        ea_size: 0,
        short_name: &[],
        file_id: 2,
        file_name: &[b'x', 0, b'y', 0],
    })
    .unwrap();
    let dn = w.finish();
    push(req(Command::QueryDirectory), &|b| {
        QueryDirectoryRequest {
            file_information_class: 0x25,
            flags: 1,
            file_index: 0,
            file_id: fid,
            output_buffer_length: 65536,
            pattern: &[b'*', 0],
        }
        .emit(b)
        .unwrap()
    });
    push(rsp(Command::QueryDirectory), &|b| {
        QueryDirectoryResponse { output: &dir[..dn] }
            .emit(b)
            .unwrap()
    });
    let mut all = [0u8; 256];
    let an = FileAllInformation {
        file_name: &[b'f', 0],
        ..Default::default()
    }
    .emit(&mut all)
    .unwrap();
    push(req(Command::QueryInfo), &|b| {
        QueryInfoRequest {
            info_type: 1,
            file_info_class: 18,
            output_buffer_length: 4096,
            input: &[],
            additional_information: 0,
            flags: 0,
            file_id: fid,
        }
        .emit(b)
        .unwrap()
    });
    push(rsp(Command::QueryInfo), &|b| {
        QueryInfoResponse { output: &all[..an] }.emit(b).unwrap()
    });
    let mut ren = [0u8; 64];
    let rn2 = FileRenameInformation {
        replace_if_exists: true,
        root_directory: 0,
        file_name: &[b'n', 0],
    }
    .emit(&mut ren)
    .unwrap();
    push(req(Command::SetInfo), &|b| {
        SetInfoRequest {
            info_type: 1,
            file_info_class: 10,
            buffer: &ren[..rn2],
            additional_information: 0,
            file_id: fid,
        }
        .emit(b)
        .unwrap()
    });
    push(rsp(Command::SetInfo), &|b| SetInfoResponse.emit(b).unwrap());
    push(rsp(Command::OplockBreak), &|b| {
        LeaseBreakNotification {
            new_epoch: 1,
            flags: 1,
            lease_key: [3; 16],
            current_lease_state: 7,
            new_lease_state: 1,
            ..Default::default()
        }
        .emit(b)
        .unwrap()
    });
    push(req(Command::OplockBreak), &|b| {
        LeaseBreakAck(LeaseBreakFields {
            flags: 0,
            lease_key: [3; 16],
            lease_state: 1,
            lease_duration: 0,
        })
        .emit(b)
        .unwrap()
    });
    push(rsp(Command::OplockBreak), &|b| {
        OplockBreak {
            oplock_level: 0,
            file_id: fid,
        }
        .emit(b)
        .unwrap()
    });
    let mut ed = [0u8; 64];
    let en = emit_error_contexts(
        &[
            ErrorContext {
                error_id: 0,
                data: &[1, 2, 3],
            },
            ErrorContext {
                error_id: 1,
                data: &[4],
            },
        ],
        &mut ed,
    )
    .unwrap();
    let mut eh = rsp(Command::Create);
    eh.status = 0xC000_0034;
    push(eh, &|b| {
        ErrorResponse {
            error_context_count: 2,
            error_data: &ed[..en],
        }
        .emit_pdu(b)
        .unwrap()
    });
    let mut ih = rsp(Command::Read);
    ih.status = 0x103;
    ih.target = HeaderTarget::Async { async_id: 9 };
    push(ih, &|b| {
        ErrorResponse {
            error_context_count: 0,
            error_data: &[],
        }
        .emit_pdu(b)
        .unwrap()
    });
    // A compound chain of three responses.
    let parts: Vec<Vec<u8>> = out
        .iter()
        .filter(|p| Header::parse(p).map(|h| h.is_response()).unwrap_or(false))
        .take(3)
        .cloned()
        .collect();
    let mut chain = vec![0u8; 8192];
    let mut cb = CompoundBuilder::new(&mut chain, true);
    for p in &parts {
        cb.push(p).unwrap();
    }
    let n = cb.finish().unwrap();
    chain.truncate(n);
    out.push(chain);
    // A transform header with its payload.
    let mut t = vec![0u8; 52 + 40];
    TransformHeader {
        signature: [0; 16],
        nonce: [1; 16],
        original_message_size: 40,
        flags: 1,
        session_id: 5,
    }
    .emit(&mut t)
    .unwrap();
    out.push(t);
    out
}

#[test]
fn corpus_is_valid() {
    let c = corpus();
    assert!(c.len() > 30);
    for p in &c {
        let h = Header::parse(p);
        match h {
            Ok(h) if h.is_response() => assert!(
                decode_response_any(p).is_ok(),
                "{:?} {:?}",
                h.command,
                decode_response_any(p)
            ),
            Ok(h) => assert!(
                decode_request(p).is_ok(),
                "{:?} {:?}",
                h.command,
                decode_request(p)
            ),
            Err(_) => assert_eq!(decode_response_any(p), Ok(0)),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..600)) {
        decode_everything(&b);
    }

    #[test]
    fn random_bodies_behind_valid_headers(cmd in 0u16..0x14, response in any::<bool>(), status in prop_oneof![Just(0u32), Just(0x103), Just(0xC000_0016), Just(0x8000_0005), Just(0xC000_000D), any::<u32>()],
                                          next in prop_oneof![Just(0u32), any::<u32>()], body in proptest::collection::vec(any::<u8>(), 0..400), ss in any::<u16>()) {
        let mut h = Header::request(Command::from_u16(cmd).unwrap());
        if response { h.flags |= flags::SERVER_TO_REDIR; }
        h.status = status;
        h.next_command = next;
        let mut b = vec![0u8; 64];
        h.emit(&mut b).unwrap();
        b.extend_from_slice(&ss.to_le_bytes());
        b.extend_from_slice(&body);
        decode_everything(&b);
    }

    #[test]
    fn mutated_valid_encodings_never_panic(idx in any::<usize>(), muts in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8), cut in any::<usize>(), truncate in any::<bool>()) {
        let c = corpus();
        let mut b = c[idx % c.len()].clone();
        for (pos, v) in muts {
            let p = pos % b.len();
            b[p] = v;
        }
        if truncate {
            b.truncate(cut % (b.len() + 1));
        }
        decode_everything(&b);
    }

    #[test]
    fn mutated_length_fields_never_panic(idx in any::<usize>(), pos in any::<usize>(), v in prop_oneof![Just(u32::MAX), Just(0xFFFF_FFF8), Just(0x8000_0000), Just(0), Just(1), Just(7), any::<u32>()]) {
        // Overwrite any aligned 4-byte field with extreme values.
        let c = corpus();
        let mut b = c[idx % c.len()].clone();
        if b.len() >= 4 {
            let p = (pos % (b.len() - 3)) & !1;
            b[p..p + 4].copy_from_slice(&v.to_le_bytes());
            decode_everything(&b);
            let p2 = p & !3;
            if p2 + 2 <= b.len() {
                b[p2..p2 + 2].copy_from_slice(&(v as u16).to_le_bytes());
                decode_everything(&b);
            }
        }
    }
}

#[test]
fn every_prefix_of_the_corpus_is_handled() {
    for p in corpus() {
        for n in 0..p.len() {
            decode_everything(&p[..n]);
        }
    }
}

#[test]
fn specific_bad_inputs() {
    use smbproto::proto::Error;
    // NextCommand 0xFFFFFFFF: not 8-aligned.
    let mut b = vec![0u8; 256];
    let mut h = Header::request(Command::Echo);
    h.flags = flags::SERVER_TO_REDIR;
    h.next_command = u32::MAX;
    encode(&h, &EchoResponse, &mut b).unwrap();
    assert_eq!(decode_response_any(&b), Err(Error::Misaligned));
    // NextCommand 0xFFFFFFF8: aligned but far outside.
    b[20..24].copy_from_slice(&0xFFFF_FFF8u32.to_le_bytes());
    assert_eq!(decode_response_any(&b), Err(Error::OutOfBounds));
    // NextCommand 0x40 cuts the first PDU to its bare header.
    b[20..24].copy_from_slice(&64u32.to_le_bytes());
    assert_eq!(decode_response_any(&b), Err(Error::Truncated));
    // NextCommand 0x48: the first PDU is whole, the rest is not an SMB2 header.
    b[20..24].copy_from_slice(&72u32.to_le_bytes());
    assert_eq!(decode_response_any(&b), Err(Error::Malformed));
    // A 3-byte message.
    assert_eq!(
        decode_response_any(&[0xFE, b'S', b'M']),
        Err(Error::Truncated)
    );
    // A transform header whose OriginalMessageSize is 0xFFFFFFFF.
    let mut t = vec![0u8; 60];
    TransformHeader {
        signature: [0; 16],
        nonce: [0; 16],
        original_message_size: u32::MAX,
        flags: 1,
        session_id: 1,
    }
    .emit(&mut t)
    .unwrap();
    assert_eq!(decode_response_any(&t), Err(Error::Truncated));
}
