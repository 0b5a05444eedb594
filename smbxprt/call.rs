// SPDX-License-Identifier: GPL-2.0
//! What the layer above does with a request (sunrpc's `xprt_reserve`,
//! `xprt_transmit`, `xprt_release`): charge it, send it, take its result,
//! or cancel it; and the request timer.
//!
//! None of these waits for the server: a charge that finds no credit or no
//! connection parks the request, and its owner's `wake` tells it to charge
//! again; a sent request's owner is woken once the result is there. The
//! owner runs its own state machine around them (smbclient's tasks), and
//! [`Xprt::call_sync`] is the plain one the transport uses itself
//! (NEGOTIATE, ECHO) and offers as `smb_xprt_call()`.
//!
//! The request timer: an ordinary request unanswered for one timer period
//! fails with `ETIMEDOUT` on a soft transport (and is cancelled on the
//! server); on a hard one it makes the transport probe the server
//! (`probe.rs`) and keeps waiting. An interim response stops the timer:
//! from then on the transport's probe owns liveness. The transport never
//! sends a request again by itself: a lost connection fails what was out
//! (`ECONNRESET`), and only the owner knows whether it may be replayed.
#![forbid(unsafe_code)]

use crate::kext::iter::KernelIter;
use crate::kext::sync::wait::{WaitOutcome, WaitQueue};
use crate::kext::workqueue as kwq;
use crate::rqst::{CallOwner, CallParams, Phase, Rqst};
use crate::send::pdu_layout;
use crate::stats::XprtStats;
use crate::xprt::{recorded_error, State, Xprt};
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::alloc::{flags::GFP_ATOMIC, KBox, KVVec};
use kernel::error::{code::*, Error, Result};
use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::time::{msecs_to_jiffies, Delta, Instant, Jiffies, Monotonic};

/// `ms` milliseconds from now.
pub(crate) fn after_ms(ms: u32) -> Instant<Monotonic> {
    Instant::<Monotonic>::now() + Delta::from_millis(i64::from(ms))
}

/// Whether `at` is `now` or earlier.
fn passed(at: Instant<Monotonic>, now: Instant<Monotonic>) -> bool {
    (at - now).as_nanos() <= 0
}

/// Jiffies until `at` (0 if it has passed).
fn until(at: Instant<Monotonic>) -> Jiffies {
    let left = at - Instant::<Monotonic>::now();
    let ms = u32::try_from(left.as_millis().max(0)).unwrap_or(u32::MAX);
    msecs_to_jiffies(ms)
}

/// How long a request that could not be parked (no memory) waits before
/// its owner is woken to try again.
const POLL_MS: u32 = 10;

/// A request's result, taken by its owner.
pub(crate) struct Finished {
    /// `Ok`: the reply is in `reply`.
    pub(crate) result: Result,
    pub(crate) reply: KVVec<u8>,
    /// The destination iterator handed over with the request, as the
    /// receive path left it.
    pub(crate) recv: Option<KBox<KernelIter<'static>>>,
}

impl Rqst {
    /// Takes `count` credits and MessageIds for the request on the current
    /// connection: `Ok(true)` once charged, `Ok(false)` if it must wait (its
    /// owner is woken when it may try again). A soft transport gives up on
    /// a connection that stayed away for one timer period (the last connect
    /// error, or `ETIMEDOUT`). Process context.
    pub(crate) fn charge(
        self: &Arc<Self>,
        count: u16,
        mut reserved: Option<&mut crate::proto::credits::Reservation>,
    ) -> Result<bool> {
        let xprt = &self.xprt;
        loop {
            let ticket = {
                let st = self.st.lock();
                match st.phase {
                    Phase::Charged => return Ok(true),
                    Phase::Idle | Phase::Parked => st.ticket,
                    _ => return Err(EINVAL),
                }
            };
            let gave_up = |e: Error| {
                let t = {
                    let mut st = self.st.lock();
                    st.phase = Phase::Idle;
                    st.ticket.take()
                };
                if let Some(t) = t {
                    xprt.leave_line(t);
                }
                Err(e)
            };
            match xprt.state() {
                State::Dead => {
                    let last = xprt.ctl.lock().last_error;
                    return gave_up(recorded_error(last, ENETDOWN));
                }
                State::Connected => {}
                // NEGOTIATE goes out before the connection counts as up.
                State::Negotiating if self.params.only_on.is_some() => {}
                _ => match self.wait_connection() {
                    Ok(true) => continue,
                    Ok(false) => return Ok(false),
                    Err(e) => return gave_up(e),
                },
            }
            let Some(sock) = xprt.ctl.lock().sock.clone() else {
                match self.wait_connection() {
                    Ok(true) => continue,
                    Ok(false) => return Ok(false),
                    Err(e) => return gave_up(e),
                }
            };
            let generation = sock.generation();
            drop(sock);
            if self.params.only_on.is_some_and(|g| g != generation) {
                return gave_up(ENOTCONN);
            }
            // Credits reserved for it go first (they skip the line: they
            // were the caller's before anyone in it asked).
            let from_reserve = reserved
                .as_deref_mut()
                .and_then(|r| xprt.charge_reserved(r, count, generation));
            if let Some(c) = from_reserve {
                let t = {
                    let mut st = self.st.lock();
                    st.phase = Phase::Charged;
                    st.charge = Some(c);
                    st.generation = generation;
                    st.unconnected_since = None;
                    st.ticket.take()
                };
                if let Some(t) = t {
                    xprt.leave_line(t);
                }
                return Ok(true);
            }
            let mut ticket = ticket;
            match xprt.try_charge(self.params.class, count, generation, &mut ticket) {
                Ok(Some(c)) => {
                    let mut st = self.st.lock();
                    st.phase = Phase::Charged;
                    st.charge = Some(c);
                    st.generation = generation;
                    st.ticket = None;
                    st.unconnected_since = None;
                    return Ok(true);
                }
                Ok(None) => {
                    {
                        let mut st = self.st.lock();
                        if st.phase == Phase::Idle {
                            XprtStats::inc(&xprt.stats.credit_stalls);
                        }
                        st.ticket = ticket;
                        st.phase = Phase::Parked;
                    }
                    self.park();
                    if xprt.could_charge(self.params.class, count, generation, ticket) {
                        continue;
                    }
                    return Ok(false);
                }
                // The connection changed meanwhile (the ticket left the
                // line): look again.
                Err(e) if e == ECONNRESET => {
                    self.st.lock().ticket = None;
                    continue;
                }
                Err(e) => return gave_up(e),
            }
        }
    }

    /// Not connected: park until the transport's state changes. A soft
    /// transport gives up one timer period after the request found it so.
    /// `Ok(true)`: look again now.
    fn wait_connection(self: &Arc<Self>) -> Result<bool> {
        let timer = self.xprt.key.timer;
        {
            let mut st = self.st.lock();
            st.phase = Phase::Parked;
            if !timer.hard {
                let since = *st
                    .unconnected_since
                    .get_or_insert_with(Instant::<Monotonic>::now);
                let waited = since.elapsed().as_millis();
                if waited >= i64::from(timer.timeo_ms) {
                    drop(st);
                    let xprt = &self.xprt;
                    let last = xprt.ctl.lock().last_error;
                    return Err(recorded_error(last, ETIMEDOUT));
                }
                let left = u32::try_from(i64::from(timer.timeo_ms) - waited).unwrap_or(0);
                drop(st);
                // Woken at the soft limit if nothing happens before.
                kwq::enqueue_delayed::<Rqst, 0>(
                    &self.xprt.globals.smbiod,
                    self,
                    msecs_to_jiffies(left),
                );
            }
        }
        self.park();
        Ok(matches!(self.xprt.state(), State::Connected | State::Dead))
    }

    /// Puts the request on the transport's parked list (once); the next
    /// [`Xprt::wake`] wakes its owner. Without memory for that, the owner
    /// is woken by the request's own timer instead.
    fn park(self: &Arc<Self>) {
        if !self.xprt.park(self) {
            self.st.lock().ev_wake = true;
            kwq::enqueue_delayed::<Rqst, 0>(
                &self.xprt.globals.smbiod,
                self,
                msecs_to_jiffies(POLL_MS),
            );
        }
    }

    /// Sends the charged request: `parts` (the first begins with its SMB2
    /// header), `send` sent after them (a WRITE's payload), and `recv`, the
    /// destination a split reply's payload goes into (a READ's), handed to
    /// the request until it is over. Once it is out the owner is woken with
    /// the result; on failure nothing went out (see `Xprt::transmit`), the
    /// charge was given back, and the request is `Idle`. Process context.
    pub(crate) fn send(
        self: &Arc<Self>,
        parts: &mut [&mut [u8]],
        send: Option<&mut KernelIter<'_>>,
        recv: Option<KBox<KernelIter<'static>>>,
    ) -> Result {
        let xprt = &self.xprt;
        let generation = self.st.lock().generation;
        let sock = xprt
            .ctl
            .lock()
            .sock
            .clone()
            .filter(|s| s.generation() == generation);
        let Some(sock) = sock else {
            let charge = {
                let mut st = self.st.lock();
                st.phase = Phase::Idle;
                st.charge.take()
            };
            if let Some(c) = charge {
                xprt.uncharge(&c);
            }
            return Err(ENOTCONN);
        };
        if let Some(it) = recv {
            self.data.give(it)?;
        }
        if let Err(e) = xprt.transmit(self, &sock, parts, send) {
            drop(self.data.take());
            return Err(e);
        }
        drop(sock);
        // The request timer runs from the end of the transmission (as
        // sunrpc's does): a large request sent slowly is not yet late.
        let timed = {
            let mut st = self.st.lock();
            if st.phase == Phase::Sent
                && !st.interim
                && self.params.class == crate::proto::credits::ChargeClass::Normal
            {
                let at = after_ms(xprt.key.timer.timeo_ms);
                st.timer_at = Some(at);
                Some(at)
            } else {
                None
            }
        };
        if let Some(at) = timed {
            kwq::enqueue_delayed::<Rqst, 0>(&xprt.globals.smbiod, self, until(at));
        }
        xprt.probe_arm();
        Ok(())
    }

    /// Takes the result of a request that is over: `EINPROGRESS` if it is
    /// not yet (wait for the owner's wake). The request is `Closed` after
    /// this, and its owner dropped. Process context.
    pub(crate) fn finish(self: &Arc<Self>) -> Result<Finished> {
        let (result, sent_at) = {
            let mut st = self.st.lock();
            let Phase::Finished(errno) = st.phase else {
                return Err(if st.phase == Phase::Closed {
                    EINVAL
                } else {
                    EINPROGRESS
                });
            };
            st.phase = Phase::Closed;
            let r = if errno == 0 {
                Ok(())
            } else {
                Err(Error::from_errno(errno))
            };
            (r, st.sent_at.take())
        };
        let recv = self.data.take();
        let reply = core::mem::take(&mut self.buf.lock().data);
        self.drop_owner();
        // Over: its timer need not hold it any longer.
        kwq::cancel_delayed_work::<Rqst, 0>(self);
        if let (Ok(()), Some(t)) = (&result, sent_at) {
            let us = t.elapsed().as_micros_ceil();
            self.xprt.stats.record_rtt(u64::try_from(us).unwrap_or(0));
        }
        Ok(Finished {
            result,
            reply,
            recv,
        })
    }

    /// The owner gives up on the request: one not sent yet leaves the
    /// credit line or gives its charge back; one that is out stops using
    /// the destination iterator at once, is cancelled on the server (from
    /// smbiod), and stays in the MID table until its reply or the end of
    /// the connection (a successful late reply goes to the handlers). The
    /// owner is not woken again. Returns the destination iterator, if one
    /// was handed over. Process context.
    pub(crate) fn cancel(self: &Arc<Self>) -> Option<KBox<KernelIter<'static>>> {
        self.give_up(false)
    }

    /// [`Rqst::cancel`] for an owner that cancels on purpose and sends
    /// again next (`smb_xprt_cancel`): the CANCEL goes out before this
    /// returns, so that nothing the owner sends next overtakes it (Samba
    /// grants a cancelled blocking LOCK if the holder's UNLOCK gets there
    /// first). May sleep, killably, for the transmit lock. The
    /// transport's own cancels (a failed probe, teardown, a timed-out
    /// `smb_xprt_call`) leave the CANCEL to smbiod: they must not wait
    /// behind a send stuck on a server that stopped reading.
    pub(crate) fn cancel_ordered(self: &Arc<Self>) -> Option<KBox<KernelIter<'static>>> {
        self.give_up(true)
    }

    fn give_up(self: &Arc<Self>, now: bool) -> Option<KBox<KernelIter<'static>>> {
        let (phase, ticket, charge) = {
            let mut st = self.st.lock();
            let phase = st.phase;
            let mut ticket = None;
            let mut charge = None;
            match phase {
                Phase::Sent | Phase::Verifying => {
                    st.cancelled = true;
                }
                // Its reply came, and its owner leaves it: a good one goes
                // to the handlers as a late reply.
                Phase::Finished(0) => {
                    st.phase = Phase::Closed;
                    st.ev_late = true;
                }
                _ => {
                    ticket = st.ticket.take();
                    if phase == Phase::Charged {
                        charge = st.charge.take();
                    }
                    st.phase = Phase::Closed;
                }
            }
            (phase, ticket, charge)
        };
        if let Some(t) = ticket {
            self.xprt.leave_line(t);
        }
        if let Some(c) = charge {
            self.xprt.uncharge(&c);
        }
        if phase == Phase::Verifying {
            // The payload may be being read back from the iterator.
            drop(self.verifying.lock());
        }
        let recv = self.data.take();
        self.drop_owner();
        // Sent now if asked (smbiod if this task cannot: a fatal signal,
        // no memory), else by smbiod.
        if phase == Phase::Sent && !(now && self.xprt.send_cancel(self)) {
            self.st.lock().ev_cancel = true;
        }
        if matches!(phase, Phase::Sent | Phase::Finished(0)) {
            self.kick();
        }
        recv
    }

    /// smbiod: the request timer, a pending CANCEL, and the soft limit of a
    /// wait for the connection.
    pub(crate) fn timer_check(self: &Arc<Self>) {
        let xprt = &self.xprt;
        let now = Instant::<Monotonic>::now();
        let (cancel, expired, parked_soft) = {
            let mut st = self.st.lock();
            let cancel = core::mem::take(&mut st.ev_cancel);
            // (A request its owner left waits for its reply or the end of
            // the connection in the MID table: no timer.)
            let expired = st.phase == Phase::Sent
                && !st.interim
                && !st.cancelled
                && st.timer_at.is_some_and(|at| passed(at, now));
            let parked_soft = st.phase == Phase::Parked && st.unconnected_since.is_some();
            (cancel, expired, parked_soft)
        };
        if cancel {
            let _ = xprt.send_cancel(self);
        }
        if expired {
            XprtStats::inc(&xprt.stats.timeouts);
            if xprt.key.timer.hard {
                // Hard: is the server there? The transport's probe answers
                // that for every request at once.
                self.st.lock().timer_at = Some(after_ms(xprt.key.timer.timeo_ms));
                xprt.probe_now();
            } else {
                // Soft: the server is asked to drop the request (while it
                // is still out), then it fails (its owner gets the
                // iterator back with the result), and a late reply goes to
                // the handlers.
                let was_cancelled = self.st.lock().cancelled;
                if !was_cancelled {
                    let _ = xprt.send_cancel(self);
                }
                self.end(Err(ETIMEDOUT));
                self.st.lock().cancelled = true;
                return;
            }
        }
        if parked_soft {
            // Its owner charges again and learns whether the soft limit
            // has passed.
            self.wake_owner();
        }
        let next = {
            let st = self.st.lock();
            st.timer_at
                .filter(|_| st.phase == Phase::Sent && !st.cancelled)
        };
        if let Some(at) = next {
            kwq::enqueue_delayed::<Rqst, 0>(&xprt.globals.smbiod, self, until(at));
        }
    }
}

/// The owner of a synchronous call: the calling task, woken directly.
#[pin_data]
struct Waiter {
    woken: AtomicBool,
    #[pin]
    wq: WaitQueue,
}

impl CallOwner for Waiter {
    fn wakes_atomically(&self) -> bool {
        true
    }

    fn wake(&self) {
        self.woken.store(true, Ordering::Release);
        self.wq.wake_all();
    }
}

/// A synchronous call's deadline (`None`: no limit).
pub(crate) struct Deadline {
    at: Option<Instant<Monotonic>>,
}

impl Deadline {
    pub(crate) fn new(timeout_ms: Option<u32>) -> Self {
        Self {
            at: timeout_ms.map(after_ms),
        }
    }

    /// Jiffies left for the next wait (`None`: no limit).
    pub(crate) fn remaining(&self) -> Option<Jiffies> {
        self.at.map(until)
    }

    /// Milliseconds left (`None`: no limit).
    pub(crate) fn remaining_ms(&self) -> Option<u32> {
        self.at.map(|at| {
            let left = at - Instant::<Monotonic>::now();
            u32::try_from(left.as_millis().max(0)).unwrap_or(u32::MAX)
        })
    }

    /// Whether the deadline has passed.
    pub(crate) fn expired(&self) -> bool {
        self.remaining_ms() == Some(0)
    }
}

impl Xprt {
    /// Sends `parts` (and `send` after them, with `recv` taking a split
    /// reply's payload) and waits for the reply, sleeping TASK_KILLABLE,
    /// at most `timeout_ms` in all. Returns the reply and the destination
    /// iterator as the receive path left it. A fatal signal or the timeout
    /// cancels the request (`EINTR`, `ETIMEDOUT`). Process context.
    pub(crate) fn call_sync(
        self: &Arc<Self>,
        parts: &mut [&mut [u8]],
        send: Option<&mut KernelIter<'_>>,
        recv: Option<KBox<KernelIter<'static>>>,
        params: CallParams,
        timeout_ms: Option<u32>,
    ) -> (Result<KVVec<u8>>, Option<KBox<KernelIter<'static>>>) {
        let deadline = Deadline::new(timeout_ms);
        let waiter = match Arc::pin_init(
            pin_init!(Waiter {
                woken: AtomicBool::new(false),
                wq <- crate::new_wait_queue!("Waiter::wq"),
            }),
            kernel::alloc::flags::GFP_KERNEL,
        ) {
            Ok(w) => w,
            Err(e) => return (Err(e), recv),
        };
        let owner: Arc<dyn CallOwner> = waiter.clone();
        let rqst = match Rqst::new(self, owner, params) {
            Ok(r) => r,
            Err(e) => return (Err(e), recv),
        };
        let count = match pdu_layout(parts) {
            Ok((_, c)) => c,
            Err(e) => return (Err(e), recv),
        };
        let wait = |done: &dyn Fn() -> bool| -> Result {
            let outcome = waiter.wq.wait_killable_timeout(deadline.remaining(), || {
                waiter.woken.swap(false, Ordering::AcqRel) || done()
            });
            match outcome {
                WaitOutcome::Ready => Ok(()),
                WaitOutcome::Killed => Err(EINTR),
                WaitOutcome::TimedOut => Err(ETIMEDOUT),
            }
        };
        loop {
            match rqst.charge(count, None) {
                Ok(true) => break,
                Ok(false) => {
                    if let Err(e) = wait(&|| false) {
                        rqst.cancel();
                        return (Err(e), recv);
                    }
                }
                Err(e) => return (Err(e), recv),
            }
        }
        if let Err(e) = rqst.send(parts, send, recv) {
            return (Err(e), None);
        }
        let done = || matches!(rqst.phase(), Phase::Finished(_));
        loop {
            if done() {
                break;
            }
            if let Err(e) = wait(&done) {
                let it = rqst.cancel();
                return (Err(e), it);
            }
        }
        match rqst.finish() {
            Ok(f) => (f.result.map(|()| f.reply), f.recv),
            Err(e) => (Err(e), None),
        }
    }

    /// Puts `rqst` on the parked list unless it is there already; false
    /// without memory for it. The list and each request's `listed` change
    /// together, under the list's lock, so that a [`Xprt::wake`] running
    /// meanwhile cannot leave a request marked as listed but not on it.
    pub(crate) fn park(&self, rqst: &Arc<Rqst>) -> bool {
        let mut parked = self.parked.lock();
        let mut st = rqst.st.lock();
        if st.listed {
            return true;
        }
        if parked.push(rqst.clone(), GFP_ATOMIC).is_err() {
            return false;
        }
        st.listed = true;
        true
    }

    /// Wakes everything waiting on this transport (credits arrived, the
    /// state changed): sleepers on `events`, and the owners of parked
    /// requests. Any context.
    pub(crate) fn wake(&self) {
        self.events.wake_all();
        let parked = {
            let mut list = self.parked.lock();
            for r in list.iter() {
                r.st.lock().listed = false;
            }
            core::mem::take(&mut *list)
        };
        for r in parked.iter() {
            r.wake_owner();
        }
    }
}
