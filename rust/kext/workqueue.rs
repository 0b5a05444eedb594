// SPDX-License-Identifier: GPL-2.0
//! Workqueues the module owns, and cancellation of `Arc`-owned work items:
//! what `kernel::workqueue` of Linux 7.3 lacks.
//!
//! # Reference counting of `Arc` work items
//!
//! `kernel::workqueue` implements `WorkItem` for `Arc<T>` so that a queued
//! item owns one reference: `Queue::enqueue(arc)` leaks it with
//! `Arc::into_raw` when `queue_work_on()` succeeds, and the work function
//! takes it back with `Arc::from_raw` before calling `WorkItem::run` (see
//! `impl RawWorkItem for Arc<T>` in rust/kernel/workqueue.rs). So every
//! *pending* period of a work item (queued, or a delayed item's timer armed)
//! holds exactly one reference, given back either by the run or by whoever
//! cancels the pending period. The cancel functions here do the latter:
//! when the C call reports that it cancelled a pending item, they drop the
//! reference the queue held. They require `T: WorkItem<ID, Pointer =
//! Arc<T>>`, which guarantees that the only safe way to queue that work
//! field is the `Arc` path above.
//!
//! None of these functions ever drops the last reference: the caller's
//! `&Arc<T>` is another one. Nothing here uses `disable_work()` (the
//! `kernel` crate does not expose it either); a disabled work item would
//! break the accounting of [`mod_delayed`].

use super::super::bindings;
use core::ffi::CStr;
use core::ops::Deref;
use core::ptr::NonNull;
use kernel::alloc::KBox;
use kernel::error::{code::EINVAL, code::ENOMEM, Result};
use kernel::init::InPlaceInit;
use kernel::str::CStrExt;
use kernel::sync::Arc;
use kernel::time::Jiffies;
use kernel::workqueue::{HasDelayedWork, HasWork, Queue, Work, WorkItem};
use pin_init::{pin_data, pin_init};

/// Work items may run on any CPU; the scheduler picks (`WQ_UNBOUND`).
pub const WQ_UNBOUND: u32 = bindings::wq_flags_WQ_UNBOUND;
/// Work items run on the CPU that queued them (`WQ_PERCPU`).
pub const WQ_PERCPU: u32 = bindings::wq_flags_WQ_PERCPU;
/// The queue has a rescuer thread, so it makes progress under memory
/// pressure; required for anything on the writeback path
/// (`WQ_MEM_RECLAIM`).
pub const WQ_MEM_RECLAIM: u32 = bindings::wq_flags_WQ_MEM_RECLAIM;
/// Work items run on high-priority workers (`WQ_HIGHPRI`).
pub const WQ_HIGHPRI: u32 = bindings::wq_flags_WQ_HIGHPRI;
/// Work items are frozen during suspend (`WQ_FREEZABLE`).
pub const WQ_FREEZABLE: u32 = bindings::wq_flags_WQ_FREEZABLE;
/// Long CPU-bound work items do not hold up others (`WQ_CPU_INTENSIVE`).
pub const WQ_CPU_INTENSIVE: u32 = bindings::wq_flags_WQ_CPU_INTENSIVE;

/// The flags [`OwnedQueue::new`] accepts. `WQ_BH` is left out on purpose:
/// work on an [`OwnedQueue`] always runs in process context.
const ALLOWED_FLAGS: u32 =
    WQ_UNBOUND | WQ_PERCPU | WQ_MEM_RECLAIM | WQ_HIGHPRI | WQ_FREEZABLE | WQ_CPU_INTENSIVE;

/// A workqueue this module allocated (`alloc_workqueue()`), destroyed on
/// drop (`destroy_workqueue()`). It dereferences to
/// [`kernel::workqueue::Queue`], so work is queued with `enqueue` /
/// `enqueue_delayed` as on the system queues. Work items run in process
/// context (a kworker) and may sleep.
///
/// # Dropping
///
/// Drop runs `destroy_workqueue()`, which may sleep (process context only)
/// and first drains the queue: every queued work item runs, and items that
/// requeue themselves onto it are run too until none is left. Therefore:
///
/// - never drop an `OwnedQueue` (e.g. the last `Arc` holding one) from a
///   work item running on that same queue: it would wait for itself;
/// - **cancel (or let fire) every delayed work item queued on it before
///   dropping it.** `destroy_workqueue()` does not wait for a delayed item
///   whose timer has not fired yet; when that timer fires later it queues
///   onto the freed workqueue. Use [`cancel_delayed_work_sync`] in the
///   teardown path of every object whose delayed work targets this queue.
///   This is the one rule the type system does not enforce.
///
/// # Invariants
///
/// `ptr` is a workqueue from `alloc_workqueue()`, destroyed only by `drop`.
pub struct OwnedQueue {
    ptr: NonNull<bindings::workqueue_struct>,
}

// SAFETY: a workqueue may be used and destroyed from any thread.
unsafe impl Send for OwnedQueue {}
// SAFETY: the workqueue API is thread-safe; `&OwnedQueue` only queues and
// flushes.
unsafe impl Sync for OwnedQueue {}

impl OwnedQueue {
    /// Allocates a workqueue named `name` (copied; at most 31 bytes are
    /// shown) with `flags` and the default concurrency (`max_active` 0).
    ///
    /// `flags` must contain exactly one of [`WQ_UNBOUND`] and [`WQ_PERCPU`]
    /// (Linux 7.3 warns otherwise) and otherwise only the `WQ_*` constants
    /// of this module; anything else is `EINVAL`. Add [`WQ_MEM_RECLAIM`]
    /// for queues that writeback or reconnect-for-writeback depends on.
    ///
    /// Process context only (may sleep). Fails with `ENOMEM`.
    pub fn new(name: &CStr, flags: u32) -> Result<OwnedQueue> {
        if flags & !ALLOWED_FLAGS != 0 || (flags & WQ_UNBOUND != 0) == (flags & WQ_PERCPU != 0) {
            return Err(EINVAL);
        }
        // SAFETY: `name` is a NUL-terminated string (the helper formats it
        // with "%s", copying it); the flags were checked above; max_active
        // 0 is the default.
        let ptr = unsafe { bindings::smb_helper_alloc_workqueue(name.as_char_ptr(), flags, 0) };
        Ok(OwnedQueue {
            ptr: NonNull::new(ptr).ok_or(ENOMEM)?,
        })
    }

    /// Allocates an ordered workqueue (`alloc_ordered_workqueue()`): its
    /// work items run one at a time, in the order they were queued. `flags`
    /// may contain the `WQ_*` constants of this module except [`WQ_PERCPU`]
    /// (the queue is unbound; [`WQ_UNBOUND`] is implied); anything else is
    /// `EINVAL`.
    ///
    /// Process context only (may sleep). Fails with `ENOMEM`.
    pub fn new_ordered(name: &CStr, flags: u32) -> Result<OwnedQueue> {
        if flags & !ALLOWED_FLAGS != 0 || flags & WQ_PERCPU != 0 {
            return Err(EINVAL);
        }
        // SAFETY: as in `new`; the helper adds WQ_UNBOUND and ordering.
        let ptr =
            unsafe { bindings::smb_helper_alloc_ordered_workqueue(name.as_char_ptr(), flags) };
        Ok(OwnedQueue {
            ptr: NonNull::new(ptr).ok_or(ENOMEM)?,
        })
    }

    /// Waits until every work item queued on this queue before the call has
    /// finished running (`flush_workqueue()`). Delayed items whose timer
    /// has not fired yet are not waited for.
    ///
    /// Process context only (may sleep). Must not be called from a work
    /// item running on this queue, nor with a lock held that its work items
    /// take.
    pub fn flush(&self) {
        // SAFETY: the workqueue is valid (type invariant).
        unsafe { bindings::__flush_workqueue(self.ptr.as_ptr()) };
    }
}

impl Deref for OwnedQueue {
    type Target = Queue;

    fn deref(&self) -> &Queue {
        // SAFETY: the workqueue is valid until `drop` (type invariant),
        // which cannot run while the returned borrow of `self` lives.
        unsafe { Queue::from_raw(self.ptr.as_ptr()) }
    }
}

impl Drop for OwnedQueue {
    fn drop(&mut self) {
        // SAFETY: the workqueue is valid and destroyed only here (type
        // invariant). `&mut self` means no borrow of the queue is left to
        // queue onto it; the delayed-work rule is documented on the type.
        unsafe { bindings::destroy_workqueue(self.ptr.as_ptr()) };
    }
}

/// The raw `work_struct` of `this`'s work field `ID`.
fn raw_work<T, const ID: u64>(this: &Arc<T>) -> *mut bindings::work_struct
where
    T: HasWork<T, ID>,
{
    // SAFETY: `Arc::as_ptr` points at a valid `T` (alive as long as `this`),
    // so `raw_get_work` returns a pointer to its initialised `Work` field,
    // which `Work::raw_get` turns into the `work_struct` inside it.
    unsafe { Work::raw_get(T::raw_get_work(Arc::as_ptr(this).cast_mut())) }
}

/// The raw `delayed_work` of `this`'s delayed work field `ID`.
fn raw_delayed_work<T, const ID: u64>(this: &Arc<T>) -> *mut bindings::delayed_work
where
    T: HasDelayedWork<T, ID>,
{
    let work = raw_work::<T, ID>(this);
    // SAFETY: by the contract of `HasDelayedWork`, `work` is the `work`
    // field of a `delayed_work` (as `Queue::enqueue_delayed` also assumes).
    unsafe { kernel::container_of!(work, bindings::delayed_work, work) }
}

/// Gives back the reference a pending work item held, after a C call
/// reported that it cancelled a pending period of `this`'s work.
///
/// # Safety
///
/// A pending period of `this`'s work field must have just been cancelled,
/// and that period must have been started by one of the `Arc` enqueue paths
/// (which leaked one reference, the `Arc::into_raw` pointer of `this`).
unsafe fn drop_queued_ref<T>(this: &Arc<T>) {
    // SAFETY: the caller guarantees that the queue owned a reference leaked
    // by `Arc::into_raw` on this same object (whose pointer equals
    // `Arc::as_ptr`) and that nobody else will reclaim it. `this` is another
    // reference, so this never drops the last one.
    drop(unsafe { Arc::from_raw(Arc::as_ptr(this)) });
}

/// Cancels `this`'s work item `ID` and waits for a running instance to
/// finish (`cancel_work_sync()`). Returns true if the item was pending;
/// then it will not run for that queueing, and the reference the queue held
/// is dropped. On return the item is neither pending nor running (unless it
/// is queued again concurrently).
///
/// Process context only (may sleep). Must not be called from the work item
/// itself, nor with a lock held that the work item takes.
pub fn cancel_work_sync<T, const ID: u64>(this: &Arc<T>) -> bool
where
    T: WorkItem<ID, Pointer = Arc<T>> + HasWork<T, ID>,
{
    // SAFETY: the work field is initialised (it is part of a live `T`).
    let was_pending = unsafe { bindings::cancel_work_sync(raw_work::<T, ID>(this)) };
    if was_pending {
        // SAFETY: a pending period was cancelled; with `Pointer = Arc<T>` it
        // was started by the `Arc` enqueue path (see the module docs).
        unsafe { drop_queued_ref(this) };
    }
    was_pending
}

/// Cancels `this`'s work item `ID` if it is pending (`cancel_work()`),
/// without waiting for a running instance. Returns true if it was pending
/// (the queue's reference is then dropped).
///
/// May be called from any context, including softirq and hardirq.
pub fn cancel_work<T, const ID: u64>(this: &Arc<T>) -> bool
where
    T: WorkItem<ID, Pointer = Arc<T>> + HasWork<T, ID>,
{
    // SAFETY: the work field is initialised (it is part of a live `T`).
    let was_pending = unsafe { bindings::cancel_work(raw_work::<T, ID>(this)) };
    if was_pending {
        // SAFETY: as in `cancel_work_sync`.
        unsafe { drop_queued_ref(this) };
    }
    was_pending
}

/// Cancels `this`'s delayed work item `ID` (its timer or its queued work)
/// and waits for a running instance to finish
/// (`cancel_delayed_work_sync()`). Returns true if it was pending; the
/// queue's reference is then dropped.
///
/// Process context only (may sleep). Must not be called from the work item
/// itself, nor with a lock held that the work item takes.
pub fn cancel_delayed_work_sync<T, const ID: u64>(this: &Arc<T>) -> bool
where
    T: WorkItem<ID, Pointer = Arc<T>> + HasDelayedWork<T, ID>,
{
    // SAFETY: the delayed work field is initialised (part of a live `T`).
    let was_pending =
        unsafe { bindings::cancel_delayed_work_sync(raw_delayed_work::<T, ID>(this)) };
    if was_pending {
        // SAFETY: as in `cancel_work_sync`; `RawDelayedWorkItem for Arc<T>`
        // and [`mod_delayed`] leak the same reference.
        unsafe { drop_queued_ref(this) };
    }
    was_pending
}

/// Cancels `this`'s delayed work item `ID` if it is pending
/// (`cancel_delayed_work()`), without waiting for a running instance.
/// Returns true if it was pending (the queue's reference is then dropped).
///
/// May be called from any context, including softirq and hardirq.
pub fn cancel_delayed_work<T, const ID: u64>(this: &Arc<T>) -> bool
where
    T: WorkItem<ID, Pointer = Arc<T>> + HasDelayedWork<T, ID>,
{
    // SAFETY: the delayed work field is initialised (part of a live `T`).
    let was_pending = unsafe { bindings::cancel_delayed_work(raw_delayed_work::<T, ID>(this)) };
    if was_pending {
        // SAFETY: as in `cancel_delayed_work_sync`.
        unsafe { drop_queued_ref(this) };
    }
    was_pending
}

/// Queues `this`'s delayed work item `ID` on `queue` to run in `delay`
/// jiffies, taking a new reference for the queue. Returns false (and takes
/// no reference) if it was already pending; its expiry is then unchanged.
///
/// May be called from any context.
pub fn enqueue_delayed<T, const ID: u64>(queue: &Queue, this: &Arc<T>, delay: Jiffies) -> bool
where
    T: WorkItem<ID, Pointer = Arc<T>> + HasDelayedWork<T, ID> + Send + Sync + 'static,
{
    queue
        .enqueue_delayed::<Arc<T>, ID>(this.clone(), delay)
        .is_ok()
}

/// Queues `this`'s delayed work item `ID` on `queue` to run in `delay`
/// jiffies, or, if it is already pending, moves it to `queue` and changes
/// its delay (`mod_delayed_work()`). With a `delay` of 0 it is queued to
/// run at once. Returns true if it was pending (the existing reference
/// stays with the queue); false if it was idle or running (a new reference
/// is taken for the queue).
///
/// May be called from any context, including softirq and hardirq.
pub fn mod_delayed<T, const ID: u64>(queue: &Queue, this: &Arc<T>, delay: Jiffies) -> bool
where
    T: WorkItem<ID, Pointer = Arc<T>> + HasDelayedWork<T, ID> + Send + Sync + 'static,
{
    let dwork = raw_delayed_work::<T, ID>(this);
    // The reference the queue will own if the item was not pending.
    let leaked = Arc::into_raw(this.clone());
    // `Queue` is a transparent wrapper of `workqueue_struct`.
    let wq = core::ptr::from_ref(queue)
        .cast::<bindings::workqueue_struct>()
        .cast_mut();
    // SAFETY: `wq` is a valid workqueue for the duration of the borrow of
    // `queue`, and a queued item keeps its workqueue's rules (see
    // `OwnedQueue`); `dwork` is an initialised delayed work in a live `T`.
    // `mod_delayed_work_on` grabs the pending state if any and (re)queues
    // the item: afterwards exactly one pending period exists. If it
    // returns true the grabbed period's reference carries over to the new
    // one, so ours is not needed; otherwise the new period owns `leaked`,
    // which the work function (or a cancel) reclaims with `Arc::from_raw`:
    // `T::Pointer` is `Arc<T>`, whose `run` does exactly that.
    let was_pending = unsafe {
        bindings::mod_delayed_work_on(
            bindings::wq_misc_consts_WORK_CPU_UNBOUND as core::ffi::c_int,
            wq,
            dwork,
            delay,
        )
    };
    if was_pending {
        // SAFETY: `leaked` came from `Arc::into_raw` above and the queue did
        // not take it.
        drop(unsafe { Arc::from_raw(leaked) });
    }
    was_pending
}

/// A closure run once on a workqueue (what `Queue::try_spawn` does), with
/// the lock class of the call site that spawned it: the kernel crate's
/// `try_spawn` has one lock class key for every caller, whose name is a
/// different string in each module that calls it, which lockdep reports
/// as one key with two classes. Use [`spawn!`].
#[pin_data]
pub struct Spawned<F> {
    #[pin]
    work: Work<Spawned<F>>,
    func: Option<F>,
}

impl<F: FnOnce()> WorkItem for Spawned<F> {
    type Pointer = core::pin::Pin<KBox<Self>>;

    fn run(mut this: core::pin::Pin<KBox<Self>>) {
        if let Some(f) = this.as_mut().project().func.take() {
            f();
        }
    }
}

kernel::impl_has_work! {
    impl{F} HasWork<Self> for Spawned<F> { self.work }
}

impl<F: FnOnce() + Send + 'static> Spawned<F> {
    /// Queues `func` on `queue` as a work item named `name` of lock class
    /// `key`; `ENOMEM` (and `func` dropped) without memory for it.
    pub fn queue(
        queue: &Queue,
        name: &'static CStr,
        key: core::pin::Pin<&'static kernel::sync::LockClassKey>,
        func: F,
    ) -> Result {
        let w = KBox::pin_init(
            pin_init!(Self {
                work <- Work::new(name, key),
                func: Some(func),
            }),
            kernel::alloc::flags::GFP_KERNEL,
        )
        .map_err(|_| ENOMEM)?;
        queue.enqueue(w);
        Ok(())
    }
}

/// Runs a closure once on a workqueue (`spawn!(queue, "name", || ...)`),
/// with a lock class of the call site's own.
#[macro_export]
macro_rules! kext_spawn {
    ($queue:expr, $name:literal, $func:expr) => {
        $crate::kext::workqueue::Spawned::queue(
            $queue,
            ::kernel::c_str!($name),
            ::kernel::static_lock_class!(),
            $func,
        )
    };
}
pub use kext_spawn as spawn;
