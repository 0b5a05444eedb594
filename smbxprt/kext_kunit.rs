// SPDX-License-Identifier: GPL-2.0
//! Behaviour of the synchronisation abstractions in `rust/kext` the
//! transport builds on: wait queues, owned workqueues and the cancellation of
//! `Arc` work items, `timer_list` timers and GFP_NOFS scopes. Reference
//! counts are checked with `Arc::into_unique_or_drop`, which succeeds only
//! for the last reference: a leaked or doubly dropped queue/timer reference
//! fails the test (or KASAN).
//!
//! Not covered: `WaitOutcome::Killed`. KUnit cases run in kthreads, which
//! cannot be sent SIGKILL; that path is `prepare_to_wait_event()` returning
//! -ERESTARTSYS, as in `wait_event_killable()`.
#![forbid(unsafe_code)]

use crate::kext::sync::wait::{new_wait_queue, WaitQueue};
use crate::kext::sync::{context, wait};
use crate::kext::timer::{impl_has_timer, new_timer, Timer, TimerCallback};
use kernel::prelude::*;
use kernel::sync::atomic::{Acquire, Atomic, Relaxed, Release};
use kernel::sync::Arc;
use kernel::time::{delay::fsleep, msecs_to_jiffies, Delta};
use kernel::workqueue::{
    impl_has_delayed_work, impl_has_work, new_delayed_work, new_work, DelayedWork, Queue, Work,
    WorkItem,
};

/// How long a test waits for something that should happen within
/// milliseconds before declaring it failed (TCG guests are slow).
const PATIENCE_MS: u32 = 10_000;

/// A work item, a delayed work item and a timer sharing one wait queue and
/// one set of counters. Each of them, when it runs: optionally waits for
/// `gate` (a blocker), sleeps `delay_ms` (work only), counts the run, sets
/// `done` and wakes the queue.
#[pin_data]
struct Probe {
    #[pin]
    wq: WaitQueue,
    #[pin]
    work: Work<Probe>,
    #[pin]
    dwork: DelayedWork<Probe, 1>,
    #[pin]
    timer: Timer<Probe>,
    delay_ms: i64,
    block: bool,
    gate: Atomic<bool>,
    done: Atomic<bool>,
    runs: Atomic<u32>,
    in_softirq: Atomic<bool>,
    on_drop: DropSignal,
}

/// Where a [`Probe`] reports that it was dropped, and in which context.
#[pin_data]
struct Tracker {
    #[pin]
    wq: WaitQueue,
    dropped: Atomic<bool>,
    in_softirq: Atomic<bool>,
}

impl Tracker {
    fn new() -> Result<Arc<Tracker>> {
        Arc::pin_init(
            pin_init!(Tracker {
                wq <- new_wait_queue!("kext_kunit::Tracker::wq"),
                dropped: Atomic::new(false),
                in_softirq: Atomic::new(false),
            }),
            GFP_KERNEL,
        )
    }
}

/// Signals its tracker, if any, when the `Probe` holding it is dropped.
struct DropSignal(Option<Arc<Tracker>>);

impl Drop for DropSignal {
    fn drop(&mut self) {
        if let Some(t) = self.0.take() {
            t.in_softirq.store(context::in_serving_softirq(), Relaxed);
            t.dropped.store(true, Release);
            t.wq.wake_all();
        }
    }
}

impl_has_work! {
    impl HasWork<Probe> for Probe { self.work }
}
impl_has_delayed_work! {
    impl HasDelayedWork<Probe, 1> for Probe { self.dwork }
}
impl_has_timer! {
    impl HasTimer for Probe { self.timer }
}

impl Probe {
    fn new(delay_ms: i64, block: bool) -> Result<Arc<Probe>> {
        Self::new_tracked(delay_ms, block, None)
    }

    fn new_tracked(
        delay_ms: i64,
        block: bool,
        tracker: Option<Arc<Tracker>>,
    ) -> Result<Arc<Probe>> {
        Arc::pin_init(
            pin_init!(Probe {
                wq <- new_wait_queue!("kext_kunit::Probe::wq"),
                work <- new_work!("kext_kunit::Probe::work"),
                dwork <- new_delayed_work!("kext_kunit::Probe::dwork"),
                timer <- new_timer!("kext_kunit::Probe::timer"),
                delay_ms,
                block,
                gate: Atomic::new(false),
                done: Atomic::new(false),
                runs: Atomic::new(0),
                in_softirq: Atomic::new(false),
                on_drop: DropSignal(tracker),
            }),
            GFP_KERNEL,
        )
    }

    /// The body of the work items (process context: may sleep).
    fn work_body(&self) {
        if self.block {
            // Bounded, so that a failing test cannot hang the kworker.
            self.wq
                .wait_timeout(msecs_to_jiffies(PATIENCE_MS), || self.gate.load(Acquire));
        }
        if self.delay_ms > 0 {
            fsleep(Delta::from_millis(self.delay_ms));
        }
        self.finish();
    }

    fn finish(&self) {
        self.runs.fetch_add(1, Relaxed);
        self.done.store(true, Release);
        self.wq.wake_all();
    }

    fn open_gate(&self) {
        self.gate.store(true, Release);
        self.wq.wake_all();
    }

    fn is_done(&self) -> bool {
        self.done.load(Acquire)
    }

    fn runs(&self) -> u32 {
        self.runs.load(Relaxed)
    }
}

impl WorkItem for Probe {
    type Pointer = Arc<Probe>;

    fn run(this: Arc<Probe>) {
        this.work_body();
    }
}

impl WorkItem<1> for Probe {
    type Pointer = Arc<Probe>;

    fn run(this: Arc<Probe>) {
        this.work_body();
    }
}

impl TimerCallback for Probe {
    fn run(this: &Arc<Probe>) {
        this.in_softirq
            .store(context::in_serving_softirq(), Relaxed);
        this.finish();
    }
}

/// Queues `p`'s (non-delayed) work item; false if it was already queued.
fn enqueue(q: &Queue, p: &Arc<Probe>) -> bool {
    q.enqueue::<Arc<Probe>, 0>(p.clone()).is_ok()
}

/// True if `p` is the only reference left (then it is dropped).
fn last_ref(p: Arc<Probe>) -> bool {
    Arc::into_unique_or_drop(p).is_some()
}

#[kernel::macros::kunit_tests(kext_sync)]
mod tests {
    use super::*;
    use crate::kext::nofs::{self, NofsScope};
    use crate::kext::workqueue::{self as wq, OwnedQueue, WQ_MEM_RECLAIM, WQ_PERCPU, WQ_UNBOUND};
    use kernel::time::{Instant, Monotonic};
    use wait::WaitOutcome;

    #[test]
    fn wait_ready_when_cond_true() -> Result {
        let p = Probe::new(0, false)?;
        let far = Some(msecs_to_jiffies(PATIENCE_MS));
        assert_eq!(p.wq.wait_killable_timeout(far, || true), WaitOutcome::Ready);
        assert_eq!(
            p.wq.wait_killable_timeout(None, || true),
            WaitOutcome::Ready
        );
        assert_eq!(
            p.wq.wait_killable_timeout(Some(0), || true),
            WaitOutcome::Ready
        );
        assert_eq!(p.wq.wait_killable(|| true), WaitOutcome::Ready);
        assert!(p.wq.wait_timeout(0, || true));
        p.wq.wait_uninterruptible(|| true);
        // A wake-up with no waiter is harmless.
        p.wq.wake_all();
        assert!(!wait::fatal_signal_pending());
        assert!(last_ref(p));
        Ok(())
    }

    #[test]
    fn wait_times_out() -> Result {
        let p = Probe::new(0, false)?;
        assert_eq!(
            p.wq.wait_killable_timeout(Some(0), || false),
            WaitOutcome::TimedOut
        );
        let start = Instant::<Monotonic>::now();
        let outcome =
            p.wq.wait_killable_timeout(Some(msecs_to_jiffies(20)), || false);
        let waited = start.elapsed().as_millis();
        assert_eq!(outcome, WaitOutcome::TimedOut);
        // schedule_timeout(n) sleeps at least n - 1 ticks (HZ <= 1000).
        assert!(waited >= 15);

        let start = Instant::<Monotonic>::now();
        assert!(!p.wq.wait_timeout(msecs_to_jiffies(20), || false));
        assert!(start.elapsed().as_millis() >= 15);
        Ok(())
    }

    #[test]
    fn queue_runs_work_and_flush_waits() -> Result {
        let q = OwnedQueue::new(c"smb_kunit_wq", WQ_UNBOUND | WQ_MEM_RECLAIM)?;
        // The work sleeps 50 ms before it counts its run: only a flush that
        // waits for it sees the count.
        let p = Probe::new(50, false)?;
        assert!(enqueue(&q, &p));
        q.flush();
        assert_eq!(p.runs(), 1);
        assert!(p.is_done());
        // The run took back the queue's reference.
        assert!(last_ref(p));
        Ok(())
    }

    #[test]
    fn killable_wait_woken_by_work() -> Result {
        let q = OwnedQueue::new(c"smb_kunit_wq", WQ_PERCPU)?;
        let p = Probe::new(20, false)?;
        assert!(enqueue(&q, &p));
        let outcome =
            p.wq.wait_killable_timeout(Some(msecs_to_jiffies(PATIENCE_MS)), || p.is_done());
        assert_eq!(outcome, WaitOutcome::Ready);
        assert_eq!(p.runs(), 1);
        q.flush();
        assert!(last_ref(p));
        Ok(())
    }

    #[test]
    fn uninterruptible_waits_woken_by_work() -> Result {
        let q = OwnedQueue::new(c"smb_kunit_wq", WQ_UNBOUND)?;
        let p = Probe::new(20, false)?;
        assert!(enqueue(&q, &p));
        p.wq.wait_uninterruptible(|| p.is_done());
        assert_eq!(p.runs(), 1);
        q.flush();

        let p2 = Probe::new(20, false)?;
        assert!(enqueue(&q, &p2));
        assert!(p2
            .wq
            .wait_timeout(msecs_to_jiffies(PATIENCE_MS), || p2.is_done()));
        q.flush();
        assert!(last_ref(p));
        assert!(last_ref(p2));
        Ok(())
    }

    #[test]
    fn cancel_queued_work_drops_queue_ref() -> Result {
        // An ordered queue runs one item at a time: `target` stays queued
        // behind `blocker` until the gate opens.
        let q = OwnedQueue::new_ordered(c"smb_kunit_ordered", WQ_MEM_RECLAIM)?;
        let blocker = Probe::new(0, true)?;
        let target = Probe::new(0, false)?;
        let target2 = Probe::new(0, false)?;
        assert!(enqueue(&q, &blocker));
        assert!(enqueue(&q, &target));
        assert!(enqueue(&q, &target2));
        // Already queued: the kernel hands the reference back.
        assert!(!enqueue(&q, &target));

        assert!(wq::cancel_work_sync::<_, 0>(&target));
        assert!(!wq::cancel_work_sync::<_, 0>(&target));
        assert!(wq::cancel_work::<_, 0>(&target2));
        assert!(!wq::cancel_work::<_, 0>(&target2));

        blocker.open_gate();
        q.flush();
        assert_eq!(blocker.runs(), 1);
        assert_eq!(target.runs(), 0);
        assert_eq!(target2.runs(), 0);
        assert!(last_ref(blocker));
        assert!(last_ref(target));
        assert!(last_ref(target2));
        Ok(())
    }

    #[test]
    fn cancel_delayed_work_drops_queue_ref() -> Result {
        let q = OwnedQueue::new(c"smb_kunit_wq", WQ_UNBOUND)?;
        let p = Probe::new(0, false)?;
        let later = msecs_to_jiffies(PATIENCE_MS);

        assert!(wq::enqueue_delayed(&q, &p, later));
        assert!(!wq::enqueue_delayed(&q, &p, later));
        assert!(wq::cancel_delayed_work_sync(&p));
        assert!(!wq::cancel_delayed_work_sync(&p));

        // mod_delayed: idle -> queued (new reference), pending -> moved.
        assert!(!wq::mod_delayed(&q, &p, later));
        assert!(wq::mod_delayed(&q, &p, later));
        assert!(wq::cancel_delayed_work(&p));
        assert!(!wq::cancel_delayed_work(&p));
        assert_eq!(p.runs(), 0);

        // A pending item moved to "now" runs once, with one reference.
        assert!(!wq::mod_delayed(&q, &p, later));
        assert!(wq::mod_delayed(&q, &p, 0));
        q.flush();
        assert_eq!(p.runs(), 1);
        assert!(!wq::cancel_delayed_work_sync(&p));
        assert!(last_ref(p));
        Ok(())
    }

    #[test]
    fn owned_queue_rejects_bad_flags() {
        assert!(OwnedQueue::new(c"smb_kunit_bad", WQ_MEM_RECLAIM).is_err());
        assert!(OwnedQueue::new(c"smb_kunit_bad", WQ_UNBOUND | WQ_PERCPU).is_err());
        assert!(OwnedQueue::new(c"smb_kunit_bad", WQ_UNBOUND | (1 << 20)).is_err());
        assert!(OwnedQueue::new_ordered(c"smb_kunit_bad", WQ_PERCPU).is_err());
    }

    #[test]
    fn timer_fires_in_softirq_and_wakes_waiter() -> Result {
        let p = Probe::new(0, false)?;
        assert!(!Timer::arm_after(&p, 1));
        let outcome =
            p.wq.wait_killable_timeout(Some(msecs_to_jiffies(PATIENCE_MS)), || p.is_done());
        assert_eq!(outcome, WaitOutcome::Ready);
        assert_eq!(p.runs(), 1);
        assert!(p.in_softirq.load(Relaxed));
        // Not pending any more; waits for the callback to drop its reference.
        assert!(!p.timer.delete_sync());
        assert!(last_ref(p));
        Ok(())
    }

    #[test]
    fn timer_callback_may_drop_last_ref() -> Result {
        // The pending timer keeps the object alive after its owner lets go;
        // the callback then drops the last reference, in softirq, and the
        // timer is freed from its own callback (KASAN watches).
        let tracker = Tracker::new()?;
        let p = Probe::new_tracked(0, false, Some(tracker.clone()))?;
        assert!(!Timer::arm_after(&p, msecs_to_jiffies(20)));
        drop(p);
        assert!(!tracker.dropped.load(Acquire));
        let outcome = tracker
            .wq
            .wait_killable_timeout(Some(msecs_to_jiffies(PATIENCE_MS)), || {
                tracker.dropped.load(Acquire)
            });
        assert_eq!(outcome, WaitOutcome::Ready);
        assert!(tracker.in_softirq.load(Relaxed));
        Ok(())
    }

    #[test]
    fn timer_delete_drops_pending_ref() -> Result {
        let p = Probe::new(0, false)?;
        let later = msecs_to_jiffies(PATIENCE_MS);
        assert!(!Timer::arm_after(&p, later));
        // Already pending: only the expiry changes, no second reference.
        assert!(Timer::arm_after(&p, later));
        assert!(p.timer.delete_sync());
        assert!(!p.timer.delete_sync());
        // A deleted timer can be armed again.
        assert!(!Timer::arm_after(&p, later));
        assert!(p.timer.delete_sync());
        assert_eq!(p.runs(), 0);
        assert!(last_ref(p));
        Ok(())
    }

    #[test]
    fn timer_shutdown_is_final() -> Result {
        let p = Probe::new(0, false)?;
        assert!(!Timer::arm_after(&p, msecs_to_jiffies(PATIENCE_MS)));
        assert!(p.timer.shutdown_sync());
        // Arming after shutdown does nothing and takes no reference.
        assert!(!Timer::arm_after(&p, 1));
        assert!(!p.wq.wait_timeout(msecs_to_jiffies(50), || p.is_done()));
        assert!(!p.timer.delete_sync());
        assert!(!p.timer.shutdown_sync());
        assert_eq!(p.runs(), 0);
        assert!(last_ref(p));
        Ok(())
    }

    #[test]
    fn nofs_scope_sets_and_restores() {
        assert!(!nofs::is_active());
        {
            let _outer = NofsScope::new();
            assert!(nofs::is_active());
            {
                let _inner = NofsScope::enter();
                assert!(nofs::is_active());
            }
            // The inner scope found the flag set and leaves it set.
            assert!(nofs::is_active());
        }
        assert!(!nofs::is_active());
        assert!(nofs::scope(nofs::is_active));
        assert!(!nofs::is_active());
    }

    #[test]
    fn context_queries() {
        assert!(context::in_task());
        assert!(!context::in_serving_softirq());
    }
}

#[kernel::macros::kunit_tests(kext_layout)]
mod layout_tests {
    use crate::kext::layout::checks;

    // The Rust code writes C structures through bindings: each must be laid
    // out as the C compiler does, field by field.
    #[test]
    fn bindings_match_the_c_layout() {
        let mut n = 0;
        for (what, c, rust) in checks() {
            if c != rust {
                kernel::pr_err!("layout mismatch: {}: C {} Rust {}\n", what, c, rust);
            }
            assert_eq!(c, rust);
            n += 1;
        }
        assert_eq!(n, 51);
    }
}
