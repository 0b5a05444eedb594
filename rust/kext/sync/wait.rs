// SPDX-License-Identifier: GPL-2.0
//! Wait queues (`struct wait_queue_head`) with the waits the `kernel` crate's
//! `CondVar` lacks: killable, killable with a timeout, uninterruptible with a
//! timeout, all on a condition closure rather than a lock guard.
//!
//! The waits mirror `___wait_event()` and `___wait_cond_timeout()` in
//! `include/linux/wait.h`: the condition is evaluated after
//! `prepare_to_wait_event()` has queued the waiter and set the task state, so
//! a wake-up between the check and `schedule_timeout()` is never lost. The
//! waker must therefore make the condition true *before* calling
//! [`WaitQueue::wake_all`] (with a store the condition's load observes: a
//! release/acquire pair, or a lock both sides take).
//!
//! # Timeouts
//!
//! Timeouts are relative, in jiffies ([`kernel::time::Jiffies`]); build them
//! with [`kernel::time::msecs_to_jiffies`]. For the waits that take an
//! `Option<Jiffies>`, `None` waits without a time limit. A value above
//! `LONG_MAX` is treated as no limit (`MAX_SCHEDULE_TIMEOUT`), and `0`
//! checks the condition once without sleeping.
//!
//! # Contexts
//!
//! Every `wait_*` method may sleep: call it only in process context, with
//! no spinlock held and not inside an RCU read-side section. The condition
//! runs with the task state already set to a sleeping state (as with
//! `wait_event()`), so it must not sleep either: atomics and spinlocks are
//! fine, a `Mutex` is not. [`WaitQueue::wake_all`] may be called from any
//! context, including hardirq and softirq.

use super::super::super::bindings;
use core::ffi::CStr;
use core::pin::Pin;
use kernel::ffi::{c_int, c_long};
use kernel::str::CStrExt;
use kernel::sync::LockClassKey;
use kernel::task::{might_sleep, MAX_SCHEDULE_TIMEOUT, TASK_NORMAL, TASK_UNINTERRUPTIBLE};
use kernel::time::Jiffies;
use kernel::types::Opaque;
use pin_init::{pin_data, pin_init, PinInit};

/// `TASK_KILLABLE` (`TASK_WAKEKILL | TASK_UNINTERRUPTIBLE`): only a fatal
/// signal interrupts the sleep.
const TASK_KILLABLE: c_int = bindings::TASK_KILLABLE as c_int;

/// Creates a [`WaitQueue`] initialiser with the given name (or one made of
/// the file and line) and a lock class of its own for this call site, as
/// `kernel::new_condvar!` does.
#[macro_export]
macro_rules! new_wait_queue {
    ($($name:literal)?) => {
        $crate::kext::sync::wait::WaitQueue::new(
            ::kernel::optional_name!($($name)?),
            ::kernel::static_lock_class!(),
        )
    };
}
pub use new_wait_queue;

/// How a wait ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitOutcome {
    /// The condition was true (it is checked first, so this wins over an
    /// expired timeout or a pending fatal signal).
    Ready,
    /// The timeout expired with the condition still false.
    TimedOut,
    /// A fatal signal (SIGKILL) is pending for the task and the condition
    /// was false. The caller should give up and return an error such as
    /// `ERESTARTSYS` or `EINTR`; the task exits on its way back to user
    /// space.
    Killed,
}

/// A wait queue: tasks sleep on it until a condition holds, and wakers call
/// [`WaitQueue::wake_all`] after making the condition true.
///
/// It must be pinned (the head is a self-referential list); create it with
/// [`new_wait_queue!`] inside `pin_init!`, e.g. as a field of an `Arc`.
///
/// # Invariants
///
/// `head` was initialised by `__init_waitqueue_head` and is never moved.
#[pin_data]
pub struct WaitQueue {
    #[pin]
    head: Opaque<bindings::wait_queue_head>,
}

// SAFETY: a `wait_queue_head` has no thread affinity; all access goes through
// its internal spinlock.
unsafe impl Send for WaitQueue {}
// SAFETY: every operation on the head takes its internal spinlock (or, in
// `finish_wait`, uses the lockless `list_empty_careful` check the C API
// allows), so concurrent use from several threads is what it is built for.
unsafe impl Sync for WaitQueue {}

impl WaitQueue {
    /// An initialiser for a wait queue called `name` in lockdep class `key`.
    /// Prefer [`new_wait_queue!`], which supplies both.
    pub fn new(name: &'static CStr, key: Pin<&'static LockClassKey>) -> impl PinInit<Self> {
        pin_init!(Self {
            // SAFETY: `slot` is valid, pinned storage for the head while the
            // closure runs and afterwards; `name` and `key` are `'static`.
            head <- Opaque::ffi_init(|slot| unsafe {
                bindings::__init_waitqueue_head(slot, name.as_char_ptr(), key.as_ptr())
            }),
        })
    }

    /// Wakes every task waiting on the queue (`wake_up_all()`). The woken
    /// tasks re-check their conditions. A wake-up with no waiter is lost,
    /// which is why waiters check the condition after queueing themselves.
    ///
    /// May be called from any context: process, softirq or hardirq.
    pub fn wake_all(&self) {
        // SAFETY: the head is initialised (type invariant); `__wake_up`
        // takes its lock with interrupts disabled. Mode TASK_NORMAL and
        // nr_exclusive 0 are `wake_up_all()`; the key is unused by the
        // default wake function.
        unsafe {
            bindings::__wake_up(self.head.get(), TASK_NORMAL, 0, core::ptr::null_mut());
        }
    }

    /// Sleeps (`TASK_KILLABLE`) until `cond()` returns true, `timeout`
    /// expires (`None`: no limit), or a fatal signal is pending; like
    /// `wait_event_killable_timeout()`. Other signals do not interrupt it.
    ///
    /// Process context only; see the module documentation for the rules on
    /// `cond`. The `Killed` outcome cannot be exercised by KUnit (its test
    /// threads are kthreads, which do not take SIGKILL); it follows the same
    /// `prepare_to_wait_event()` path as `wait_event_killable()`.
    pub fn wait_killable_timeout(
        &self,
        timeout: Option<Jiffies>,
        cond: impl FnMut() -> bool,
    ) -> WaitOutcome {
        self.wait_event(TASK_KILLABLE, to_schedule_timeout(timeout), cond)
    }

    /// Sleeps (`TASK_KILLABLE`) until `cond()` returns true or a fatal
    /// signal is pending; like `wait_event_killable()`. Returns `Ready` or
    /// `Killed`.
    pub fn wait_killable(&self, cond: impl FnMut() -> bool) -> WaitOutcome {
        self.wait_event(TASK_KILLABLE, MAX_SCHEDULE_TIMEOUT, cond)
    }

    /// Sleeps uninterruptibly until `cond()` returns true; like
    /// `wait_event()`. Signals do not end it and there is no timeout, so use
    /// it only for waits that are bounded by construction and short (e.g.
    /// for a softirq to let go of a buffer): a task stuck here is reported
    /// by the hung-task detector and cannot be killed.
    pub fn wait_uninterruptible(&self, cond: impl FnMut() -> bool) {
        self.wait_event(TASK_UNINTERRUPTIBLE, MAX_SCHEDULE_TIMEOUT, cond);
    }

    /// Sleeps uninterruptibly until `cond()` returns true or `timeout`
    /// jiffies have passed; like `wait_event_timeout()`. Returns whether the
    /// condition became true. Meant for kworkers and kthreads, which take no
    /// signals; a user task should use [`WaitQueue::wait_killable_timeout`].
    pub fn wait_timeout(&self, timeout: Jiffies, cond: impl FnMut() -> bool) -> bool {
        let timeout = to_schedule_timeout(Some(timeout));
        self.wait_event(TASK_UNINTERRUPTIBLE, timeout, cond) == WaitOutcome::Ready
    }

    /// The loop of `___wait_event()` with `___wait_cond_timeout()`
    /// (include/linux/wait.h), for a non-exclusive waiter in `state`, with
    /// `timeout` in jiffies (`MAX_SCHEDULE_TIMEOUT`: none; never negative).
    fn wait_event(
        &self,
        state: c_int,
        timeout: c_long,
        mut cond: impl FnMut() -> bool,
    ) -> WaitOutcome {
        might_sleep();
        // The wait_event_*() macros check the condition before queueing.
        if cond() {
            return WaitOutcome::Ready;
        }
        if timeout == 0 {
            return WaitOutcome::TimedOut;
        }

        let entry = Opaque::<bindings::wait_queue_entry>::uninit();
        // SAFETY: `entry` is valid storage for a wait queue entry; it lives
        // on this stack frame, is not moved from here on, and is removed
        // from the queue by `finish_wait` below before the frame ends (a
        // panic in `cond` is `BUG()`: the kernel does not unwind). Flags 0:
        // a non-exclusive waiter woken by `autoremove_wake_function`.
        unsafe { bindings::init_wait_entry(entry.get(), 0) };

        let mut remaining = timeout;
        let outcome = loop {
            // SAFETY: the head is initialised (type invariant) and `entry`
            // was initialised above. This queues `entry` (if it is not
            // queued already) and sets the task state to `state`, or
            // dequeues it and returns -ERESTARTSYS if a signal that `state`
            // lets through is pending.
            let interrupted =
                unsafe { bindings::prepare_to_wait_event(self.head.get(), entry.get(), state) };
            if cond() {
                break WaitOutcome::Ready;
            }
            if interrupted != 0 {
                break WaitOutcome::Killed;
            }
            // SAFETY: we are in process context (`might_sleep` above) with
            // the task state set by `prepare_to_wait_event`; `remaining` is
            // positive or `MAX_SCHEDULE_TIMEOUT`, which sleeps until a
            // wake-up and returns it unchanged.
            remaining = unsafe { bindings::schedule_timeout(remaining) };
            if cond() {
                break WaitOutcome::Ready;
            }
            if remaining == 0 {
                break WaitOutcome::TimedOut;
            }
        };
        // SAFETY: the head and `entry` are valid; this sets the task running
        // again and removes `entry` from the queue if a wake-up has not
        // already done so (it is a no-op for an entry that is not queued).
        unsafe { bindings::finish_wait(self.head.get(), entry.get()) };
        outcome
    }
}

/// Converts an optional relative timeout to `schedule_timeout()`'s argument.
fn to_schedule_timeout(timeout: Option<Jiffies>) -> c_long {
    match timeout {
        None => MAX_SCHEDULE_TIMEOUT,
        Some(j) => c_long::try_from(j).unwrap_or(MAX_SCHEDULE_TIMEOUT),
    }
}

/// Whether a fatal signal (SIGKILL) is pending for the current task
/// (`fatal_signal_pending(current)`), for long operations that should stop
/// early when their task is being killed. May be called in any context (in
/// an interrupt it describes the interrupted task, which is rarely useful).
pub fn fatal_signal_pending() -> bool {
    // SAFETY: reads the pending-signal state of `current`, which is always
    // valid; no preconditions.
    unsafe { bindings::smb_helper_fatal_signal_pending() }
}
