// SPDX-License-Identifier: GPL-2.0
//! READ and WRITE (MS-SMB2 2.2.19 to 2.2.22) into and from a caller's
//! kernel-backed iterator: synchronous (a task run in the caller's
//! context), and asynchronous with a typed completion (`IoOwner`), which
//! is what netfs's `issue_read` and `issue_write` need: the request goes
//! out from the caller's context and the completion comes from the reply
//! path, on smbiod.
//!
//! A READ's payload goes from the socket straight into the iterator (the
//! transport splits the reply at its DataOffset) and a WRITE's from the
//! iterator to the socket; the iterator comes back advanced by what was
//! transferred.
#![forbid(unsafe_code)]

use crate::clnt::ClntCore;
use crate::kext::iter::KernelIter;
use crate::ops::{check, OP_TIMEOUT_MS};
use crate::proto::credits::credit_charge;
use crate::proto::file_io::{ReadRequest, ReadResponse, WriteRequest, WriteResponse};
use crate::proto::header::{Command, Header, HEADER_LEN};
use crate::proto::message::{encode, FileId, Message};
use crate::proto::status::code;
use crate::proto::wire;
use crate::smb_xprt::Reserved;
use crate::sync::one_op;
use crate::task::{Task, TaskArgs, TaskOp, TaskOwner, TaskResult, ASYNC, REPLAYABLE};
use kernel::alloc::{flags::GFP_KERNEL, KBox, KVec};
use kernel::error::{code::*, Result};
use kernel::sync::Arc;

/// WRITE's fixed part: header, 48 bytes of body (the payload follows).
const WRITE_HEADER: usize = HEADER_LEN + 48;

/// The most one READ or WRITE moves, whatever the server offers.
const MAX_IO: usize = 8 << 20;

/// What an asynchronous READ or WRITE reports.
pub(crate) struct IoOutcome {
    /// The bytes read or written (the server's count), or the error.
    pub(crate) result: Result<usize>,
    /// READ: the offset was at or past the end of the file
    /// (STATUS_END_OF_FILE, or no data). A short read that is not at the
    /// end says false: the rest may be read again.
    pub(crate) eof: bool,
    /// The caller's iterator, advanced by what was transferred.
    pub(crate) iter: Option<KernelIter<'static>>,
}

/// Who started an asynchronous READ or WRITE. `done` is called once, on
/// smbiod (the reply path, process context), on smbclient's workqueue (a
/// step that waited there, a cancel), or in the starter's context if the
/// task failed before anything was sent; it may start other tasks.
pub(crate) trait IoOwner: Send + Sync {
    /// The operation is over.
    fn done(&self, task: &Arc<Task>, out: IoOutcome);
}

/// How a READ's or WRITE's iterator was cut to the request.
struct Cut {
    /// The iterator's count before the cut, and what was cut off its end.
    before: usize,
    cut: usize,
    /// The bytes asked for.
    want: usize,
}

/// Lays out one READ into `it` or WRITE from it (`write`) at `offset`, of
/// what `it` holds up to the negotiated maximum, and cuts `it` to that.
fn prepare(
    clnt: &ClntCore,
    fid: FileId,
    offset: u64,
    it: &mut KernelIter<'static>,
    write: bool,
) -> Result<(KVec<TaskOp>, Cut)> {
    // The session's: the transport may be reconnecting (the request then
    // waits for it).
    let s = clnt.session();
    let max = if write { s.max_write } else { s.max_read } as usize;
    let want = it.count().min(max).min(MAX_IO);
    let length = u32::try_from(want).map_err(|_| EINVAL)?;
    if want == 0 {
        return Err(EINVAL);
    }
    let command = if write { Command::Write } else { Command::Read };
    let mut h = Header::request(command);
    h.credit_charge = credit_charge(want);
    let mut req = KVec::from_elem(0u8, WRITE_HEADER + 1, GFP_KERNEL)?;
    let len = if write {
        let body = WriteRequest {
            data_offset: WRITE_HEADER as u16,
            length,
            offset,
            file_id: fid,
            channel: 0,
            remaining_bytes: 0,
            flags: 0,
        };
        // The body's one-byte Buffer placeholder is where the payload
        // starts.
        encode(&h, &body, &mut req)
            .map_err(|_| EINVAL)?
            .min(WRITE_HEADER)
    } else {
        let body = ReadRequest {
            padding: 0x50,
            flags: 0,
            length,
            offset,
            file_id: fid,
            minimum_count: 0,
            channel: 0,
            remaining_bytes: 0,
        };
        encode(&h, &body, &mut req).map_err(|_| EINVAL)?
    };
    req.truncate(len);
    let ops = one_op(TaskOp::new(command.to_u16(), h.credit_charge, req, 256))?;
    let before = it.count();
    let cut = it.truncate(want);
    Ok((ops, Cut { before, cut, want }))
}

/// The task's iterators for `it`: what a WRITE sends, or where a READ's
/// payload goes.
#[allow(clippy::type_complexity)]
fn directions(
    it: KernelIter<'static>,
    write: bool,
) -> (Option<KernelIter<'static>>, Option<KernelIter<'static>>) {
    if write {
        (Some(it), None)
    } else {
        (None, Some(it))
    }
}

/// The outcome of a READ or WRITE from its task's result.
fn outcome(cut: &Cut, write: bool, r: TaskResult) -> IoOutcome {
    if write {
        write_outcome(cut, r)
    } else {
        read_outcome(cut, r)
    }
}

/// A READ's outcome from its task's result: `got` bytes went straight
/// into the iterator (split by the transport), or the payload is in the
/// reply (not split: none, or one that did not fit) and is copied there.
fn read_outcome(p: &Cut, mut r: TaskResult) -> IoOutcome {
    let Some(mut dest) = r.recv.take() else {
        return IoOutcome {
            result: Err(r.result.err().unwrap_or(EIO)),
            eof: false,
            iter: None,
        };
    };
    dest.reexpand(p.cut);
    let got = p.before.saturating_sub(dest.count());
    let (result, eof) = match r.result {
        Err(e) => (Err(e), false),
        Ok(()) => match decode_read(r.rsp(0), got, &mut dest) {
            Ok((n, eof)) if n <= p.want => (Ok(n), eof),
            Ok(_) => (Err(EPROTO), false),
            Err(e) => (Err(e), false),
        },
    };
    IoOutcome {
        result,
        eof,
        iter: Some(dest),
    }
}

/// A READ reply: the bytes, and whether the end of the file was reached.
fn decode_read(reply: &[u8], got: usize, dest: &mut KernelIter<'_>) -> Result<(usize, bool)> {
    let hdr = Header::parse(reply).map_err(|_| EPROTO)?;
    if hdr.status == code::STATUS_END_OF_FILE {
        return Ok((0, true));
    }
    check(reply)?;
    if got > 0 {
        // The reply ends at DataOffset; DataLength (MS-SMB2 2.2.20) must
        // say what went into `dest`.
        let len = wire::get_u32(reply, HEADER_LEN + 4).map_err(|_| EPROTO)?;
        return if len as usize == got {
            Ok((got, false))
        } else {
            Err(EPROTO)
        };
    }
    let rsp = ReadResponse::parse(reply).map_err(|_| EPROTO)?;
    let data = rsp.payload(reply).map_err(|_| EPROTO)?;
    if data.is_empty() {
        return Ok((0, true));
    }
    Ok((dest.copy_to(data)?, false))
}

/// A WRITE's outcome from its task's result.
fn write_outcome(p: &Cut, mut r: TaskResult) -> IoOutcome {
    let src = r.send.take().map(|mut s| {
        s.reexpand(p.cut);
        s
    });
    let result = r.result.and_then(|()| {
        let reply = r.rsp(0);
        check(reply)?;
        let rsp = WriteResponse::parse(reply).map_err(|_| EPROTO)?;
        match rsp.count as usize {
            // A server that took nothing of a non-empty WRITE and says it
            // succeeded would have its caller try again forever.
            0 => Err(EIO),
            n if n > p.want => Err(EPROTO),
            n => Ok(n),
        }
    });
    IoOutcome {
        result,
        eof: false,
        iter: src,
    }
}

/// The owner of an asynchronous READ or WRITE task: decodes the reply and
/// tells the caller's owner.
struct IoTask {
    cut: Cut,
    write: bool,
    owner: KBox<dyn IoOwner>,
}

impl TaskOwner for IoTask {
    fn done(&self, task: &Arc<Task>, out: &mut Option<TaskResult>) {
        let outcome = match out.take() {
            Some(r) => outcome(&self.cut, self.write, r),
            None => IoOutcome {
                result: Err(EINVAL),
                eof: false,
                iter: None,
            },
        };
        self.owner.done(task, outcome);
    }
}

impl ClntCore {
    /// Reads up to `dest.count()` bytes at `offset` into `dest` (one READ,
    /// at most the negotiated maximum); returns how many arrived (0 at the
    /// end of the file), and the cursor, advanced by them.
    pub(crate) fn read(
        self: &Arc<Self>,
        fid: FileId,
        offset: u64,
        dest: KernelIter<'static>,
    ) -> (Result<usize>, Option<KernelIter<'static>>) {
        if dest.count() == 0 {
            return (Ok(0), Some(dest));
        }
        // A READ changes nothing on the server: safe to send again.
        let o = self.rw_sync(fid, offset, dest, false, REPLAYABLE);
        (o.result, o.iter)
    }

    /// Writes `src` (at most the negotiated maximum) at `offset`; returns
    /// how many bytes the server took, and the cursor, advanced by what
    /// was sent.
    pub(crate) fn write(
        self: &Arc<Self>,
        fid: FileId,
        offset: u64,
        src: KernelIter<'static>,
    ) -> (Result<usize>, Option<KernelIter<'static>>) {
        if src.count() == 0 {
            return (Ok(0), Some(src));
        }
        let o = self.rw_sync(fid, offset, src, true, 0);
        (o.result, o.iter)
    }

    fn rw_sync(
        self: &Arc<Self>,
        fid: FileId,
        offset: u64,
        mut it: KernelIter<'static>,
        write: bool,
        flags: u32,
    ) -> IoOutcome {
        let (ops, cut) = match prepare(self, fid, offset, &mut it, write) {
            Ok(v) => v,
            Err(e) => {
                return IoOutcome {
                    result: Err(e),
                    eof: false,
                    iter: Some(it),
                }
            }
        };
        let (send, recv) = directions(it, write);
        let r = match self.run_sync(TaskArgs {
            ops,
            send,
            recv,
            flags,
            timeout_ms: Some(OP_TIMEOUT_MS),
            credits: None,
        }) {
            Ok(r) => r,
            Err((e, send, recv)) => TaskResult {
                result: Err(e),
                ops: KVec::new(),
                reply: kernel::alloc::KVVec::new(),
                send,
                recv,
            },
        };
        outcome(&cut, write, r)
    }

    /// Starts one READ at `offset` into `dest` (at most the negotiated
    /// maximum, and `dest.count()`); `owner.done` gets the outcome. The
    /// request goes out from the caller's context when the session is
    /// ready. Errors: nothing was started (and `owner` is dropped).
    pub(crate) fn read_async(
        self: &Arc<Self>,
        fid: FileId,
        offset: u64,
        dest: KernelIter<'static>,
        owner: KBox<dyn IoOwner>,
        credits: Option<&mut Reserved>,
    ) -> Result<Arc<Task>> {
        self.rw_async(fid, offset, dest, false, owner, credits)
    }

    /// Starts one WRITE at `offset` from `src` (at most the negotiated
    /// maximum); as [`ClntCore::read_async`].
    pub(crate) fn write_async(
        self: &Arc<Self>,
        fid: FileId,
        offset: u64,
        src: KernelIter<'static>,
        owner: KBox<dyn IoOwner>,
        credits: Option<&mut Reserved>,
    ) -> Result<Arc<Task>> {
        self.rw_async(fid, offset, src, true, owner, credits)
    }

    /// Sets aside credits for up to `bytes` of READ or WRITE on the
    /// handle's transport (as netfs's `prepare_read` and `prepare_write`
    /// size a subrequest): the reservation covers its credits times
    /// 64 KiB, maybe fewer than asked (the window is short, or others wait
    /// in line), maybe none. An asynchronous READ or WRITE given it takes
    /// what it needs (trimmed to its length); the rest goes back when the
    /// reservation is dropped, and a reconnect voids it.
    pub(crate) fn reserve(self: &Arc<Self>, bytes: usize) -> Reserved {
        self.session().xprt.reserve(credit_charge(bytes.max(1)))
    }

    fn rw_async(
        self: &Arc<Self>,
        fid: FileId,
        offset: u64,
        mut it: KernelIter<'static>,
        write: bool,
        owner: KBox<dyn IoOwner>,
        credits: Option<&mut Reserved>,
    ) -> Result<Arc<Task>> {
        // Started from writeback or a netfs worker: nothing allocated here
        // may recurse into the file system.
        let _nofs = crate::kext::nofs::NofsScope::enter();
        let (ops, cut) = prepare(self, fid, offset, &mut it, write)?;
        // This request's share of the caller's reservation.
        let charge = ops.first().map_or(1, |op| op.credit_charge.max(1));
        let mine = credits.map(|r| r.split(charge));
        let (send, recv) = directions(it, write);
        // A READ changes nothing on the server: safe to send again.
        let flags = if write { ASYNC } else { ASYNC | REPLAYABLE };
        let io: KBox<dyn TaskOwner> = KBox::new(IoTask { cut, write, owner }, GFP_KERNEL)?;
        let task = Task::new(
            self,
            TaskArgs {
                ops,
                send,
                recv,
                flags,
                timeout_ms: Some(OP_TIMEOUT_MS),
                credits: mine,
            },
            io,
        )?;
        task.start();
        Ok(task)
    }
}
