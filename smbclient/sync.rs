// SPDX-License-Identifier: GPL-2.0
//! Synchronous calls: a task run to its end in the caller's context
//! (TASK_KILLABLE), for the typed synchronous operations and the C ABI's
//! `smb_call_sync`.
#![forbid(unsafe_code)]

use crate::clnt::ClntCore;
use crate::kext::iter::KernelIter;
use crate::proto::header::Command;
use crate::task::{Task, TaskArgs, TaskOp, TaskOwner, TaskResult, ASYNC};
use kernel::alloc::{flags::GFP_KERNEL, KBox, KVec};
use kernel::error::{Error, Result};
use kernel::sync::Arc;

/// An owner that only waits (the synchronous calls of this module).
pub(crate) struct Waiting;

impl TaskOwner for Waiting {
    fn done(&self, _task: &Arc<Task>, _out: &mut Option<TaskResult>) {}
}

impl ClntCore {
    /// Runs `args` synchronously (in the caller's context, killably).
    /// Fails only if nothing came back; each operation's status is in the
    /// result. The iterators come back in the result, or in `Err`'s pair.
    pub(crate) fn run_sync(
        self: &Arc<Self>,
        mut args: TaskArgs,
    ) -> core::result::Result<
        TaskResult,
        (
            Error,
            Option<KernelIter<'static>>,
            Option<KernelIter<'static>>,
        ),
    > {
        args.flags &= !ASYNC;
        let owner: KBox<dyn TaskOwner> = match KBox::new(Waiting, GFP_KERNEL) {
            Ok(o) => o,
            Err(e) => return Err((e.into(), args.send, args.recv)),
        };
        let (send, recv) = (args.send.take(), args.recv.take());
        let ops = core::mem::take(&mut args.ops);
        let t = Task::new(
            self,
            TaskArgs {
                ops,
                send,
                recv,
                flags: args.flags,
                timeout_ms: args.timeout_ms,
                credits: None,
            },
            owner,
        );
        let t = match t {
            Ok(t) => t,
            Err(e) => return Err((e, None, None)),
        };
        t.start();
        match t.take_result() {
            Ok(TaskResult {
                result: Ok(()),
                ops,
                reply,
                send,
                recv,
            }) => Ok(TaskResult {
                result: Ok(()),
                ops,
                reply,
                send,
                recv,
            }),
            Ok(TaskResult {
                result: Err(e),
                send,
                recv,
                ..
            }) => Err((e, send, recv)),
            Err(e) => Err((e, None, None)),
        }
    }

    /// One request PDU (`req`, header space included), synchronously; its
    /// reply (header included), at most `rsp_room` bytes kept. `flags`:
    /// `REPLAYABLE`.
    pub(crate) fn call_one(
        self: &Arc<Self>,
        req: &[u8],
        command: Command,
        credit_charge: u16,
        flags: u32,
        rsp_room: usize,
        timeout_ms: Option<u32>,
    ) -> Result<KVec<u8>> {
        let mut buf = KVec::with_capacity(req.len(), GFP_KERNEL)?;
        buf.extend_from_slice(req, GFP_KERNEL)?;
        let r = self.run_one(buf, command, credit_charge, flags, rsp_room, timeout_ms)?;
        let mut out = KVec::with_capacity(r.rsp(0).len(), GFP_KERNEL)?;
        out.extend_from_slice(r.rsp(0), GFP_KERNEL)?;
        Ok(out)
    }

    /// [`ClntCore::call_one`] of a request the caller built, leaving the
    /// reply in the task's result (no copy).
    pub(crate) fn run_one(
        self: &Arc<Self>,
        req: KVec<u8>,
        command: Command,
        credit_charge: u16,
        flags: u32,
        rsp_room: usize,
        timeout_ms: Option<u32>,
    ) -> Result<TaskResult> {
        let ops = one_op(TaskOp::new(command.to_u16(), credit_charge, req, rsp_room))?;
        self.run_sync(TaskArgs {
            ops,
            send: None,
            recv: None,
            flags,
            timeout_ms,
            credits: None,
        })
        .map_err(|(e, _, _)| e)
    }
}

/// A task's operations: just `op`.
pub(crate) fn one_op(op: TaskOp) -> Result<KVec<TaskOp>> {
    let mut ops = KVec::with_capacity(1, GFP_KERNEL)?;
    ops.push(op, GFP_KERNEL)?;
    Ok(ops)
}
