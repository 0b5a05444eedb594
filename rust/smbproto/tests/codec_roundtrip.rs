// SPDX-License-Identifier: GPL-2.0
//! Round-trip property tests for every SMB2 message, context, entry and
//! information class of the codec: `parse(emit(x)) == x`, and every
//! encoded response/request also goes through the dispatchers.
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
use smbproto::proto::compound::{CompoundBuilder, CompoundIter};
use smbproto::proto::create::*;
use smbproto::proto::create_ctx::*;
use smbproto::proto::dispatch::{decode_request, decode_response, decode_response_any};
use smbproto::proto::echo::*;
use smbproto::proto::error_resp::*;
use smbproto::proto::fast_path::{peek_header, PduPeek};
use smbproto::proto::file_io::*;
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
use smbproto::proto::transform::TransformHeader;
use smbproto::proto::tree::*;

fn file_id() -> impl Strategy<Value = FileId> {
    (any::<u64>(), any::<u64>()).prop_map(|(persistent, volatile)| FileId {
        persistent,
        volatile,
    })
}

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..max)
}

fn nonempty(max: usize) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 1..max)
}

/// Encodes `msg` with a header for its command, parses it back, checks
/// equality and runs the PDU through the matching dispatcher.
fn round_trip<'a, M>(msg: &M, buf: &'a mut Vec<u8>) -> Result<M, TestCaseError>
where
    M: Message<'a> + PartialEq + core::fmt::Debug,
{
    let mut h = Header::request(M::COMMAND);
    h.message_id = 42;
    let n = encode(&h, msg, buf).unwrap();
    buf.truncate(n);
    let buf: &'a [u8] = buf;
    let parsed = M::parse(buf).unwrap();
    prop_assert_eq!(&parsed, msg);
    if M::IS_RESPONSE {
        prop_assert!(decode_response(buf).is_ok(), "{:?}", decode_response(buf));
        prop_assert_eq!(decode_response_any(buf), Ok(1));
    } else {
        prop_assert!(decode_request(buf).is_ok(), "{:?}", decode_request(buf));
    }
    match peek_header(buf).unwrap() {
        PduPeek::Smb2(s) => {
            prop_assert_eq!(s.message_id, 42);
            prop_assert_eq!(s.command, M::COMMAND.to_u16());
        }
        PduPeek::Transform(_) => prop_assert!(false),
    }
    Ok(parsed)
}

fn buf() -> Vec<u8> {
    vec![0xA5; 1 << 17]
}

// ---- negotiate contexts -------------------------------------------------

#[derive(Debug, Clone)]
enum NegCtxSpec {
    Preauth(Vec<u16>, Vec<u8>),
    Encryption(Vec<u16>),
    Signing(Vec<u16>),
    Other(u16, Vec<u8>),
}

fn neg_ctx_spec() -> impl Strategy<Value = NegCtxSpec> {
    let list = || proptest::collection::vec(any::<u16>(), 1..6);
    prop_oneof![
        (list(), bytes(64)).prop_map(|(a, s)| NegCtxSpec::Preauth(a, s)),
        list().prop_map(NegCtxSpec::Encryption),
        list().prop_map(NegCtxSpec::Signing),
        (
            any::<u16>().prop_filter("known", |t| ![1, 2, 8].contains(t)),
            bytes(40)
        )
            .prop_map(|(t, d)| NegCtxSpec::Other(t, d)),
    ]
}

fn neg_ctxs(specs: &[NegCtxSpec]) -> Vec<NegotiateContext<'_>> {
    specs
        .iter()
        .map(|s| match s {
            NegCtxSpec::Preauth(a, salt) => NegotiateContext::PreauthIntegrity {
                hash_algorithms: U16List::Values(a),
                salt,
            },
            NegCtxSpec::Encryption(c) => NegotiateContext::Encryption {
                ciphers: U16List::Values(c),
            },
            NegCtxSpec::Signing(c) => NegotiateContext::Signing {
                algorithms: U16List::Values(c),
            },
            NegCtxSpec::Other(t, d) => NegotiateContext::Other {
                context_type: *t,
                data: d,
            },
        })
        .collect()
}

// ---- create contexts ----------------------------------------------------

fn lease() -> impl Strategy<Value = LeaseV2> {
    (
        any::<[u8; 16]>(),
        any::<u32>(),
        any::<u32>(),
        any::<u64>(),
        any::<[u8; 16]>(),
        any::<u16>(),
    )
        .prop_map(
            |(lease_key, lease_state, lease_flags, lease_duration, parent_lease_key, epoch)| {
                LeaseV2 {
                    lease_key,
                    lease_state,
                    lease_flags,
                    lease_duration,
                    parent_lease_key,
                    epoch,
                }
            },
        )
}

#[derive(Debug, Clone)]
enum CreateCtxSpec {
    Known(CreateContext<'static>),
    Other(Vec<u8>, Vec<u8>),
}

fn other_ctx() -> impl Strategy<Value = CreateCtxSpec> {
    (nonempty(12), bytes(48))
        .prop_filter("known name", |(n, _)| {
            ![&b"RqLs"[..], b"DH2Q", b"DH2C", b"QFid", b"MxAc"].contains(&n.as_slice())
        })
        .prop_map(|(n, d)| CreateCtxSpec::Other(n, d))
}

fn request_ctx() -> impl Strategy<Value = CreateCtxSpec> {
    prop_oneof![
        lease().prop_map(|l| CreateCtxSpec::Known(CreateContext::LeaseV2(l))),
        (any::<u32>(), any::<u32>(), any::<[u8; 16]>()).prop_map(
            |(timeout, flags, create_guid)| {
                CreateCtxSpec::Known(CreateContext::DurableV2Request(DurableV2Request {
                    timeout,
                    flags,
                    create_guid,
                }))
            }
        ),
        (file_id(), any::<[u8; 16]>(), any::<u32>()).prop_map(|(file_id, create_guid, flags)| {
            CreateCtxSpec::Known(CreateContext::DurableV2Reconnect(DurableV2Reconnect {
                file_id,
                create_guid,
                flags,
            }))
        }),
        Just(CreateCtxSpec::Known(CreateContext::QueryOnDiskId)),
        proptest::option::of(any::<u64>()).prop_map(|timestamp| CreateCtxSpec::Known(
            CreateContext::MaximalAccessRequest { timestamp }
        )),
        other_ctx(),
    ]
}

fn response_ctx() -> impl Strategy<Value = CreateCtxSpec> {
    prop_oneof![
        lease().prop_map(|l| CreateCtxSpec::Known(CreateContext::LeaseV2(l))),
        (any::<u32>(), any::<u32>()).prop_map(|(timeout, flags)| {
            CreateCtxSpec::Known(CreateContext::DurableV2Response(DurableV2Response {
                timeout,
                flags,
            }))
        }),
        (any::<[u8; 16]>(), any::<u64>()).prop_map(|(disk_file_id, volume_id)| {
            CreateCtxSpec::Known(CreateContext::OnDiskId(OnDiskId {
                disk_file_id,
                volume_id,
            }))
        }),
        (any::<u32>(), any::<u32>()).prop_map(|(query_status, maximal_access)| {
            CreateCtxSpec::Known(CreateContext::MaximalAccessResponse(
                MaximalAccessResponse {
                    query_status,
                    maximal_access,
                },
            ))
        }),
        other_ctx(),
    ]
}

fn create_ctxs(specs: &[CreateCtxSpec]) -> Vec<CreateContext<'_>> {
    specs
        .iter()
        .map(|s| match s {
            CreateCtxSpec::Known(c) => *c,
            CreateCtxSpec::Other(n, d) => CreateContext::Other { name: n, data: d },
        })
        .collect()
}

fn header() -> impl Strategy<Value = Header> {
    (
        any::<u16>(),
        any::<u32>(),
        0u16..0x14,
        any::<u16>(),
        any::<u32>(),
        any::<u32>(),
        any::<u64>(),
        prop_oneof![
            any::<u32>().prop_map(|tree_id| HeaderTarget::Sync { tree_id }),
            any::<u64>().prop_map(|async_id| HeaderTarget::Async { async_id })
        ],
        any::<u64>(),
        any::<[u8; 16]>(),
    )
        .prop_map(
            |(cc, status, cmd, credits, fl, next, mid, target, sid, signature)| {
                let async_bit = if matches!(target, HeaderTarget::Async { .. }) {
                    flags::ASYNC_COMMAND
                } else {
                    0
                };
                Header {
                    credit_charge: cc,
                    status,
                    command: Command::from_u16(cmd).unwrap(),
                    credits,
                    flags: (fl & !flags::ASYNC_COMMAND) | async_bit,
                    next_command: next,
                    message_id: mid,
                    target,
                    session_id: sid,
                    signature,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn header_round_trip(h in header()) {
        let mut b = [0u8; 64];
        h.emit(&mut b).unwrap();
        prop_assert_eq!(Header::parse(&b).unwrap(), h);
        match peek_header(&b).unwrap() {
            PduPeek::Smb2(s) => {
                prop_assert_eq!(s.message_id, h.message_id);
                prop_assert_eq!(s.status, h.status);
                prop_assert_eq!(s.target, h.target);
                prop_assert_eq!(s.session_id, h.session_id);
                prop_assert_eq!(s.credit_response, h.credits);
                prop_assert_eq!(s.next_command, h.next_command);
                prop_assert_eq!(s.flags, h.flags);
            }
            PduPeek::Transform(_) => prop_assert!(false),
        }
    }

    #[test]
    fn transform_header_round_trip(sig in any::<[u8; 16]>(), nonce in any::<[u8; 16]>(), size in any::<u32>(), fl in any::<u16>(), sid in any::<u64>()) {
        let t = TransformHeader { signature: sig, nonce, original_message_size: size, flags: fl, session_id: sid };
        let mut b = [0u8; 52];
        t.emit(&mut b).unwrap();
        prop_assert_eq!(TransformHeader::parse(&b).unwrap(), t);
        prop_assert_eq!(peek_header(&b).unwrap(), PduPeek::Transform(smbproto::proto::fast_path::TransformSummary { session_id: sid, original_message_size: size }));
    }

    #[test]
    fn negotiate_request(sm in any::<u16>(), caps in any::<u32>(), guid in any::<[u8; 16]>(),
                         mut dialects in proptest::collection::vec(any::<u16>(), 1..8), with311 in any::<bool>(),
                         specs in proptest::collection::vec(neg_ctx_spec(), 0..6)) {
        if with311 { dialects.push(0x0311) } else { dialects.retain(|d| *d != 0x0311); if dialects.is_empty() { dialects.push(0x0202) } }
        let ctxs = neg_ctxs(&specs);
        let contexts = if with311 { NegotiateContexts::List(&ctxs) } else { NegotiateContexts::NONE };
        let m = NegotiateRequest { security_mode: sm, capabilities: caps, client_guid: guid, dialects: U16List::Values(&dialects), contexts };
        round_trip(&m, &mut buf())?;
    }

    #[test]
    fn negotiate_response(sm in any::<u16>(), is311 in any::<bool>(), d in any::<u16>(), guid in any::<[u8; 16]>(), caps in any::<u32>(),
                          sizes in any::<(u32, u32, u32)>(), times in any::<(u64, u64)>(), sec in bytes(200),
                          specs in proptest::collection::vec(neg_ctx_spec(), 0..6)) {
        let dialect = if is311 { 0x0311 } else if d == 0x0311 { 0x0300 } else { d };
        let ctxs = neg_ctxs(&specs);
        let contexts = if is311 { NegotiateContexts::List(&ctxs) } else { NegotiateContexts::NONE };
        let m = NegotiateResponse { security_mode: sm, dialect_revision: dialect, server_guid: guid, capabilities: caps,
            max_transact_size: sizes.0, max_read_size: sizes.1, max_write_size: sizes.2, system_time: times.0,
            server_start_time: times.1, security_buffer: &sec, contexts };
        round_trip(&m, &mut buf())?;
    }

    #[test]
    fn session_messages(fl in any::<u8>(), sm in any::<u8>(), caps in any::<u32>(), ch in any::<u32>(), prev in any::<u64>(), sec in bytes(300), sf in any::<u16>()) {
        round_trip(&SessionSetupRequest { flags: fl, security_mode: sm, capabilities: caps, channel: ch, previous_session_id: prev, security_buffer: &sec }, &mut buf())?;
        round_trip(&SessionSetupResponse { session_flags: sf, security_buffer: &sec }, &mut buf())?;
        round_trip(&LogoffRequest, &mut buf())?;
        round_trip(&LogoffResponse, &mut buf())?;
    }

    #[test]
    fn tree_messages(fl in any::<u16>(), path in bytes(200), st in any::<u8>(), sf in any::<u32>(), caps in any::<u32>(), ma in any::<u32>()) {
        round_trip(&TreeConnectRequest { flags: fl & !tree_connect_flags::EXTENSION_PRESENT, path: &path }, &mut buf())?;
        round_trip(&TreeConnectResponse { share_type: st, share_flags: sf, capabilities: caps, maximal_access: ma }, &mut buf())?;
        round_trip(&TreeDisconnectRequest, &mut buf())?;
        round_trip(&TreeDisconnectResponse, &mut buf())?;
    }

    #[test]
    fn create_request(f in any::<(u8, u8, u32, u64)>(), g in any::<(u32, u32, u32, u32, u32)>(), name in bytes(100),
                      specs in proptest::collection::vec(request_ctx(), 0..6)) {
        let ctxs = create_ctxs(&specs);
        let m = CreateRequest { security_flags: f.0, requested_oplock_level: f.1, impersonation_level: f.2, smb_create_flags: f.3,
            desired_access: g.0, file_attributes: g.1, share_access: g.2, create_disposition: g.3, create_options: g.4,
            name: &name, contexts: CreateContexts::List(&ctxs) };
        let mut b = buf();
        let p = round_trip(&m, &mut b)?;
        prop_assert_eq!(p.contexts.iter().count(), ctxs.len());
    }

    #[test]
    fn create_response(f in any::<(u8, u8, u32, u64, u64)>(), g in any::<(u64, u64, u64, u64, u32)>(), fid in file_id(),
                       specs in proptest::collection::vec(response_ctx(), 0..6)) {
        let ctxs = create_ctxs(&specs);
        let m = CreateResponse { oplock_level: f.0, flags: f.1, create_action: f.2, creation_time: f.3, last_access_time: f.4,
            last_write_time: g.0, change_time: g.1, allocation_size: g.2, end_of_file: g.3, file_attributes: g.4,
            file_id: fid, contexts: CreateContexts::List(&ctxs) };
        round_trip(&m, &mut buf())?;
    }

    #[test]
    fn close_and_flush(fl in any::<u16>(), fid in file_id(), t in any::<(u64, u64, u64, u64, u64, u64)>(), attrs in any::<u32>()) {
        round_trip(&CloseRequest { flags: fl, file_id: fid }, &mut buf())?;
        round_trip(&CloseResponse { flags: fl, creation_time: t.0, last_access_time: t.1, last_write_time: t.2, change_time: t.3,
            allocation_size: t.4, end_of_file: t.5, file_attributes: attrs }, &mut buf())?;
        round_trip(&FlushRequest { file_id: fid }, &mut buf())?;
        round_trip(&FlushResponse, &mut buf())?;
    }

    #[test]
    fn read_messages(p in any::<(u8, u8, u32, u64, u32, u32, u32)>(), fid in file_id(), data in bytes(300),
                     off in 0x50u8..=0xFF, rem in any::<u32>(), fl in any::<u32>()) {
        round_trip(&ReadRequest { padding: p.0, flags: p.1, length: p.2, offset: p.3, file_id: fid, minimum_count: p.4, channel: p.5, remaining_bytes: p.6 }, &mut buf())?;
        let r = ReadResponse { data_offset: if data.is_empty() { 0 } else { off }, data_length: data.len() as u32, data_remaining: rem, flags: fl };
        let mut b = buf();
        let mut h = Header::request(Command::Read);
        h.flags = flags::SERVER_TO_REDIR;
        h.emit(&mut b).unwrap();
        let n = r.emit_with_payload(&data, &mut b).unwrap();
        let pdu = &b[..n];
        let parsed = ReadResponse::parse(pdu).unwrap();
        prop_assert_eq!(parsed, r);
        prop_assert_eq!(parsed.payload(pdu).unwrap(), &data[..]);
        let (o, l) = read_response_data_span(&pdu[..80], n).unwrap();
        prop_assert_eq!(&pdu[o..o + l], &data[..]);
        prop_assert_eq!(decode_response_any(pdu), Ok(1));
    }

    #[test]
    fn write_messages(p in any::<(u64, u32, u32, u32)>(), fid in file_id(), data in bytes(300), extra in 0u16..64, c in any::<(u32, u32)>()) {
        let w = WriteRequest { data_offset: WRITE_DATA_OFFSET + extra, length: data.len() as u32, offset: p.0, file_id: fid, channel: p.1, remaining_bytes: p.2, flags: p.3 };
        let mut b = buf();
        Header::request(Command::Write).emit(&mut b).unwrap();
        let n = w.emit_with_payload(&data, &mut b).unwrap();
        let parsed = WriteRequest::parse(&b[..n]).unwrap();
        prop_assert_eq!(parsed, w);
        prop_assert_eq!(parsed.payload(&b[..n]).unwrap(), &data[..]);
        prop_assert!(decode_request(&b[..n]).is_ok());
        round_trip(&WriteResponse { count: c.0, remaining: c.1 }, &mut buf())?;
    }

    #[test]
    fn lock_messages(seq in any::<u32>(), fid in file_id(), locks in proptest::collection::vec(any::<(u64, u64, u32)>(), 1..20)) {
        let els: Vec<LockElement> = locks.iter().map(|&(offset, length, flags)| LockElement { offset, length, flags }).collect();
        round_trip(&LockRequest { lock_sequence: seq, file_id: fid, locks: WireList::Values(&els) }, &mut buf())?;
        round_trip(&LockResponse, &mut buf())?;
    }

    #[test]
    fn ioctl_messages(code in any::<u32>(), fid in file_id(), input in bytes(200), output in bytes(200), m in any::<(u32, u32, u32)>()) {
        round_trip(&IoctlRequest { ctl_code: code, file_id: fid, input: &input, max_input_response: m.0, output: &output, max_output_response: m.1, flags: m.2 }, &mut buf())?;
        round_trip(&IoctlResponse { ctl_code: code, file_id: fid, input: &input, output: &output, flags: m.2 }, &mut buf())?;
    }

    #[test]
    fn fsctl_payloads(caps in any::<u32>(), guid in any::<[u8; 16]>(), sm in any::<u16>(), dialects in proptest::collection::vec(any::<u16>(), 0..8),
                      d in any::<u16>(), key in any::<[u8; 24]>(), ctx in bytes(64), chunks in proptest::collection::vec(any::<(u64, u64, u32)>(), 0..16),
                      w in any::<(u32, u32, u32)>()) {
        let mut out = vec![0u8; 1024];
        let v = ValidateNegotiateInfoRequest { capabilities: caps, guid, security_mode: sm, dialects: U16List::Values(&dialects) };
        let n = v.emit(&mut out).unwrap();
        prop_assert_eq!(ValidateNegotiateInfoRequest::parse(&out[..n]).unwrap(), v);
        let v = ValidateNegotiateInfoResponse { capabilities: caps, guid, security_mode: sm, dialect: d };
        let n = v.emit(&mut out).unwrap();
        prop_assert_eq!(ValidateNegotiateInfoResponse::parse(&out[..n]).unwrap(), v);
        let k = ResumeKeyResponse { resume_key: key, context: &ctx };
        let n = k.emit(&mut out).unwrap();
        prop_assert_eq!(ResumeKeyResponse::parse(&out[..n]).unwrap(), k);
        let cs: Vec<CopyChunk> = chunks.iter().map(|&(source_offset, target_offset, length)| CopyChunk { source_offset, target_offset, length }).collect();
        let c = CopyChunkRequest { source_key: key, chunks: WireList::Values(&cs) };
        let n = c.emit(&mut out).unwrap();
        prop_assert_eq!(CopyChunkRequest::parse(&out[..n]).unwrap(), c);
        let r = CopyChunkResponse { chunks_written: w.0, chunk_bytes_written: w.1, total_bytes_written: w.2 };
        let n = r.emit(&mut out).unwrap();
        prop_assert_eq!(CopyChunkResponse::parse(&out[..n]).unwrap(), r);
    }

    #[test]
    fn echo_and_cancel(_x in any::<u8>()) {
        round_trip(&EchoRequest, &mut buf())?;
        round_trip(&EchoResponse, &mut buf())?;
        round_trip(&CancelRequest, &mut buf())?;
    }

    #[test]
    fn query_directory(c in any::<(u8, u8, u32, u32)>(), fid in file_id(), pattern in bytes(64),
                       entries in proptest::collection::vec((any::<(u32, u64, u64, u64, u64, u64, u64)>(), any::<(u32, u32, u64)>(), bytes(40), bytes(25)), 0..8)) {
        round_trip(&QueryDirectoryRequest { file_information_class: c.0, flags: c.1, file_index: c.2, file_id: fid, output_buffer_length: c.3, pattern: &pattern }, &mut buf())?;
        let times = |t: &(u32, u64, u64, u64, u64, u64, u64), attrs: u32| DirTimes { creation_time: t.1, last_access_time: t.2, last_write_time: t.3, change_time: t.4, end_of_file: t.5, allocation_size: t.6, file_attributes: attrs };
        // FileIdFullDirectoryInformation chain.
        let full: Vec<_> = entries.iter().map(|(t, x, name, _)| FileIdFullDirectoryInformation { file_index: t.0, times: times(t, x.0), ea_size: x.1, file_id: x.2, file_name: name }).collect();
        let mut out = vec![0u8; 8192];
        let mut w = DirEntryWriter::new(&mut out);
        for e in &full { w.push(e).unwrap(); }
        let n = w.finish();
        let rsp = QueryDirectoryResponse { output: &out[..n] };
        let mut b = buf();
        let p = round_trip(&rsp, &mut b)?;
        let got: Vec<_> = p.entries::<FileIdFullDirectoryInformation<'_>>().collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(got, full);
        // FileIdBothDirectoryInformation chain.
        let both: Vec<_> = entries.iter().map(|(t, x, name, short)| FileIdBothDirectoryInformation { file_index: t.0, times: times(t, x.0), ea_size: x.1, short_name: &short[..short.len().min(24)], file_id: x.2, file_name: name }).collect();
        let mut out = vec![0u8; 8192];
        let mut w = DirEntryWriter::new(&mut out);
        for e in &both { w.push(e).unwrap(); }
        let n = w.finish();
        let got: Vec<_> = DirEntryIter::<FileIdBothDirectoryInformation<'_>>::new(&out[..n]).collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(got, both);
    }

    #[test]
    fn query_and_set_info(c in any::<(u8, u8, u32, u32, u32)>(), fid in file_id(), input in bytes(64), output in bytes(300)) {
        round_trip(&QueryInfoRequest { info_type: c.0, file_info_class: c.1, output_buffer_length: c.2, input: &input, additional_information: c.3, flags: c.4, file_id: fid }, &mut buf())?;
        round_trip(&QueryInfoResponse { output: &output }, &mut buf())?;
        round_trip(&SetInfoRequest { info_type: c.0, file_info_class: c.1, buffer: &output, additional_information: c.3, file_id: fid }, &mut buf())?;
        round_trip(&SetInfoResponse, &mut buf())?;
    }

    #[test]
    fn info_classes(t in any::<(u64, u64, u64, u64, u32)>(), s in any::<(u64, u64, u32, bool, bool)>(), x in any::<(u64, u32, u32, u64, u32, u32)>(),
                    name in bytes(80), flag in any::<bool>(), fs in any::<(u64, u64, u64, u32, u32)>()) {
        let mut o = vec![0u8; 512];
        let basic = FileBasicInformation { creation_time: t.0, last_access_time: t.1, last_write_time: t.2, change_time: t.3, file_attributes: t.4 };
        let n = basic.emit(&mut o).unwrap();
        prop_assert_eq!(FileBasicInformation::parse(&o[..n]).unwrap(), basic);
        let standard = FileStandardInformation { allocation_size: s.0, end_of_file: s.1, number_of_links: s.2, delete_pending: s.3, directory: s.4 };
        let n = standard.emit(&mut o).unwrap();
        prop_assert_eq!(FileStandardInformation::parse(&o[..n]).unwrap(), standard);
        let all = FileAllInformation { basic, standard, index_number: x.0, ea_size: x.1, access_flags: x.2, current_byte_offset: x.3, mode: x.4, alignment_requirement: x.5, file_name: &name };
        let n = all.emit(&mut o).unwrap();
        prop_assert_eq!(FileAllInformation::parse(&o[..n]).unwrap(), all);
        let e = FileEndOfFileInformation { end_of_file: x.0 };
        let n = e.emit(&mut o).unwrap();
        prop_assert_eq!(FileEndOfFileInformation::parse(&o[..n]).unwrap(), e);
        let r = FileRenameInformation { replace_if_exists: flag, root_directory: x.3, file_name: &name };
        let n = r.emit(&mut o).unwrap();
        prop_assert_eq!(FileRenameInformation::parse(&o[..n]).unwrap(), r);
        let d = FileDispositionInformation { delete_pending: flag };
        let n = d.emit(&mut o).unwrap();
        prop_assert_eq!(FileDispositionInformation::parse(&o[..n]).unwrap(), d);
        let f = FileFsFullSizeInformation { total_allocation_units: fs.0, caller_available_allocation_units: fs.1, actual_available_allocation_units: fs.2, sectors_per_allocation_unit: fs.3, bytes_per_sector: fs.4 };
        let n = f.emit(&mut o).unwrap();
        prop_assert_eq!(FileFsFullSizeInformation::parse(&o[..n]).unwrap(), f);
        let a = FileFsAttributeInformation { file_system_attributes: fs.3, maximum_component_name_length: fs.4, file_system_name: &name };
        let n = a.emit(&mut o).unwrap();
        prop_assert_eq!(FileFsAttributeInformation::parse(&o[..n]).unwrap(), a);
        let v = FileFsVolumeInformation { volume_creation_time: fs.0, volume_serial_number: fs.3, supports_objects: flag, volume_label: &name };
        let n = v.emit(&mut o).unwrap();
        prop_assert_eq!(FileFsVolumeInformation::parse(&o[..n]).unwrap(), v);
    }

    #[test]
    fn breaks(level in any::<u8>(), fid in file_id(), n in any::<(u16, u32, [u8; 16], u32, u32, u32, u32, u32)>(), a in any::<(u32, [u8; 16], u32, u64)>()) {
        round_trip(&OplockBreak { oplock_level: level, file_id: fid }, &mut buf())?;
        round_trip(&OplockBreakAck { oplock_level: level, file_id: fid }, &mut buf())?;
        round_trip(&LeaseBreakNotification { new_epoch: n.0, flags: n.1, lease_key: n.2, current_lease_state: n.3, new_lease_state: n.4, break_reason: n.5, access_mask_hint: n.6, share_mask_hint: n.7 }, &mut buf())?;
        let f = LeaseBreakFields { flags: a.0, lease_key: a.1, lease_state: a.2, lease_duration: a.3 };
        round_trip(&LeaseBreakAck(f), &mut buf())?;
        round_trip(&LeaseBreakResponse(f), &mut buf())?;
    }

    #[test]
    fn error_response(ctxs in proptest::collection::vec((any::<u32>(), bytes(30)), 0..5), raw in bytes(40), status in 0xC000_0001u32..0xC000_0300) {
        let ec: Vec<ErrorContext<'_>> = ctxs.iter().map(|(id, d)| ErrorContext { error_id: *id, data: d }).collect();
        let mut data = vec![0u8; 1024];
        let n = emit_error_contexts(&ec, &mut data).unwrap();
        let (count, error_data) = if ec.is_empty() { (0, &raw[..]) } else { (ec.len() as u8, &data[..n]) };
        let e = ErrorResponse { error_context_count: count, error_data };
        let mut b = buf();
        let mut h = Header::request(Command::Create);
        h.flags = flags::SERVER_TO_REDIR;
        h.status = status;
        let len = encode(&h, &e, &mut b).unwrap();
        let p = ErrorResponse::parse_pdu(&b[..len]).unwrap();
        prop_assert_eq!(p, e);
        if count > 0 {
            let got: Vec<_> = p.contexts().collect::<Result<_, _>>().unwrap();
            prop_assert_eq!(got, ec);
        }
        prop_assert_eq!(decode_response_any(&b[..len]), Ok(1));
    }

    #[test]
    fn compound_chains(parts in proptest::collection::vec((0u8..4, bytes(40)), 1..8), related in any::<bool>()) {
        // Build each PDU separately, then chain them.
        let mut pdus = Vec::new();
        for (kind, data) in &parts {
            let mut b = vec![0u8; 512];
            let mut h = Header::request(Command::Echo);
            h.flags = flags::SERVER_TO_REDIR;
            let n = match kind {
                0 => encode(&h, &EchoResponse, &mut b).unwrap(),
                1 => encode(&h, &QueryInfoResponse { output: data }, &mut b).unwrap(),
                2 => encode(&h, &SessionSetupResponse { session_flags: 0, security_buffer: data }, &mut b).unwrap(),
                _ => encode(&h, &IoctlResponse { ctl_code: 0, file_id: FileId::COMPOUND, input: &[], output: data, flags: 0 }, &mut b).unwrap(),
            };
            b.truncate(n);
            pdus.push(b);
        }
        let mut out = vec![0u8; 8192];
        let mut cb = CompoundBuilder::new(&mut out, related);
        let ranges: Vec<_> = pdus.iter().map(|p| cb.push(p).unwrap()).collect();
        let total = cb.finish().unwrap();
        let walked: Vec<_> = CompoundIter::new(&out[..total]).collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(walked.len(), pdus.len());
        for (i, (w, p)) in walked.iter().zip(&pdus).enumerate() {
            prop_assert_eq!(ranges[i].start % 8, 0);
            // Same bytes apart from NextCommand and the RELATED flag.
            prop_assert_eq!(&w[24..p.len()], &p[24..]);
            prop_assert_eq!(&w[..16], &p[..16]);
            let h = Header::parse(w).unwrap();
            prop_assert_eq!(h.flags & flags::RELATED_OPERATIONS != 0, related && i > 0);
            prop_assert_eq!(h.next_command == 0, i + 1 == pdus.len());
        }
        prop_assert_eq!(decode_response_any(&out[..total]), Ok(pdus.len()));
    }
}
