// SPDX-License-Identifier: GPL-2.0
//! Typed operations on a handle, synchronous (each a task run in the
//! caller's context): CREATE (open), CLOSE (MS-SMB2 2.2.13 to 2.2.16),
//! QUERY_INFO, SET_INFO, LOCK, FLUSH and the oplock break acknowledgement.
//! READ and WRITE are in `rw.rs`, QUERY_DIRECTORY in `dir.rs`.
#![forbid(unsafe_code)]

use crate::clnt::ClntCore;
use crate::proto::create::disposition as disp;
use crate::proto::header::{Command, Header, HeaderView, HEADER_LEN};
use crate::proto::info::info_type;
use crate::proto::info_class::{
    file_info_class, FileBasicInformation, FileDispositionInformation, FileRenameInformation,
    FileStandardInformation, InfoClass,
};
use crate::proto::message::{encode, FileId, Message};
use crate::proto::oplock::OplockBreakAck;
use crate::proto::status::code;
use crate::req::ReqOutcome;
use crate::session::status_errno;
use crate::task::REPLAYABLE;
use crate::typed::{smb_path, CreateArgs, Op, OpOut, MAX_INFO};
use kernel::alloc::{flags::GFP_KERNEL, KBox, KVec};
use kernel::error::{code::*, Result};
use kernel::sync::Arc;

/// Each request waits at most this long (the transport's hard/soft timer
/// decides how a silent server is handled within it).
pub(crate) const OP_TIMEOUT_MS: u32 = 120_000;

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
    /// Opens (or creates) `path`, relative to the share, with '\\' or '/'
    /// separators.
    pub(crate) fn open(
        self: &Arc<Self>,
        path: &str,
        desired_access: u32,
        disposition: u32,
        create_options: u32,
        oplock_level: u8,
    ) -> Result<(FileId, OpenInfo)> {
        let args =
            self.create_args(path.as_bytes(), desired_access, disposition, create_options)?;
        let mut args = KBox::new(args, GFP_KERNEL)?;
        args.oplock_level = oplock_level;
        let ops = [Op::Create(args)];
        let out = self.run_ops(&ops);
        match out.out(0)? {
            OpOut::Create(c) => Ok((
                c.fid,
                OpenInfo {
                    end_of_file: c.attrs.end_of_file,
                    oplock_level: c.oplock_level,
                },
            )),
            _ => Err(EPROTO),
        }
    }

    /// A CREATE of `path` with the share access of any open of ours (all)
    /// and, on SMB 3.x, a CreateGuid when the disposition is not
    /// idempotent. MS-SMB2 3.2.4.3.5: by the CreateGuid (in
    /// SMB2_CREATE_DURABLE_HANDLE_REQUEST_V2) a server that kept the open
    /// recognises the request if it is sent again after a reconnect (with
    /// REPLAY_OPERATION, which the task sets). Dispositions whose second
    /// run leaves the same result (overwrite, supersede) are then
    /// replayable. FILE_CREATE is not: a server keeps CreateGuids only for
    /// durable opens, which are not requested, so its replay would fail
    /// with EEXIST instead of the EIO that tells the truth (the outcome is
    /// unknown).
    pub(crate) fn create_args(
        &self,
        path: &[u8],
        desired_access: u32,
        disposition: u32,
        create_options: u32,
    ) -> Result<CreateArgs> {
        let dialect = self.session().dialect;
        let guard_replay = dialect >= 0x0300 && !matches!(disposition, disp::OPEN | disp::OPEN_IF);
        let create_guid = guard_replay.then(|| {
            let mut g = [0u8; 16];
            crate::kext::random::fill(&mut g);
            g
        });
        Ok(CreateArgs {
            name: smb_path(path)?,
            desired_access,
            file_attributes: 0,
            share_access: SHARE_ALL,
            disposition,
            create_options,
            oplock_level: 0,
            contexts: 0,
            lease_key: [0; 16],
            lease_state: 0,
            create_guid,
        })
    }

    /// Remembers an open that got an oplock, for the default
    /// acknowledgement of its breaks, on the tree its CREATE went to (the
    /// reply's header `reply` names it).
    pub(crate) fn remember_open(&self, reply: &[u8], fid: FileId, oplock_level: u8) {
        let tree_id = HeaderView::new(reply)
            .ok()
            .and_then(|h| h.tree_id())
            .unwrap_or_else(|| self.tree_id());
        if let Some(o) = crate::OPENS.get() {
            o.add(self.entry_id(), fid, tree_id, oplock_level);
        }
    }

    /// Its owner closes `fid`: no default acknowledgement for it.
    pub(crate) fn forget_open(&self, fid: FileId) {
        if let Some(o) = crate::OPENS.get() {
            o.remove(self.entry_id(), fid);
        }
    }

    /// One typed operation, synchronously: its outcome.
    fn one(self: &Arc<Self>, op: Op) -> Result<ReqOutcome> {
        let ops = [op];
        let out = self.run_ops(&ops);
        out.out(0)?;
        Ok(out)
    }

    /// Closes `fid`. Closing twice is harmless (the second gets
    /// FILE_CLOSED): safe to send again after a reconnect.
    pub(crate) fn close(self: &Arc<Self>, fid: FileId) -> Result {
        self.one(Op::Close {
            fid,
            postquery: false,
        })
        .map(|_| ())
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

impl ClntCore {
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
        let r = self.one(Op::QueryInfo {
            fid,
            info_type,
            class,
            additional,
            size: out.len().min(MAX_INFO),
        })?;
        let answer = r.bytes(0);
        let dst = out.get_mut(..answer.len()).ok_or(EMSGSIZE)?;
        dst.copy_from_slice(answer);
        Ok(answer.len())
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
        let mut buf = KVec::with_capacity(buffer.len(), GFP_KERNEL)?;
        buf.extend_from_slice(buffer, GFP_KERNEL)?;
        self.one(Op::SetInfo {
            fid,
            info_type,
            class,
            additional,
            buf,
        })
        .map(|_| ())
    }

    /// Acknowledges an oplock break (MS-SMB2 2.2.24.1, 3.2.4.21):
    /// `level` is the one the server broke to (or lower).
    pub(crate) fn oplock_ack(self: &Arc<Self>, fid: FileId, level: u8) -> Result {
        let body = OplockBreakAck {
            oplock_level: level,
            file_id: fid,
        };
        let mut req = [0u8; HEADER_LEN + 24];
        let len = encode(&Header::request(OplockBreakAck::COMMAND), &body, &mut req)
            .map_err(|_| EINVAL)?;
        let reply = self.call_one(
            &req[..len],
            OplockBreakAck::COMMAND,
            1,
            0,
            256,
            Some(OP_TIMEOUT_MS),
        )?;
        check(&reply).map(|_| ())
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
        self.one(Op::Flush { fid }).map(|_| ())
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
        self.one(Op::Lock {
            fid,
            offset,
            length,
            flags,
        })
        .map(|_| ())
    }

    /// Renames the open `fid` to `new_path` (relative to the share).
    pub(crate) fn rename(self: &Arc<Self>, fid: FileId, new_path: &str, replace: bool) -> Result {
        let name = smb_path(new_path.as_bytes())?;
        let n = name.len();
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
