// SPDX-License-Identifier: GPL-2.0
//! Typed operations on a handle, synchronous (each a task run in the
//! caller's context): CREATE (open), CLOSE (MS-SMB2 2.2.13 to 2.2.16),
//! QUERY_INFO, SET_INFO, LOCK, FLUSH and the oplock break acknowledgement.
//! READ and WRITE are in `rw.rs`, QUERY_DIRECTORY in `dir.rs`.
#![forbid(unsafe_code)]

use crate::clnt::ClntCore;
use crate::proto::close::{CloseRequest, FlushRequest};
use crate::proto::create::{disposition as disp, CreateRequest, CreateResponse};
use crate::proto::create_ctx::{CreateContext, CreateContexts, DurableV2Request};
use crate::proto::header::{Command, Header, HeaderView, HEADER_LEN};
use crate::proto::info::{info_type, QueryInfoRequest, QueryInfoResponse, SetInfoRequest};
use crate::proto::info_class::{
    file_info_class, FileBasicInformation, FileDispositionInformation, FileRenameInformation,
    FileStandardInformation, InfoClass,
};
use crate::proto::lock::{LockElement, LockRequest};
use crate::proto::message::{encode, FileId, Message, WireList};
use crate::proto::oplock::OplockBreakAck;
use crate::proto::status::code;
use crate::proto::utf16::encode_utf16le;
use crate::session::status_errno;
use crate::task::REPLAYABLE;
use kernel::alloc::{flags::GFP_KERNEL, KVec};
use kernel::error::{code::*, Result};
use kernel::sync::Arc;

/// Each request waits at most this long (the transport's hard/soft timer
/// decides how a silent server is handled within it).
pub(crate) const OP_TIMEOUT_MS: u32 = 120_000;

/// SMB2_IMPERSONATION_IMPERSONATION (2.2.13).
const IMPERSONATION: u32 = 2;
/// FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE.
const SHARE_ALL: u32 = 7;

/// What an open reports.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct OpenInfo {
    pub(crate) end_of_file: u64,
    /// The oplock the server granted (MS-SMB2 2.2.14).
    pub(crate) oplock_level: u8,
}

/// A reply's status as a result.
pub(crate) fn check(reply: &[u8]) -> Result<Header> {
    let h = Header::parse(reply).map_err(|_| EPROTO)?;
    if h.status != code::STATUS_SUCCESS {
        return Err(status_errno(h.status));
    }
    Ok(h)
}

impl ClntCore {
    /// Opens (or creates) `path`, relative to the share, with '\' or '/'
    /// separators.
    pub(crate) fn open(
        self: &Arc<Self>,
        path: &str,
        desired_access: u32,
        disposition: u32,
        create_options: u32,
        oplock_level: u8,
    ) -> Result<(FileId, OpenInfo)> {
        let units = path.len().checked_mul(2).ok_or(EINVAL)?;
        let mut name = KVec::from_elem(0u8, units, GFP_KERNEL)?;
        let n = encode_utf16le(path, &mut name).map_err(|_| EINVAL)?;
        // SMB paths use backslashes (2.2.13: no leading separator).
        for c in name[..n].chunks_exact_mut(2) {
            if c == [b'/', 0] {
                c[0] = b'\\';
            }
        }
        let start = name[..n]
            .chunks_exact(2)
            .position(|c| c != [b'\\', 0])
            .unwrap_or(n / 2)
            * 2;
        // MS-SMB2 3.2.4.3.5: on SMB 3.x a CREATE that is not idempotent
        // carries a CreateGuid (in SMB2_CREATE_DURABLE_HANDLE_REQUEST_V2),
        // by which a server that kept the open recognises the request if it
        // is sent again after a reconnect (with REPLAY_OPERATION, which
        // the task sets). Dispositions whose second run leaves the
        // same result (overwrite, supersede) are then replayable. FILE_CREATE
        // is not: a server keeps CreateGuids only for durable opens, which
        // are not requested, so its replay would fail with EEXIST instead
        // of the EIO that tells the truth (the outcome is unknown).
        let dialect = self.session().dialect;
        let guard_replay = dialect >= 0x0300 && !matches!(disposition, disp::OPEN | disp::OPEN_IF);
        let mut create_guid = [0u8; 16];
        if guard_replay {
            crate::kext::random::fill(&mut create_guid);
        }
        let dh2q = [CreateContext::DurableV2Request(DurableV2Request {
            timeout: 0,
            flags: 0,
            create_guid,
        })];
        let contexts: &[CreateContext<'_>] = if guard_replay { &dh2q } else { &[] };
        let flags = if guard_replay && disposition != disp::CREATE {
            REPLAYABLE
        } else {
            0
        };
        let req_body = CreateRequest {
            security_flags: 0,
            requested_oplock_level: oplock_level,
            impersonation_level: IMPERSONATION,
            smb_create_flags: 0,
            desired_access,
            file_attributes: 0,
            share_access: SHARE_ALL,
            create_disposition: disposition,
            create_options,
            name: &name[start..n],
            contexts: CreateContexts::List(contexts),
        };
        // Header, body, the name, padding to 8, one context of 24 + 8 + 32.
        let mut req = KVec::from_elem(
            0u8,
            HEADER_LEN + 56 + (n - start).max(1) + 8 + 64,
            GFP_KERNEL,
        )?;
        let len =
            encode(&Header::request(Command::Create), &req_body, &mut req).map_err(|_| EINVAL)?;
        let reply = self.call_one(
            &req[..len],
            Command::Create,
            1,
            flags,
            1024,
            Some(OP_TIMEOUT_MS),
        )?;
        let r = &reply[..];
        check(r)?;
        let rsp = CreateResponse::parse(r).map_err(|_| EPROTO)?;
        if rsp.oplock_level != 0 {
            // For the default acknowledgement of its breaks, on the tree
            // the CREATE went to (the reply's header names it).
            let tree_id = HeaderView::new(r)
                .ok()
                .and_then(|h| h.tree_id())
                .unwrap_or_else(|| self.tree_id());
            if let Some(o) = crate::OPENS.get() {
                o.add(self.entry_id(), rsp.file_id, tree_id, rsp.oplock_level);
            }
        }
        Ok((
            rsp.file_id,
            OpenInfo {
                end_of_file: rsp.end_of_file,
                oplock_level: rsp.oplock_level,
            },
        ))
    }

    /// Closes `fid`.
    pub(crate) fn close(self: &Arc<Self>, fid: FileId) -> Result {
        let body = CloseRequest {
            flags: 0,
            file_id: fid,
        };
        if let Some(o) = crate::OPENS.get() {
            o.remove(self.entry_id(), fid);
        }
        // Closing twice is harmless (the second gets FILE_CLOSED): safe to
        // send again after a reconnect.
        self.fixed(&body, REPLAYABLE)
    }
}

/// A file's attributes (FileBasicInformation and FileStandardInformation,
/// MS-FSCC 2.4.7, 2.4.41).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct FileInfo {
    pub(crate) creation_time: u64,
    pub(crate) last_access_time: u64,
    pub(crate) last_write_time: u64,
    pub(crate) change_time: u64,
    pub(crate) attributes: u32,
    pub(crate) allocation_size: u64,
    pub(crate) end_of_file: u64,
    pub(crate) nlink: u32,
    pub(crate) delete_pending: bool,
    pub(crate) directory: bool,
}

/// The largest QUERY_INFO answer or SET_INFO buffer taken.
const MAX_INFO: usize = 64 * 1024;

/// SMB2_LOCKFLAG_FAIL_IMMEDIATELY (MS-SMB2 2.2.26.1).
const LOCKFLAG_FAIL_IMMEDIATELY: u32 = 0x10;
/// STATUS_LOCK_NOT_GRANTED and STATUS_FILE_LOCK_CONFLICT (MS-ERREF).
const STATUS_LOCK_NOT_GRANTED: u32 = 0xC000_0055;
const STATUS_FILE_LOCK_CONFLICT: u32 = 0xC000_0054;

impl ClntCore {
    /// One request without payload, on this handle's tree; its reply
    /// (status success).
    fn simple(self: &Arc<Self>, req: &[u8], flags: u32) -> Result<KVec<u8>> {
        let command = HeaderView::new(req)
            .ok()
            .and_then(|h| h.command())
            .ok_or(EINVAL)?;
        let reply = self.call_one(req, command, 1, flags, 256, Some(OP_TIMEOUT_MS))?;
        check(&reply)?;
        Ok(reply)
    }

    /// A request with a small fixed body (CLOSE, FLUSH, an oplock break
    /// acknowledgement) whose reply only says whether it worked.
    fn fixed<'a, M: Message<'a>>(self: &Arc<Self>, body: &M, flags: u32) -> Result {
        let mut req = [0u8; HEADER_LEN + 32];
        let len = encode(&Header::request(M::COMMAND), body, &mut req).map_err(|_| EINVAL)?;
        self.simple(&req[..len], flags).map(|_| ())
    }

    /// QUERY_INFO of FileBasicInformation and FileStandardInformation.
    pub(crate) fn getattr(self: &Arc<Self>, fid: FileId) -> Result<FileInfo> {
        let mut out = FileInfo::default();
        for class in [file_info_class::BASIC, file_info_class::STANDARD] {
            let mut buf = [0u8; 256];
            let n = self.query_info(fid, info_type::FILE, class, 0, &mut buf)?;
            let output = &buf[..n];
            if class == file_info_class::BASIC {
                let b = FileBasicInformation::parse(output).map_err(|_| EPROTO)?;
                out.creation_time = b.creation_time;
                out.last_access_time = b.last_access_time;
                out.last_write_time = b.last_write_time;
                out.change_time = b.change_time;
                out.attributes = b.file_attributes;
            } else {
                let s = FileStandardInformation::parse(output).map_err(|_| EPROTO)?;
                out.allocation_size = s.allocation_size;
                out.end_of_file = s.end_of_file;
                out.nlink = s.number_of_links;
                out.delete_pending = s.delete_pending;
                out.directory = s.directory;
            }
        }
        Ok(out)
    }

    /// QUERY_INFO (MS-SMB2 2.2.37) of any type and class: the reply's
    /// OutputBuffer is copied into `out`; returns its length (`EMSGSIZE` if
    /// it does not fit, BUFFER_OVERFLOW included).
    pub(crate) fn query_info(
        self: &Arc<Self>,
        fid: FileId,
        info_type: u8,
        class: u8,
        additional: u32,
        out: &mut [u8],
    ) -> Result<usize> {
        let want = u32::try_from(out.len().min(MAX_INFO)).map_err(|_| EINVAL)?;
        let body = QueryInfoRequest {
            info_type,
            file_info_class: class,
            output_buffer_length: want,
            input: &[],
            additional_information: additional,
            flags: 0,
            file_id: fid,
        };
        let mut req = [0u8; HEADER_LEN + 41];
        let len =
            encode(&Header::request(Command::QueryInfo), &body, &mut req).map_err(|_| EINVAL)?;
        let reply = self.call_one(
            &req[..len],
            Command::QueryInfo,
            1,
            REPLAYABLE,
            HEADER_LEN + 8 + want as usize,
            Some(OP_TIMEOUT_MS),
        )?;
        let n = reply.len();
        let h = Header::parse(&reply[..n]).map_err(|_| EPROTO)?;
        if h.status == code::STATUS_BUFFER_OVERFLOW {
            return Err(EMSGSIZE);
        }
        check(&reply[..n])?;
        let rsp = QueryInfoResponse::parse(&reply[..n]).map_err(|_| EPROTO)?;
        let dst = out.get_mut(..rsp.output.len()).ok_or(EMSGSIZE)?;
        dst.copy_from_slice(rsp.output);
        Ok(rsp.output.len())
    }

    /// SET_INFO (MS-SMB2 2.2.39) of any type and class, with `buffer`
    /// encoded as MS-FSCC says.
    pub(crate) fn set_info(
        self: &Arc<Self>,
        fid: FileId,
        info_type: u8,
        class: u8,
        additional: u32,
        buffer: &[u8],
    ) -> Result {
        if buffer.len() > MAX_INFO {
            return Err(EINVAL);
        }
        let body = SetInfoRequest {
            info_type,
            file_info_class: class,
            buffer,
            additional_information: additional,
            file_id: fid,
        };
        let mut req = KVec::from_elem(0u8, HEADER_LEN + 32 + buffer.len().max(1), GFP_KERNEL)?;
        let len =
            encode(&Header::request(Command::SetInfo), &body, &mut req).map_err(|_| EINVAL)?;
        self.simple(&req[..len], 0).map(|_| ())
    }

    /// Acknowledges an oplock break (MS-SMB2 2.2.24.1, 3.2.4.21):
    /// `level` is the one the server broke to (or lower).
    pub(crate) fn oplock_ack(self: &Arc<Self>, fid: FileId, level: u8) -> Result {
        let body = OplockBreakAck {
            oplock_level: level,
            file_id: fid,
        };
        self.fixed(&body, 0)
    }

    /// ECHO (MS-SMB2 2.2.28) on the handle's session, within `timeout_ms`.
    /// Replayable.
    pub(crate) fn echo(self: &Arc<Self>, timeout_ms: Option<u32>) -> Result {
        let mut req = [0u8; HEADER_LEN + 4];
        let n = encode(
            &Header::request(Command::Echo),
            &crate::proto::echo::EchoRequest,
            &mut req,
        )
        .map_err(|_| EINVAL)?;
        let reply = self.call_one(&req[..n], Command::Echo, 1, REPLAYABLE, 128, timeout_ms)?;
        match HeaderView::new(&reply).map_err(|_| EPROTO)?.status() {
            code::STATUS_SUCCESS => Ok(()),
            s => Err(status_errno(s)),
        }
    }

    /// FLUSH (MS-SMB2 2.2.17): the server writes the open's data to
    /// stable storage. Replayable: flushing twice is flushing.
    pub(crate) fn flush(self: &Arc<Self>, fid: FileId) -> Result {
        self.fixed(&FlushRequest { file_id: fid }, REPLAYABLE)
    }

    /// LOCK (MS-SMB2 2.2.26) of one byte range: `flags` are
    /// SMB2_LOCKFLAG_* (shared, exclusive, unlock, fail immediately). A
    /// conflicting lock with fail-immediately is `EAGAIN`; without it the
    /// call waits (killably) for the range. Not replayable: a lost reply
    /// leaves the lock's state unknown (lock sequence numbers, which would
    /// make it replayable, come with durable handles).
    pub(crate) fn lock(
        self: &Arc<Self>,
        fid: FileId,
        offset: u64,
        length: u64,
        flags: u32,
    ) -> Result {
        let element = [LockElement {
            offset,
            length,
            flags,
        }];
        let body = LockRequest {
            lock_sequence: 0,
            file_id: fid,
            locks: WireList::Values(&element),
        };
        let mut req = [0u8; HEADER_LEN + 48];
        let len = encode(&Header::request(Command::Lock), &body, &mut req).map_err(|_| EINVAL)?;
        // A blocking lock waits as long as the range is held (killably).
        let timeout = if flags & LOCKFLAG_FAIL_IMMEDIATELY != 0 {
            Some(OP_TIMEOUT_MS)
        } else {
            None
        };
        let reply = self.call_one(&req[..len], Command::Lock, 1, 0, 256, timeout)?;
        let h = Header::parse(&reply).map_err(|_| EPROTO)?;
        match h.status {
            code::STATUS_SUCCESS => Ok(()),
            STATUS_LOCK_NOT_GRANTED | STATUS_FILE_LOCK_CONFLICT => Err(EAGAIN),
            s => Err(status_errno(s)),
        }
    }

    /// Renames the open `fid` to `new_path` (relative to the share).
    pub(crate) fn rename(self: &Arc<Self>, fid: FileId, new_path: &str, replace: bool) -> Result {
        let mut name = KVec::from_elem(
            0u8,
            new_path.len().checked_mul(2).ok_or(EINVAL)?,
            GFP_KERNEL,
        )?;
        let n = encode_utf16le(new_path, &mut name).map_err(|_| EINVAL)?;
        for c in name[..n].chunks_exact_mut(2) {
            if c == [b'/', 0] {
                c[0] = b'\\';
            }
        }
        let info = FileRenameInformation {
            replace_if_exists: replace,
            root_directory: 0,
            file_name: &name[..n],
        };
        let mut buf = KVec::from_elem(0u8, FileRenameInformation::NAME_OFFSET + n, GFP_KERNEL)?;
        let blen = info.emit(&mut buf).map_err(|_| EINVAL)?;
        self.set_info(
            fid,
            info_type::FILE,
            file_info_class::RENAME,
            0,
            &buf[..blen],
        )
    }

    /// Marks the open `fid` for deletion when it is closed.
    pub(crate) fn delete_on_close(self: &Arc<Self>, fid: FileId) -> Result {
        let mut buf = [0u8; 8];
        let blen = FileDispositionInformation {
            delete_pending: true,
        }
        .emit(&mut buf)
        .map_err(|_| EINVAL)?;
        self.set_info(
            fid,
            info_type::FILE,
            file_info_class::DISPOSITION,
            0,
            &buf[..blen],
        )
    }
}
