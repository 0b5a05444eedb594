// SPDX-License-Identifier: GPL-2.0
//! Running typed operations (`typed.rs`): one request, or a compound of up
//! to five (MS-SMB2 3.2.4.1.4) whose operations after the first are
//! related, so that [`RELATED`](crate::typed::RELATED) chains the FileId
//! of a CREATE into the operations after it (CREATE+QUERY_INFO+CLOSE,
//! CREATE+SET_INFO+CLOSE, CREATE+QUERY_DIRECTORY+QUERY_DIRECTORY, ...);
//! synchronously in the caller's context, or asynchronously with a typed
//! completion ([`ReqOwner`]) from the reply path. The request goes out
//! from the caller's context when the session is ready.
#![forbid(unsafe_code)]

use crate::clnt::ClntCore;
use crate::ops::OP_TIMEOUT_MS;
use crate::task::{Task, TaskArgs, TaskOp, TaskOwner, TaskResult, ASYNC, MAX_OPS, REPLAYABLE};
use crate::typed::{Op, OpOut, RELATED};
use kernel::alloc::{flags::GFP_KERNEL, KBox, KVec};
use kernel::error::{code::*, Result};
use kernel::sync::Arc;

/// What a request of typed operations leaves.
pub(crate) struct ReqOutcome {
    /// The transport's verdict: `Ok` once a reply came; each operation's
    /// own result is then in [`ReqOutcome::out`].
    pub(crate) result: Result,
    outs: [Option<Result<OpOut>>; MAX_OPS],
    task: Option<TaskResult>,
}

impl ReqOutcome {
    fn failed(e: kernel::error::Error) -> Self {
        Self {
            result: Err(e),
            outs: Default::default(),
            task: None,
        }
    }

    /// Operation `i`'s outcome: the transport's error if no reply came,
    /// else its own.
    pub(crate) fn out(&self, i: usize) -> Result<&OpOut> {
        self.result?;
        match self.outs.get(i) {
            Some(Some(Ok(o))) => Ok(o),
            Some(Some(Err(e))) => Err(*e),
            _ => Err(EINVAL),
        }
    }

    /// The bytes an operation's reply returned (QUERY_INFO's answer,
    /// QUERY_DIRECTORY's entries, IOCTL's output); empty otherwise.
    pub(crate) fn bytes(&self, i: usize) -> &[u8] {
        match (self.out(i), self.task.as_ref()) {
            (Ok(OpOut::Bytes(r)), Some(t)) => t.rsp(i).get(r.clone()).unwrap_or(&[]),
            _ => &[],
        }
    }
}

/// Who started an asynchronous request of typed operations. `done` is
/// called once, where [`Task`] says (smbiod for a reply, smbclient's
/// workqueue for a step that waited there or a cancel, the starter if it
/// failed before anything was sent); it may start other requests.
pub(crate) trait ReqOwner: Send + Sync {
    /// The request is over.
    fn done(&self, task: &Arc<Task>, out: ReqOutcome);
}

/// The owner of the task: reads the replies and tells the caller's owner.
struct ReqTask {
    ops: KVec<Op>,
    owner: KBox<dyn ReqOwner>,
}

impl TaskOwner for ReqTask {
    fn done(&self, task: &Arc<Task>, out: &mut Option<TaskResult>) {
        let outcome = decode(&task.clnt, &self.ops, out.take());
        self.owner.done(task, outcome);
    }
}

/// The outcome of `ops` from their task's result; opens that got an
/// oplock, and were not closed by the same compound, are remembered for
/// the default break acknowledgement.
fn decode(clnt: &ClntCore, ops: &[Op], r: Option<TaskResult>) -> ReqOutcome {
    let Some(r) = r else {
        return ReqOutcome::failed(EINVAL);
    };
    if let Err(e) = r.result {
        return ReqOutcome::failed(e);
    }
    let mut outs: [Option<Result<OpOut>>; MAX_OPS] = Default::default();
    for (i, op) in ops.iter().enumerate().take(MAX_OPS) {
        outs[i] = Some(op.decode(r.rsp(i)));
    }
    for i in 0..ops.len() {
        let Some(Some(Ok(OpOut::Create(c)))) = outs.get(i) else {
            continue;
        };
        let closed = ops.iter().zip(outs.iter()).skip(i + 1).any(|(o, out)| {
            matches!(o, Op::Close { fid, .. } if *fid == RELATED) && matches!(out, Some(Ok(_)))
        });
        if c.oplock_level != 0 && !closed {
            clnt.remember_open(r.rsp(i), c.fid, c.oplock_level);
        }
    }
    ReqOutcome {
        result: Ok(()),
        outs,
        task: Some(r),
    }
}

/// The task's operations for `ops`, and its flags.
fn prepare(clnt: &ClntCore, ops: &[Op]) -> Result<(KVec<TaskOp>, u32, Option<u32>)> {
    if ops.is_empty() || ops.len() > MAX_OPS {
        return Err(EINVAL);
    }
    // Only an operation after the first may name the related file.
    if ops.first().and_then(Op::fid) == Some(RELATED) {
        return Err(EINVAL);
    }
    // The session's: the transport may be reconnecting (the request then
    // waits for it).
    let max_transact = clnt.session().max_transact as usize;
    let mut out = KVec::with_capacity(ops.len(), GFP_KERNEL)?;
    for op in ops {
        out.push(op.encode(max_transact)?, GFP_KERNEL)?;
        // A CLOSE sent by its owner: no default acknowledgement for it.
        if let Op::Close { fid, .. } = op {
            if *fid != RELATED {
                clnt.forget_open(*fid);
            }
        }
    }
    let flags = if ops.iter().all(Op::replayable) {
        REPLAYABLE
    } else {
        0
    };
    // A blocking lock waits as long as the range is held (killably).
    let timeout = if ops.iter().any(Op::may_block) {
        None
    } else {
        Some(OP_TIMEOUT_MS)
    };
    Ok((out, flags, timeout))
}

impl ClntCore {
    /// Runs `ops` (one request, or a compound) in the caller's context,
    /// killably.
    pub(crate) fn run_ops(self: &Arc<Self>, ops: &[Op]) -> ReqOutcome {
        let (task_ops, flags, timeout_ms) = match prepare(self, ops) {
            Ok(v) => v,
            Err(e) => return ReqOutcome::failed(e),
        };
        let r = self.run_sync(TaskArgs {
            ops: task_ops,
            send: None,
            recv: None,
            flags,
            timeout_ms,
            credits: None,
        });
        match r {
            Ok(r) => decode(self, ops, Some(r)),
            Err((e, _, _)) => ReqOutcome::failed(e),
        }
    }

    /// Starts `ops` (one request, or a compound); `owner.done` gets the
    /// outcome. Errors: nothing was started (and `owner` is dropped).
    pub(crate) fn start_ops(
        self: &Arc<Self>,
        ops: KVec<Op>,
        owner: KBox<dyn ReqOwner>,
    ) -> Result<Arc<Task>> {
        // Started from writeback or a netfs worker: nothing allocated here
        // may recurse into the file system.
        let _nofs = crate::kext::nofs::NofsScope::enter();
        let (task_ops, flags, timeout_ms) = prepare(self, &ops)?;
        let owner: KBox<dyn TaskOwner> = KBox::new(ReqTask { ops, owner }, GFP_KERNEL)?;
        let task = Task::new(
            self,
            TaskArgs {
                ops: task_ops,
                send: None,
                recv: None,
                flags: flags | ASYNC,
                timeout_ms,
                credits: None,
            },
            owner,
        )?;
        task.start();
        Ok(task)
    }
}
