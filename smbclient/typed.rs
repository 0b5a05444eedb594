// SPDX-License-Identifier: GPL-2.0
//! Typed operations: what each of CREATE (with create contexts), CLOSE
//! (with POSTQUERY_ATTRIB), QUERY_INFO, SET_INFO, QUERY_DIRECTORY, FLUSH,
//! LOCK and IOCTL is on the wire. [`Op::encode`] lays out a request from
//! its arguments, [`Op::decode`] reads its reply into an [`OpOut`]. How
//! they are run, alone or in a compound, synchronously or not, is
//! `req.rs`.
#![forbid(unsafe_code)]

use crate::ops::{check, FileInfo};
use crate::proto::close::{CloseRequest, CloseResponse, FlushRequest, CLOSE_FLAG_POSTQUERY_ATTRIB};
use crate::proto::create::{disposition as disp, CreateRequest, CreateResponse};
use crate::proto::create_ctx::{
    CreateContext, CreateContexts, DurableV2Request, LeaseV2, MaximalAccessResponse,
};
use crate::proto::credits::credit_charge;
use crate::proto::header::{Command, Header, HEADER_LEN};
use crate::proto::info::{QueryInfoRequest, QueryInfoResponse, SetInfoRequest};
use crate::proto::ioctl::{IoctlRequest, IoctlResponse};
use crate::proto::lock::{LockElement, LockRequest};
use crate::proto::message::{encode, FileId, Message, WireList};
use crate::proto::query_dir::{query_dir_flags, QueryDirectoryRequest, QueryDirectoryResponse};
use crate::proto::status::code;
use crate::proto::utf16::encode_utf16le;
use crate::session::status_errno;
use crate::task::TaskOp;
use core::ops::Range;
use kernel::alloc::{flags::GFP_KERNEL, KBox, KVec};
use kernel::error::{code::*, Result};

/// The FileId that, in an operation after the first of a compound, means
/// "the file the operation before opened" (MS-SMB2 3.2.4.1.4).
pub(crate) const RELATED: FileId = FileId {
    persistent: u64::MAX,
    volatile: u64::MAX,
};

/// The largest QUERY_INFO answer, SET_INFO buffer, IOCTL input or output.
pub(crate) const MAX_INFO: usize = 64 * 1024;
/// The largest QUERY_DIRECTORY batch: 1 MiB (16 credits).
pub(crate) const MAX_DIR_BATCH: usize = 1 << 20;

/// SMB2_IMPERSONATION_IMPERSONATION (2.2.13).
const IMPERSONATION: u32 = 2;
/// SMB2_OPLOCK_LEVEL_LEASE (2.2.13).
const OPLOCK_LEVEL_LEASE: u8 = 0xFF;
/// STATUS_LOCK_NOT_GRANTED and STATUS_FILE_LOCK_CONFLICT (MS-ERREF).
const STATUS_LOCK_NOT_GRANTED: u32 = 0xC000_0055;
const STATUS_FILE_LOCK_CONFLICT: u32 = 0xC000_0054;
/// SMB2_LOCKFLAG_FAIL_IMMEDIATELY (2.2.26.1).
pub(crate) const LOCKFLAG_FAIL_IMMEDIATELY: u32 = 0x10;

/// Create contexts a CREATE asks for (`SMB_CREATE_CTX_*`).
pub(crate) mod ctx {
    /// SMB2_CREATE_QUERY_MAXIMAL_ACCESS_REQUEST (`MxAc`).
    pub(crate) const MXAC: u32 = 0x1;
    /// SMB2_CREATE_QUERY_ON_DISK_ID (`QFid`).
    pub(crate) const QFID: u32 = 0x2;
    /// SMB2_CREATE_REQUEST_LEASE_V2 (`RqLs`).
    pub(crate) const LEASE: u32 = 0x4;
    pub(crate) const ALL: u32 = MXAC | QFID | LEASE;
}

/// A CREATE's arguments.
pub(crate) struct CreateArgs {
    /// The path relative to the share, UTF-16LE with backslashes, no
    /// leading separator (empty: the share's root).
    pub(crate) name: KVec<u8>,
    pub(crate) desired_access: u32,
    pub(crate) file_attributes: u32,
    pub(crate) share_access: u32,
    pub(crate) disposition: u32,
    pub(crate) create_options: u32,
    /// SMB2_OPLOCK_LEVEL_* (ignored when a lease is asked for).
    pub(crate) oplock_level: u8,
    /// `ctx::*`.
    pub(crate) contexts: u32,
    pub(crate) lease_key: [u8; 16],
    pub(crate) lease_state: u32,
    /// SMB 3.x: a CreateGuid (in a DH2Q context) by which the server
    /// recognises the request if it is replayed (MS-SMB2 3.2.4.3.5).
    pub(crate) create_guid: Option<[u8; 16]>,
}

/// The path `path` ('/' or '\' separators) as a CREATE or a rename names
/// it: UTF-16LE, backslashes, no leading separator.
pub(crate) fn smb_path(path: &[u8]) -> Result<KVec<u8>> {
    let s = core::str::from_utf8(path)
        .map_err(|_| EINVAL)?
        .trim_start_matches(['/', '\\']);
    let units = s.len().checked_mul(2).ok_or(EINVAL)?;
    let mut name = KVec::from_elem(0u8, units, GFP_KERNEL)?;
    let n = encode_utf16le(s, &mut name).map_err(|_| EINVAL)?;
    name.truncate(n);
    for c in name.chunks_exact_mut(2) {
        if c == [b'/', 0] {
            c[0] = b'\\';
        }
    }
    Ok(name)
}

/// One typed operation (the CREATE's arguments boxed: they are the
/// largest). `fid` is [`RELATED`] in an operation after the
/// first of a compound that works on the file the CREATE before opened.
pub(crate) enum Op {
    Create(KBox<CreateArgs>),
    Close {
        fid: FileId,
        postquery: bool,
    },
    QueryInfo {
        fid: FileId,
        info_type: u8,
        class: u8,
        additional: u32,
        /// The most the answer may take.
        size: usize,
    },
    SetInfo {
        fid: FileId,
        info_type: u8,
        class: u8,
        additional: u32,
        buf: KVec<u8>,
    },
    QueryDir {
        fid: FileId,
        class: u8,
        restart: bool,
        /// The batch's size (one multi-credit request).
        size: usize,
    },
    Flush {
        fid: FileId,
    },
    Lock {
        fid: FileId,
        offset: u64,
        length: u64,
        flags: u32,
    },
    Ioctl {
        fid: FileId,
        ctl_code: u32,
        /// SMB2_0_IOCTL_IS_FSCTL.
        flags: u32,
        input: KVec<u8>,
        max_output: usize,
    },
}

/// What a CREATE reports.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct CreateOut {
    pub(crate) fid: FileId,
    pub(crate) oplock_level: u8,
    pub(crate) create_action: u32,
    /// Times, sizes and attributes (`nlink` 0: not reported).
    pub(crate) attrs: FileInfo,
    /// `ctx::*` that the reply carried.
    pub(crate) contexts: u32,
    pub(crate) maximal_access: u32,
    pub(crate) disk_file_id: [u8; 16],
    pub(crate) volume_id: u64,
    pub(crate) lease_state: u32,
    pub(crate) lease_flags: u32,
    pub(crate) lease_epoch: u16,
}

/// What a CLOSE with POSTQUERY_ATTRIB reports (MS-SMB2 2.2.16).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct CloseOut {
    /// The server filled in the rest.
    pub(crate) valid: bool,
    /// Times, sizes and attributes (`nlink` 0: not reported).
    pub(crate) attrs: FileInfo,
}

/// What an operation's reply says.
#[derive(Clone, Debug)]
pub(crate) enum OpOut {
    Create(CreateOut),
    Close(CloseOut),
    /// QUERY_INFO's answer, QUERY_DIRECTORY's entries (empty: no more),
    /// IOCTL's output: where they are in the operation's reply PDU.
    Bytes(Range<usize>),
    /// FLUSH, SET_INFO, LOCK.
    Done,
}

impl Op {
    /// The FileId it works on (`None`: a CREATE).
    pub(crate) fn fid(&self) -> Option<FileId> {
        match self {
            Op::Create(_) => None,
            Op::Close { fid, .. }
            | Op::QueryInfo { fid, .. }
            | Op::SetInfo { fid, .. }
            | Op::QueryDir { fid, .. }
            | Op::Flush { fid }
            | Op::Lock { fid, .. }
            | Op::Ioctl { fid, .. } => Some(*fid),
        }
    }

    /// Whether it may be sent again after a lost connection: it changes
    /// nothing on the server, or changing it twice is changing it once.
    pub(crate) fn replayable(&self) -> bool {
        match self {
            // An open that is not idempotent is replayable only with a
            // CreateGuid, and FILE_CREATE not even then: a server keeps
            // CreateGuids only for durable opens (see `ops.rs`).
            Op::Create(c) => c.create_guid.is_some() && c.disposition != disp::CREATE,
            Op::Close { .. } | Op::QueryInfo { .. } | Op::Flush { .. } => true,
            // The server's position in the listing moves; a lock's state
            // would be unknown; a SET_INFO may be a rename; an IOCTL may do
            // anything.
            Op::QueryDir { .. } | Op::Lock { .. } | Op::SetInfo { .. } | Op::Ioctl { .. } => false,
        }
    }

    /// Whether it may wait on the server as long as it likes (a blocking
    /// lock): no deadline then.
    pub(crate) fn may_block(&self) -> bool {
        matches!(self, Op::Lock { flags, .. } if flags & LOCKFLAG_FAIL_IMMEDIATELY == 0)
    }

    /// The request, laid out (header space, body), with its credit charge
    /// and the room its reply may take. `max_transact`: the server's
    /// MaxTransactSize.
    pub(crate) fn encode(&self, max_transact: usize) -> Result<TaskOp> {
        let (command, charge, room, req) = match self {
            Op::Create(c) => (Command::Create, 1, 1024, encode_create(c)?),
            Op::Close { fid, postquery } => {
                let body = CloseRequest {
                    flags: if *postquery {
                        CLOSE_FLAG_POSTQUERY_ATTRIB
                    } else {
                        0
                    },
                    file_id: *fid,
                };
                (Command::Close, 1, 256, fixed(&body, HEADER_LEN + 24)?)
            }
            Op::QueryInfo {
                fid,
                info_type,
                class,
                additional,
                size,
            } => {
                let want = (*size).min(MAX_INFO).min(max_transact);
                let body = QueryInfoRequest {
                    info_type: *info_type,
                    file_info_class: *class,
                    output_buffer_length: u32::try_from(want).map_err(|_| EINVAL)?,
                    input: &[],
                    additional_information: *additional,
                    flags: 0,
                    file_id: *fid,
                };
                let room = HEADER_LEN + 8 + want;
                (
                    Command::QueryInfo,
                    credit_charge(want),
                    room,
                    fixed(&body, HEADER_LEN + 41)?,
                )
            }
            Op::SetInfo {
                fid,
                info_type,
                class,
                additional,
                buf,
            } => {
                if buf.len() > MAX_INFO.min(max_transact) {
                    return Err(EINVAL);
                }
                let body = SetInfoRequest {
                    info_type: *info_type,
                    file_info_class: *class,
                    buffer: buf,
                    additional_information: *additional,
                    file_id: *fid,
                };
                let req = fixed(&body, HEADER_LEN + 32 + buf.len().max(1))?;
                (Command::SetInfo, credit_charge(buf.len()), 256, req)
            }
            Op::QueryDir {
                fid,
                class,
                restart,
                size,
            } => {
                let want = (*size).min(MAX_DIR_BATCH).min(max_transact);
                if want < 128 {
                    return Err(EINVAL);
                }
                let star = [b'*', 0];
                let body = QueryDirectoryRequest {
                    file_information_class: *class,
                    flags: if *restart {
                        query_dir_flags::RESTART_SCANS
                    } else {
                        0
                    },
                    file_index: 0,
                    file_id: *fid,
                    output_buffer_length: u32::try_from(want).map_err(|_| EINVAL)?,
                    pattern: &star,
                };
                let req = fixed(&body, HEADER_LEN + 32 + 2)?;
                (
                    Command::QueryDirectory,
                    credit_charge(want),
                    HEADER_LEN + 8 + want,
                    req,
                )
            }
            Op::Flush { fid } => {
                let req = fixed(&FlushRequest { file_id: *fid }, HEADER_LEN + 24)?;
                (Command::Flush, 1, 256, req)
            }
            Op::Lock {
                fid,
                offset,
                length,
                flags,
            } => {
                let element = [LockElement {
                    offset: *offset,
                    length: *length,
                    flags: *flags,
                }];
                let body = LockRequest {
                    lock_sequence: 0,
                    file_id: *fid,
                    locks: WireList::Values(&element),
                };
                (Command::Lock, 1, 256, fixed(&body, HEADER_LEN + 48)?)
            }
            Op::Ioctl {
                fid,
                ctl_code,
                flags,
                input,
                max_output,
            } => {
                let limit = MAX_INFO.min(max_transact);
                let out = (*max_output).min(limit);
                if input.len() > limit {
                    return Err(EINVAL);
                }
                let body = IoctlRequest {
                    ctl_code: *ctl_code,
                    file_id: *fid,
                    input,
                    max_input_response: 0,
                    output: &[],
                    max_output_response: u32::try_from(out).map_err(|_| EINVAL)?,
                    flags: *flags,
                };
                let req = fixed(&body, HEADER_LEN + 56 + input.len().max(1))?;
                let room = HEADER_LEN + 48 + 8 + out + input.len();
                (
                    Command::Ioctl,
                    credit_charge(out.max(input.len())),
                    room,
                    req,
                )
            }
        };
        // The header's credit charge is set by `emit_headers` from `charge`.
        Ok(TaskOp::new(command.to_u16(), charge, req, room))
    }

    /// Reads the operation's reply PDU.
    pub(crate) fn decode(&self, reply: &[u8]) -> Result<OpOut> {
        let h = Header::parse(reply).map_err(|_| EPROTO)?;
        match self {
            Op::Create(_) => {
                check(reply)?;
                decode_create(reply).map(OpOut::Create)
            }
            Op::Close { .. } => {
                check(reply)?;
                let r = CloseResponse::parse(reply).map_err(|_| EPROTO)?;
                Ok(OpOut::Close(CloseOut {
                    valid: r.flags & CLOSE_FLAG_POSTQUERY_ATTRIB != 0,
                    attrs: attrs(
                        [
                            r.creation_time,
                            r.last_access_time,
                            r.last_write_time,
                            r.change_time,
                        ],
                        r.allocation_size,
                        r.end_of_file,
                        r.file_attributes,
                    ),
                }))
            }
            Op::QueryInfo { size, .. } => {
                if h.status == code::STATUS_BUFFER_OVERFLOW {
                    return Err(EMSGSIZE);
                }
                check(reply)?;
                let r = QueryInfoResponse::parse(reply).map_err(|_| EPROTO)?;
                if r.output.len() > *size {
                    return Err(EMSGSIZE);
                }
                Ok(OpOut::Bytes(span(reply, r.output)?))
            }
            Op::QueryDir { size, .. } => {
                if h.status == code::STATUS_NO_MORE_FILES {
                    return Ok(OpOut::Bytes(0..0));
                }
                check(reply)?;
                let r = QueryDirectoryResponse::parse(reply).map_err(|_| EPROTO)?;
                if r.output.len() > *size {
                    return Err(EPROTO);
                }
                Ok(OpOut::Bytes(span(reply, r.output)?))
            }
            Op::Ioctl { max_output, .. } => {
                if h.status == code::STATUS_BUFFER_OVERFLOW {
                    return Err(EMSGSIZE);
                }
                check(reply)?;
                let r = IoctlResponse::parse(reply).map_err(|_| EPROTO)?;
                if r.output.len() > *max_output {
                    return Err(EMSGSIZE);
                }
                Ok(OpOut::Bytes(span(reply, r.output)?))
            }
            Op::Lock { .. } => match h.status {
                code::STATUS_SUCCESS => Ok(OpOut::Done),
                STATUS_LOCK_NOT_GRANTED | STATUS_FILE_LOCK_CONFLICT => Err(EAGAIN),
                s => Err(status_errno(s)),
            },
            Op::SetInfo { .. } | Op::Flush { .. } => check(reply).map(|_| OpOut::Done),
        }
    }
}

/// The attributes CREATE and CLOSE report (times: creation, last access,
/// last write, change).
fn attrs(times: [u64; 4], allocation_size: u64, end_of_file: u64, attributes: u32) -> FileInfo {
    FileInfo {
        creation_time: times[0],
        last_access_time: times[1],
        last_write_time: times[2],
        change_time: times[3],
        attributes,
        allocation_size,
        end_of_file,
        nlink: 0,
        delete_pending: false,
        directory: attributes & FILE_ATTRIBUTE_DIRECTORY != 0,
    }
}

/// FILE_ATTRIBUTE_DIRECTORY (MS-FSCC 2.6).
const FILE_ATTRIBUTE_DIRECTORY: u32 = 0x10;

/// Where `part`, a slice of `pdu`, lies in it.
fn span(pdu: &[u8], part: &[u8]) -> Result<Range<usize>> {
    if part.is_empty() {
        return Ok(0..0);
    }
    let start = (part.as_ptr() as usize)
        .checked_sub(pdu.as_ptr() as usize)
        .ok_or(EPROTO)?;
    let end = start.checked_add(part.len()).ok_or(EPROTO)?;
    if end > pdu.len() {
        return Err(EPROTO);
    }
    Ok(start..end)
}

/// A request with body `body` in a buffer of `room` bytes, cut to its
/// length.
fn fixed<'a, M: Message<'a>>(body: &M, room: usize) -> Result<KVec<u8>> {
    let mut req = KVec::from_elem(0u8, room, GFP_KERNEL)?;
    let len = encode(&Header::request(M::COMMAND), body, &mut req).map_err(|_| EINVAL)?;
    req.truncate(len);
    Ok(req)
}

fn encode_create(c: &CreateArgs) -> Result<KVec<u8>> {
    if c.contexts & !ctx::ALL != 0 {
        return Err(EINVAL);
    }
    let mut list: [CreateContext<'_>; 4] = [CreateContext::QueryOnDiskId; 4];
    let mut n = 0;
    let mut oplock_level = c.oplock_level;
    if let Some(create_guid) = c.create_guid {
        list[n] = CreateContext::DurableV2Request(DurableV2Request {
            timeout: 0,
            flags: 0,
            create_guid,
        });
        n += 1;
    }
    if c.contexts & ctx::MXAC != 0 {
        list[n] = CreateContext::MaximalAccessRequest { timestamp: None };
        n += 1;
    }
    if c.contexts & ctx::QFID != 0 {
        list[n] = CreateContext::QueryOnDiskId;
        n += 1;
    }
    if c.contexts & ctx::LEASE != 0 {
        list[n] = CreateContext::LeaseV2(LeaseV2 {
            lease_key: c.lease_key,
            lease_state: c.lease_state,
            lease_flags: 0,
            lease_duration: 0,
            parent_lease_key: [0; 16],
            epoch: 0,
        });
        n += 1;
        oplock_level = OPLOCK_LEVEL_LEASE;
    }
    let body = CreateRequest {
        security_flags: 0,
        requested_oplock_level: oplock_level,
        impersonation_level: IMPERSONATION,
        smb_create_flags: 0,
        desired_access: c.desired_access,
        file_attributes: c.file_attributes,
        share_access: c.share_access,
        create_disposition: c.disposition,
        create_options: c.create_options,
        name: &c.name,
        contexts: CreateContexts::List(&list[..n]),
    };
    // Header, body, the name, padding to 8, the contexts (each at most
    // 16 + 8 of name and padding + 52 of data).
    let room = HEADER_LEN + 56 + c.name.len().max(1) + 8 + 4 * 80;
    fixed(&body, room)
}

fn decode_create(reply: &[u8]) -> Result<CreateOut> {
    let r = CreateResponse::parse(reply).map_err(|_| EPROTO)?;
    let mut out = CreateOut {
        fid: r.file_id,
        oplock_level: r.oplock_level,
        create_action: r.create_action,
        attrs: attrs(
            [
                r.creation_time,
                r.last_access_time,
                r.last_write_time,
                r.change_time,
            ],
            r.allocation_size,
            r.end_of_file,
            r.file_attributes,
        ),
        ..CreateOut::default()
    };
    for c in r.contexts.iter() {
        match c.map_err(|_| EPROTO)? {
            CreateContext::MaximalAccessResponse(MaximalAccessResponse {
                query_status,
                maximal_access,
            }) if query_status == code::STATUS_SUCCESS => {
                out.contexts |= ctx::MXAC;
                out.maximal_access = maximal_access;
            }
            CreateContext::OnDiskId(d) => {
                out.contexts |= ctx::QFID;
                out.disk_file_id = d.disk_file_id;
                out.volume_id = d.volume_id;
            }
            CreateContext::LeaseV2(l) => {
                out.contexts |= ctx::LEASE;
                out.lease_state = l.lease_state;
                out.lease_flags = l.lease_flags;
                out.lease_epoch = l.epoch;
            }
            _ => {}
        }
    }
    Ok(out)
}
