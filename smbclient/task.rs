// SPDX-License-Identifier: GPL-2.0
//! Tasks: one request, or a compound of several (MS-SMB2 3.2.4.1.4), on a
//! handle, driven as sunrpc drives an `rpc_task` (`net/sunrpc/clnt.c`): a
//! chain of small steps, each naming the next.
//!
//! ```text
//!   call_start ─> call_refresh ─> call_encode ─> call_reserve ─> call_transmit ─> call_status ─> call_decode ─> done
//!                   ^  (session and tree      (stamp SessionId,  (credits:       (out from the    (the result)   (split the reply;
//!                   │   current: waits for a   TreeId, REPLAY;    may wait)       caller's context)                 a gone session
//!                   │   re-authentication)     sign or seal)                                                         or tree: again)
//!                   │                                                                 │
//!                   └──── nothing went out (ENOTCONN, ENOKEY), or it went out, the ───┘
//!                         connection was lost and the task may be replayed (ECONNRESET)
//! ```
//!
//! A synchronous task runs its steps in the caller's context and sleeps
//! (TASK_KILLABLE, within its timeout) where a step must wait for the
//! transport. An asynchronous one runs its first steps in the caller's
//! context too, up to its send when the session is ready (no workqueue
//! hop), and the rest where the transport wakes it, on smbiod; a step
//! that finds a re-authentication in progress parks the task on the
//! session, which resumes it on smbclient's workqueue when it is over (no
//! worker waits), and one that finds a tree connect due is deferred to
//! that workqueue: neither is waited for in the starter or on smbiod. A synchronous task killed or timed out while its
//! request is out cancels it: the transport asks the server to drop it and
//! hands a late reply to the session (which closes an open nobody holds,
//! see `late.rs`). An asynchronous task's timeout bounds its waits for
//! credits and the connection; once its request is out, the transport's
//! request timer (soft) or probes (hard) decide.
//!
//! The caller lays out each operation's request (the first 64 bytes are
//! the header, filled in here: command, credit charge, SessionId, TreeId,
//! NextCommand and the related flag) and gives each the room its reply may
//! take; the reply frame is split back into the operations.
#![forbid(unsafe_code)]

use crate::clnt::{ClntCore, Drain, Parking};
use crate::compound::{emit_headers, read_split, request_parts, split_reply};
pub(crate) use crate::compound::{TaskOp, TaskResult, MAX_OPS};
use crate::kext::iter::KernelIter;
use crate::kext::sync::wait::{WaitOutcome, WaitQueue};
use crate::proto::header::{clear_signature, flags, header_flags, set_header_flags, HEADER_LEN};
use crate::proto::status::code;
use crate::session::Session;
use crate::smb_xprt::{CallOps, Reserved, XprtCall};
use core::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use kernel::alloc::{flags::GFP_KERNEL, KBox, KVVec, KVec};
use kernel::error::{code::*, Error, Result};
use kernel::list::{AtomicTracker, ListLinks, TryNewListArc};
use kernel::prelude::*;
use kernel::sync::{new_mutex, Arc, Mutex};
use kernel::time::{msecs_to_jiffies, Delta, Instant, Jiffies, Monotonic};
use kernel::workqueue::{impl_has_work, new_work, Work, WorkItem};

/// `SMB_TASK_REPLAYABLE`: safe to send again after a lost connection.
pub(crate) const REPLAYABLE: u32 = 0x2;
/// `SMB_TASK_ASYNC`: the caller does not wait.
pub(crate) const ASYNC: u32 = 0x1;

/// SMB2_FLAGS_REPLAY_OPERATION (MS-SMB2 2.2.1.2).
const REPLAY_OPERATION: u32 = 0x2000_0000;

/// `Task::result` before the task is over.
const NOT_OVER: i32 = 1;

/// At most this many times a task goes back to `call_refresh` for a
/// reason other than a lost connection (a session or tree the server
/// forgot, keys of a lost connection).
const MAX_REFRESHES: u32 = 3;

/// Who started a task: told when it is over.
pub(crate) trait TaskOwner: Send + Sync {
    /// Before the first step (`smb_task_ops->prepare`).
    fn prepare(&self, _task: &Arc<Task>) {}

    /// The task is over ([`Task::result`]): `out` holds what it leaves (the
    /// owner takes what it wants; the rest stays for [`Task::take_result`]).
    /// A synchronous task's owner is told in the caller's context, an
    /// asynchronous one's on smbiod (or smbclient's workqueue), with no lock
    /// of the task held. Called once.
    fn done(&self, task: &Arc<Task>, out: &mut Option<TaskResult>);
}

/// A task's steps (`tk_action`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Action {
    Start,
    Refresh,
    Encode,
    Reserve,
    Transmit,
    Status,
    Decode,
    /// The owner gave the task up (`smb_task_cancel`).
    Cancel,
    Done,
}

/// What a step leaves for the loop.
enum Step {
    /// Go on with this step.
    Next(Action),
    /// Wait for the transport's wake.
    Wait,
    /// Run the rest on smbclient's workqueue (a step that may block).
    Defer,
    /// Parked on its session until a re-authentication is over; resumed
    /// from there (asynchronous tasks only).
    Park,
    /// Over.
    Done(Result),
}

/// The state the steps work on, under `Task::st`.
pub(crate) struct TaskSt {
    action: Action,
    pub(crate) ops: KVec<TaskOp>,
    /// Padding after each PDU but the last (8-byte alignment).
    pads: [[u8; 8]; MAX_OPS],
    /// A WRITE's payload, and a READ's destination; given back when done.
    pub(crate) send: Option<KernelIter<'static>>,
    pub(crate) recv: Option<KernelIter<'static>>,
    call: Option<XprtCall<Task>>,
    /// The session and TreeId of the current attempt.
    session: Option<Arc<Session>>,
    tree_id: u32,
    /// SMB_XPRT_CALL_* of the current attempt.
    xflags: u32,
    /// Went out before on a connection that was lost: say so next time.
    replay: bool,
    refreshes: u32,
    prepared: bool,
    /// Credits reserved for the task; what its charge leaves goes back
    /// when it ends.
    credits: Option<Reserved>,
}

impl TaskSt {
    /// Gives the transport call up (`smb_xprt_cancel`: a request out is
    /// cancelled on the server) and takes the destination iterator back.
    fn give_up_call(&mut self) {
        if let Some(it) = self.call.as_mut().and_then(|c| c.cancel()) {
            self.recv = Some(it);
        }
    }
}

/// A task.
#[pin_data]
pub(crate) struct Task {
    pub(crate) clnt: Arc<ClntCore>,
    /// The handle's count of running tasks: entered until `done` returns.
    drain: Arc<Drain>,
    flags: u32,
    deadline: Option<Instant<Monotonic>>,
    owner: KBox<dyn TaskOwner>,
    #[pin]
    st: Mutex<TaskSt>,
    /// Sleeps of a synchronous task; woken by the transport.
    woken: AtomicBool,
    #[pin]
    wq: WaitQueue,
    /// The result (`NOT_OVER` until the task is over, then 0 or an errno),
    /// readable without `st`, which the transport's wake may wait behind.
    result: AtomicI32,
    /// What the owner's `done` left of the task's results.
    #[pin]
    leftover: Mutex<Option<TaskResult>>,
    /// Set once `done` has returned.
    finished: AtomicBool,
    /// The error a cancel ends the task with (`ECANCELED`, or `EIO` for
    /// an abort).
    cancel_error: AtomicI32,
    #[pin]
    done_wq: WaitQueue,
    /// Steps of an asynchronous task that run on smbclient's workqueue.
    #[pin]
    work: Work<Task>,
    /// Its place among the tasks parked on a session being set up again.
    #[pin]
    park_links: ListLinks<0>,
    #[pin]
    park_tracker: AtomicTracker<0>,
}

impl_has_work! {
    impl HasWork<Self> for Task { self.work }
}

kernel::list::impl_list_arc_safe! {
    impl ListArcSafe<0> for Task { tracked_by park_tracker: AtomicTracker<0>; }
}

kernel::list::impl_list_item! {
    impl ListItem<0> for Task { using ListLinks { self.park_links }; }
}

impl WorkItem for Task {
    type Pointer = Arc<Task>;

    fn run(this: Arc<Task>) {
        let _nofs = crate::kext::nofs::NofsScope::enter();
        this.execute(true);
    }
}

#[vtable]
impl CallOps for Task {
    const SPLIT_HEAD: u32 = crate::proto::file_io::READ_RESPONSE_PREFIX_LEN as u32;

    fn wake(this: Arc<Self>) {
        if this.flags & ASYNC == 0 {
            // Synchronous: the caller sleeps; this may run in softirq.
            this.woken.store(true, Ordering::Release);
            this.wq.wake_all();
            return;
        }
        // Asynchronous, on smbiod: go on here, unless a step of this task
        // runs elsewhere right now (then the rest is deferred to
        // smbclient's workqueue).
        let _nofs = crate::kext::nofs::NofsScope::enter();
        this.execute(false);
    }

    fn split(
        _this: kernel::sync::ArcBorrow<'_, Self>,
        head: &[u8],
        frame_len: usize,
    ) -> Option<(u32, u32)> {
        read_split(head, frame_len)
    }
}

/// NT statuses that say the session or the tree went with a reconnect:
/// the server did not run the request, so it may go again.
const STALE_STATUSES: [u32; 3] = [
    code::STATUS_USER_SESSION_DELETED,
    code::STATUS_NETWORK_SESSION_EXPIRED,
    code::STATUS_NETWORK_NAME_DELETED,
];

/// What a new task is.
pub(crate) struct TaskArgs {
    pub(crate) ops: KVec<TaskOp>,
    pub(crate) send: Option<KernelIter<'static>>,
    pub(crate) recv: Option<KernelIter<'static>>,
    /// `ASYNC`, `REPLAYABLE`.
    pub(crate) flags: u32,
    pub(crate) timeout_ms: Option<u32>,
    /// Credits reserved for it (`ClntCore::reserve`): charged first.
    pub(crate) credits: Option<Reserved>,
}

impl Task {
    /// A task on `clnt`'s handle, not started.
    pub(crate) fn new(
        clnt: &Arc<ClntCore>,
        args: TaskArgs,
        owner: KBox<dyn TaskOwner>,
    ) -> Result<Arc<Self>> {
        let n = args.ops.len();
        if n == 0 || n > MAX_OPS || args.flags & !(ASYNC | REPLAYABLE) != 0 {
            return Err(EINVAL);
        }
        let _nofs = crate::kext::nofs::NofsScope::enter();
        let mut ops = args.ops;
        emit_headers(&mut ops)?;
        let drain = clnt.tasks.clone();
        drain.enter();
        let for_task = drain.clone();
        let t = Arc::pin_init(
            pin_init!(Self {
                clnt: clnt.clone(),
                drain: for_task,
                flags: args.flags,
                deadline: args
                    .timeout_ms
                    .map(|ms| Instant::<Monotonic>::now() + Delta::from_millis(i64::from(ms))),
                owner,
                st <- new_mutex!(TaskSt {
                    action: Action::Start,
                    ops,
                    pads: [[0; 8]; MAX_OPS],
                    send: args.send,
                    recv: args.recv,
                    call: None,
                    session: None,
                    tree_id: 0,
                    xflags: 0,
                    replay: false,
                    refreshes: 0,
                    prepared: false,
                    credits: args.credits,
                }, "Task::st"),
                woken: AtomicBool::new(false),
                wq <- crate::new_wait_queue!("Task::wq"),
                result: AtomicI32::new(NOT_OVER),
                leftover <- new_mutex!(None, "Task::leftover"),
                finished: AtomicBool::new(false),
                cancel_error: AtomicI32::new(ECANCELED.to_errno()),
                done_wq <- crate::new_wait_queue!("Task::done_wq"),
                work <- new_work!("Task::work"),
                park_links <- ListLinks::new(),
                park_tracker <- AtomicTracker::new(),
            }),
            GFP_KERNEL,
        );
        let t = t.and_then(|t| drain.track(&t).map(|()| t));
        if t.is_err() {
            drain.leave();
        }
        t
    }

    /// Runs the task: a synchronous one to its end, in the caller's
    /// context; an asynchronous one as far as it goes without waiting. An
    /// asynchronous task never waits in its starter, not even for a
    /// re-authentication (it parks) or a tree connect (that step goes on
    /// from smbclient's workqueue), so it may be started from anywhere in
    /// process context: writeback, a netfs worker, smbiod (another task's
    /// `done`).
    pub(crate) fn start(self: &Arc<Self>) {
        // What the first steps allocate must not recurse into a file
        // system whose writeback may be what started the task.
        let _nofs = crate::kext::nofs::NofsScope::enter();
        self.execute(self.flags & ASYNC == 0);
    }

    /// The task's result, once it is over.
    pub(crate) fn result(&self) -> Option<Result> {
        match self.result.load(Ordering::Acquire) {
            NOT_OVER => None,
            0 => Some(Ok(())),
            e => Some(Err(Error::from_errno(e))),
        }
    }

    /// Whether `done` has returned.
    pub(crate) fn is_finished(&self) -> bool {
        self.finished.load(Ordering::Acquire)
    }

    /// Sleeps (TASK_KILLABLE) until the task is over; `EINTR` if killed
    /// first (the task goes on).
    pub(crate) fn wait(&self) -> Result {
        match self.done_wq.wait_killable(|| self.is_finished()) {
            WaitOutcome::Killed => Err(EINTR),
            _ => self.result().unwrap_or(Err(EINVAL)),
        }
    }

    /// The owner gives the task up (`smb_task_cancel`): a request out is
    /// cancelled on the server (SMB2 CANCEL, MS-SMB2 3.2.4.24) and its
    /// destination is let go at once; the task is over with `ECANCELED`,
    /// its `done` called where a woken step of it runs (a synchronous
    /// task's caller, else smbclient's workqueue). May sleep while a step
    /// of the task runs. False if it was over already.
    pub(crate) fn cancel(self: &Arc<Self>) -> bool {
        let mut st = self.st.lock();
        if matches!(st.action, Action::Done | Action::Cancel) {
            return false;
        }
        st.action = Action::Cancel;
        // The transport never wakes the task again: what waited on it
        // (credits, the reply) is over now.
        st.give_up_call();
        drop(st);
        if self.flags & ASYNC == 0 {
            self.woken.store(true, Ordering::Release);
            self.wq.wake_all();
        } else {
            self.defer();
        }
        true
    }

    /// The handle is aborted (`smb_clnt_abort`): as [`Task::cancel`], the
    /// task ending with `EIO`.
    pub(crate) fn abort(self: &Arc<Self>) {
        self.cancel_error.store(EIO.to_errno(), Ordering::Release);
        self.cancel();
    }

    /// The loop of `__rpc_execute`: runs steps until one waits. `may_block`:
    /// the caller may sleep for a re-authentication (a synchronous task's
    /// caller, smbclient's workqueue), else such a step is deferred.
    fn execute(self: &Arc<Self>, may_block: bool) {
        let sync = self.flags & ASYNC == 0;
        loop {
            let mut st = if sync || may_block {
                self.st.lock()
            } else {
                // Woken on smbiod while a step of this task runs elsewhere
                // (a cancel, a deferred step): that one goes on from here.
                match self.st.try_lock() {
                    Some(g) => g,
                    None => {
                        self.defer();
                        return;
                    }
                }
            };
            if st.action == Action::Done {
                return;
            }
            let step = match st.action {
                Action::Start => self.call_start(&mut st),
                Action::Refresh => self.call_refresh(&mut st, sync || may_block),
                Action::Encode => self.call_encode(&mut st),
                Action::Reserve => self.call_reserve(&mut st),
                Action::Transmit => self.call_transmit(&mut st),
                Action::Status => self.call_status(&mut st),
                Action::Decode => self.call_decode(&mut st),
                Action::Cancel => self.call_cancel(&mut st),
                Action::Done => return,
            };
            match step {
                Step::Next(a) => st.action = a,
                Step::Done(r) => {
                    self.conclude(st, r);
                    return;
                }
                Step::Defer => {
                    drop(st);
                    self.defer();
                    return;
                }
                Step::Wait | Step::Park if !sync => return,
                // A synchronous task never parks (it waits in place).
                Step::Park => {
                    self.conclude(st, Err(EINVAL));
                    return;
                }
                Step::Wait => {
                    drop(st);
                    if let Err(e) = self.sleep() {
                        // Killed or out of time while the request waited:
                        // give it up (the transport cancels it on the
                        // server and keeps a late reply for the session).
                        let mut st = self.st.lock();
                        st.give_up_call();
                        self.conclude(st, Err(e));
                        return;
                    }
                }
            }
        }
    }

    /// A synchronous task sleeps until the transport wakes it.
    fn sleep(&self) -> Result {
        let left = self.remaining();
        if left == Some(0) {
            return Err(ETIMEDOUT);
        }
        let outcome = self
            .wq
            .wait_killable_timeout(left, || self.woken.swap(false, Ordering::AcqRel));
        match outcome {
            WaitOutcome::Ready => Ok(()),
            WaitOutcome::Killed => Err(EINTR),
            WaitOutcome::TimedOut => Err(ETIMEDOUT),
        }
    }

    /// Jiffies left before the task's deadline (`None`: none).
    fn remaining(&self) -> Option<Jiffies> {
        self.deadline.map(|at| {
            let ms = (at - Instant::<Monotonic>::now()).as_millis().max(0);
            msecs_to_jiffies(u32::try_from(ms).unwrap_or(u32::MAX))
        })
    }

    fn remaining_ms(&self) -> Option<u32> {
        self.deadline.map(|at| {
            let ms = (at - Instant::<Monotonic>::now()).as_millis().max(0);
            u32::try_from(ms).unwrap_or(u32::MAX)
        })
    }

    fn expired(&self) -> bool {
        self.remaining_ms() == Some(0)
    }

    /// Resumes a task parked on its session (smbclient's workqueue).
    pub(crate) fn resume(self: Arc<Self>) {
        self.defer();
    }

    /// The rest runs on smbclient's workqueue.
    fn defer(self: &Arc<Self>) {
        let queued = crate::TASKQ
            .get()
            .is_some_and(|q| q.0.enqueue::<Arc<Task>, 0>(self.clone()).is_ok());
        if !queued && crate::TASKQ.get().is_none() {
            let st = self.st.lock();
            self.conclude(st, Err(ENODEV));
        }
    }

    /// The task is over with `r`: takes its results out of `st`, lets `st`
    /// go, tells the owner, then lets the handle go (`smb_clnt_release`
    /// waits for this) and wakes waiters.
    fn conclude(self: &Arc<Self>, mut st: kernel::sync::MutexGuard<'_, TaskSt>, r: Result) {
        st.action = Action::Done;
        // What the charge did not take goes back now.
        st.credits = None;
        let reply = match st.call.as_mut() {
            Some(c) if r.is_ok() => c.take_reply(),
            _ => KVVec::new(),
        };
        let mut out = Some(TaskResult {
            result: r,
            ops: if r.is_ok() {
                core::mem::take(&mut st.ops)
            } else {
                KVec::new()
            },
            reply,
            send: st.send.take(),
            recv: st.recv.take(),
        });
        drop(st);
        self.result
            .store(r.err().map_or(0, |e| e.to_errno()), Ordering::Release);
        self.owner.done(self, &mut out);
        *self.leftover.lock() = out;
        self.finished.store(true, Ordering::Release);
        self.done_wq.wake_all();
        self.drain.untrack(self);
        self.drain.leave();
    }

    // --- The steps. ------------------------------------------------------

    /// `call_cancel`: given up by its owner.
    fn call_cancel(self: &Arc<Self>, st: &mut TaskSt) -> Step {
        // Given up already by `cancel`; a no-op unless a step began a new
        // attempt since.
        st.give_up_call();
        Step::Done(Err(Error::from_errno(
            self.cancel_error.load(Ordering::Acquire),
        )))
    }

    /// `call_start`: the owner's `prepare`, once.
    fn call_start(self: &Arc<Self>, st: &mut TaskSt) -> Step {
        if !st.prepared {
            st.prepared = true;
            self.owner.prepare(self);
        }
        Step::Next(Action::Refresh)
    }

    /// `call_refresh`: the session and the tree to send on, set up again
    /// after a reconnect if need be.
    fn call_refresh(self: &Arc<Self>, st: &mut TaskSt, may_block: bool) -> Step {
        if self.expired() {
            return Step::Done(Err(ETIMEDOUT));
        }
        let current = if may_block {
            self.clnt.current(self.remaining_ms()).map(Some)
        } else {
            self.clnt.current_now()
        };
        match current {
            Ok(Some((session, tree_id))) => {
                st.session = Some(session);
                st.tree_id = tree_id;
                Step::Next(Action::Encode)
            }
            // A re-authentication is on: park until it is over, so that
            // no worker waits for it (many tasks may). A tree connect is
            // due: smbclient's workqueue makes it.
            Ok(None) => match self.clnt.park(self) {
                Ok(Parking::Parked) => Step::Park,
                Ok(Parking::Ready) => Step::Next(Action::Refresh),
                Ok(Parking::TreeDue) => Step::Defer,
                Err(e) => Step::Done(Err(e)),
            },
            Err(e) => Step::Done(Err(e)),
        }
    }

    /// `call_encode`: SessionId, TreeId, the replay flag and the signing
    /// or sealing of this attempt.
    fn call_encode(self: &Arc<Self>, st: &mut TaskSt) -> Step {
        let Some(session) = st.session.clone() else {
            return Step::Next(Action::Refresh);
        };
        let r = (|| -> Result<u32> {
            let replay = st.replay && session.dialect >= 0x0300;
            for op in st.ops.iter_mut() {
                let mut f = header_flags(&op.req).map_err(|_| EINVAL)?;
                // A former attempt's signature (the transport signs again).
                f &= !flags::SIGNED;
                if replay {
                    f |= REPLAY_OPERATION;
                }
                set_header_flags(&mut op.req, f).map_err(|_| EINVAL)?;
                clear_signature(&mut op.req).map_err(|_| EINVAL)?;
            }
            let first = st.ops.first_mut().ok_or(EINVAL)?;
            let asks = first.signs;
            session.stamp_ops(&mut st.ops, st.tree_id)?;
            let mut xflags = self.clnt.flags_for(&session)?;
            if xflags & crate::bindings::SMB_XPRT_CALL_SEAL == 0 && session.signs_request(asks) {
                xflags |= crate::bindings::SMB_XPRT_CALL_SIGN;
            }
            Ok(xflags)
        })();
        match r {
            Ok(xflags) => {
                st.xflags = xflags;
                if st.call.is_none() {
                    let room = st
                        .ops
                        .iter()
                        .try_fold(0usize, |n, op| {
                            n.checked_add(op.rsp_room.max(HEADER_LEN + 16))?
                                .checked_add(8)
                        })
                        .unwrap_or(usize::MAX);
                    match XprtCall::new(session.xprt.clone(), room, self.flags & ASYNC == 0) {
                        Ok(c) => st.call = Some(c),
                        Err(e) => return Step::Done(Err(e)),
                    }
                }
                Step::Next(Action::Reserve)
            }
            Err(e) => Step::Done(Err(e)),
        }
    }

    /// `call_reserve`: credits and MessageIds (the transport parks the task
    /// until they come).
    fn call_reserve(self: &Arc<Self>, st: &mut TaskSt) -> Step {
        if self.expired() {
            return Step::Done(Err(ETIMEDOUT));
        }
        let xflags = st.xflags;
        let TaskSt {
            ops,
            pads,
            call,
            credits,
            ..
        } = st;
        let Some(call) = call.as_mut() else {
            return Step::Done(Err(EINVAL));
        };
        let mut parts: [&mut [u8]; 2 * MAX_OPS] = Default::default();
        let nr = request_parts(ops, pads, &mut parts);
        match call.charge(self, &mut parts[..nr], xflags, credits.as_mut()) {
            Ok(true) => Step::Next(Action::Transmit),
            Ok(false) => Step::Wait,
            Err(e) => Step::Done(Err(e)),
        }
    }

    /// `call_transmit`: out it goes, from the current context.
    fn call_transmit(self: &Arc<Self>, st: &mut TaskSt) -> Step {
        let TaskSt {
            ops,
            pads,
            call,
            send,
            recv,
            refreshes,
            ..
        } = st;
        let Some(c) = call.as_mut() else {
            return Step::Done(Err(EINVAL));
        };
        if let Some(s) = send.as_mut() {
            s.rewind();
        }
        let mut dest = recv.take();
        if let Some(d) = dest.as_mut() {
            d.rewind();
        }
        let mut parts: [&mut [u8]; 2 * MAX_OPS] = Default::default();
        let nr = request_parts(ops, pads, &mut parts);
        match c.send(&mut parts[..nr], send.as_mut(), dest) {
            Ok(()) => Step::Next(Action::Status),
            // Nothing went out: the connection changed, or the session's
            // keys belong to a lost one. Set it up again and go again.
            Err((e, back)) => {
                *recv = back;
                if (e == ENOTCONN || e == ENOKEY) && *refreshes < MAX_REFRESHES {
                    *refreshes += 1;
                    Step::Next(Action::Refresh)
                } else {
                    Step::Done(Err(e))
                }
            }
        }
    }

    /// `call_status`: the transport's verdict.
    fn call_status(self: &Arc<Self>, st: &mut TaskSt) -> Step {
        let Some(c) = st.call.as_mut() else {
            return Step::Done(Err(EINVAL));
        };
        let outcome = match c.finish() {
            Ok(o) => o,
            Err(e) if e == EINPROGRESS => return Step::Wait,
            Err(e) => return Step::Done(Err(e)),
        };
        if outcome.recv.is_some() {
            st.recv = outcome.recv;
        }
        match outcome.result {
            Ok(_) => Step::Next(Action::Decode),
            Err(e) if e == ENOTCONN || e == ENOKEY => {
                if st.refreshes >= MAX_REFRESHES {
                    return Step::Done(Err(e));
                }
                st.refreshes += 1;
                Step::Next(Action::Refresh)
            }
            // It went out and the connection went: the server may have
            // acted on it. Only a replayable request goes again, marked as
            // a replay, with the session the reconnect sets up (MS-SMB2
            // 3.2.4.1.1); anything else is an I/O error whose outcome is
            // unknown.
            Err(e) if e == ECONNRESET => {
                if self.flags & REPLAYABLE != 0 && !self.expired() {
                    st.replay = true;
                    crate::stats::ClntStats::inc(&crate::stats::STATS.replays);
                    Step::Next(Action::Refresh)
                } else {
                    Step::Done(Err(EIO))
                }
            }
            Err(e) => Step::Done(Err(e)),
        }
    }

    /// `call_decode`: the reply into the operations; a session or tree the
    /// server no longer knows sends the task back to `call_refresh`.
    fn call_decode(self: &Arc<Self>, st: &mut TaskSt) -> Step {
        let TaskSt {
            ops,
            call,
            session,
            refreshes,
            ..
        } = st;
        let Some(c) = call.as_ref() else {
            return Step::Done(Err(EINVAL));
        };
        if let Err(e) = split_reply(c.reply(), ops) {
            return Step::Done(Err(e));
        }
        let status = ops.first().map_or(0, |o| o.status);
        if STALE_STATUSES.contains(&status) && *refreshes < MAX_REFRESHES {
            *refreshes += 1;
            if let Some(s) = session.take() {
                self.clnt.forget(&s, status);
            }
            return Step::Next(Action::Refresh);
        }
        Step::Done(Ok(()))
    }
}

impl Task {
    /// Takes what the owner left of a task that is over (`EINPROGRESS`
    /// before; `EINVAL` if taken already).
    pub(crate) fn take_result(&self) -> Result<TaskResult> {
        if !self.is_finished() {
            return Err(EINPROGRESS);
        }
        self.leftover.lock().take().ok_or(EINVAL)
    }
}
