// SPDX-License-Identifier: GPL-2.0
//! Asynchronous calls: requests whose caller does not wait, in the manner
//! of sunrpc's async tasks on rpciod. Every step of one runs as a work item
//! on smbiod, and none of them waits for the server:
//!
//! ```text
//!   start ──> Ready ──(connected, credits)──> Sent ──reply placed──> done
//!               │  ^                            │  │
//!     no conn / │  │ wake (state, credits)      │  └─ request timer: soft → CANCEL,
//!     no credit v  │                            │     -ETIMEDOUT; hard → ECHO probe
//!             parked                            │     (unanswered: reconnect)
//!               ^                               │
//!               └──── replayable, connection lost (resent, REPLAY_OPERATION)
//! ```
//!
//! - The call is resumed by a kick: the reply's placement (`Rqst::resume`,
//!   which may run in softirq and only queues the work), the transport's
//!   [`Xprt::wake`] for parked calls, or its own timer. All three are the
//!   one delayed work item, so steps never run concurrently; the state is
//!   under a mutex only so that the code says so.
//! - What the call sends and where its results go is an [`AsyncSource`],
//!   implemented over the caller's memory by the C ABI.
//! - A READ's destination is handed to the request ([`IterSlot::give`])
//!   while it is out and taken back before the call finishes, so no
//!   receive path writes there after the caller has been told.
//!
//! [`IterSlot::give`]: crate::kext::iter::IterSlot::give
#![forbid(unsafe_code)]

use crate::conn::ConnSock;
use crate::credit_queue::Ticket;
use crate::kext::iter::KernelIter;
use crate::kext::workqueue as kwq;
use crate::mid::{Phase, Rqst};
use crate::proto::credits::ChargeClass;
use crate::proto::header::HEADER_LEN;
use crate::seal::SessionKeys;
use crate::stats::XprtStats;
use crate::xprt::{
    create_tree_id, echo_request, is_connection_loss, mark_replay, pdu_layout, recorded_error,
    reply_status_ok, Deadline, Signer, State, Xprt,
};
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::alloc::{flags::GFP_KERNEL, KBox, KVec};
use kernel::error::{code::*, Error, Result};
use kernel::prelude::*;
use kernel::sync::{new_mutex, Arc, Mutex};
use kernel::time::{msecs_to_jiffies, Instant, Jiffies, Monotonic};
use kernel::workqueue::{impl_has_delayed_work, new_delayed_work, DelayedWork, WorkItem};

/// What [`AsyncSource::with_request`] runs: the request's parts, a cursor
/// over the payload to send after them, and the signer.
pub(crate) type RequestFn<'f> =
    dyn FnMut(&mut [&mut [u8]], Option<&mut KernelIter<'_>>, Option<Signer<'_>>) -> Result + 'f;

/// The request side of an asynchronous call: its buffers, its data and
/// where its result goes. Called only from the call's steps (one at a
/// time, on smbiod).
pub(crate) trait AsyncSource: Send {
    /// Runs `f` with the request's parts (the first begins with the SMB2
    /// header), a cursor over the payload to send after them (fresh for
    /// each attempt) and the signer, if any.
    fn with_request(&mut self, f: &mut RequestFn<'_>) -> Result;

    /// A fresh cursor over the destination of a READ's payload, if there
    /// is one; the receive path fills it while the request is out.
    fn recv_cursor(&mut self) -> Result<Option<KBox<KernelIter<'static>>>>;

    /// The call is over: the reply frame or the error, and the READ cursor
    /// as the receive path left it. Called once, on smbiod.
    fn finish(&mut self, result: Result<KVec<u8>>, recv: Option<KBox<KernelIter<'static>>>);
}

/// How an asynchronous call is sent.
pub(crate) struct AsyncParams {
    pub(crate) class: ChargeClass,
    pub(crate) replayable: bool,
    pub(crate) seal: bool,
    pub(crate) reply_capacity: usize,
    pub(crate) timeout_ms: Option<u32>,
    /// Only on this connection (an ECHO probe of it); `None`: any.
    pub(crate) only_on: Option<u64>,
}

/// A request that is out.
struct Sent {
    rqst: Arc<Rqst>,
    sock: Arc<ConnSock>,
    keys: Option<Arc<SessionKeys>>,
    started: Instant<Monotonic>,
    /// The request timer (`None`: priority requests, which have none).
    timer: Option<Deadline>,
}

enum St {
    /// To be sent (again).
    Ready,
    Sent(Sent),
    Done,
}

struct Inner {
    src: Option<KBox<dyn AsyncSource>>,
    st: St,
    /// Sent before on a connection that was lost: the next send says so.
    replay: bool,
    /// The place in the credit line, while waiting for credits.
    ticket: Option<Ticket>,
    /// Soft transports: how long to wait for the connection to come back,
    /// counted from when this call found it gone.
    unconnected: Option<Deadline>,
    parked_once: bool,
}

/// What a step leaves behind.
enum Next {
    /// Run again after this long (or when kicked).
    Wait(Option<Jiffies>),
    Finish(Result<KVec<u8>>, Option<KBox<KernelIter<'static>>>),
}

/// What an attempt to send gave.
enum Sendout {
    Sent(Sent),
    /// Parked until the transport wakes it (or this long passes).
    Parked(Option<Jiffies>),
    /// Nothing was sent and the connection changed: go again.
    Again,
    /// The connection was lost while sending: the server may have it.
    Lost(Error),
    Fail(Error),
}

/// An asynchronous call in progress.
#[pin_data]
pub(crate) struct AsyncCall {
    xprt: Arc<Xprt>,
    params: AsyncParams,
    deadline: Deadline,
    /// In the transport's parked list.
    parked: AtomicBool,
    #[pin]
    inner: Mutex<Inner>,
    #[pin]
    work: DelayedWork<AsyncCall>,
}

impl_has_delayed_work! {
    impl HasDelayedWork<Self> for AsyncCall { self.work }
}

impl WorkItem for AsyncCall {
    type Pointer = Arc<AsyncCall>;

    fn run(this: Arc<AsyncCall>) {
        this.step();
    }
}

/// How long a call polls when it could not be parked (no memory).
const POLL_MS: u32 = 10;

impl AsyncCall {
    /// Starts a call: its first step is queued on smbiod, and `src` hears
    /// the result there, never from here. Process context.
    pub(crate) fn start(
        xprt: &Arc<Xprt>,
        src: KBox<dyn AsyncSource>,
        params: AsyncParams,
    ) -> Result {
        let deadline = Deadline::new(params.timeout_ms);
        let call = Arc::pin_init(
            pin_init!(Self {
                xprt: xprt.clone(),
                params,
                deadline,
                parked: AtomicBool::new(false),
                inner <- new_mutex!(
                    Inner {
                        src: Some(src),
                        st: St::Ready,
                        replay: false,
                        ticket: None,
                        unconnected: None,
                        parked_once: false,
                    },
                    "AsyncCall::inner"
                ),
                work <- new_delayed_work!("AsyncCall::work"),
            }),
            GFP_KERNEL,
        )?;
        XprtStats::inc(&xprt.stats.async_calls);
        call.kick();
        Ok(())
    }

    /// Runs the next step now. Any context.
    pub(crate) fn kick(self: &Arc<Self>) {
        kwq::mod_delayed::<AsyncCall, 0>(&self.xprt.globals.smbiod, self, 0);
    }

    /// Taken off the transport's parked list: go again. Any context.
    pub(crate) fn unpark(self: &Arc<Self>) {
        self.parked.store(false, Ordering::Release);
        self.kick();
    }

    /// Runs the next step after `delay`, unless a kick comes first.
    fn arm(self: &Arc<Self>, delay: Jiffies) {
        kwq::enqueue_delayed::<AsyncCall, 0>(&self.xprt.globals.smbiod, self, delay);
    }

    fn step(self: &Arc<Self>) {
        let mut inner = self.inner.lock();
        match self.advance(&mut inner) {
            Next::Wait(Some(delay)) => self.arm(delay),
            Next::Wait(None) => {}
            Next::Finish(result, recv) => {
                inner.st = St::Done;
                let src = inner.src.take();
                let ticket = inner.ticket.take();
                drop(inner);
                if let Some(t) = ticket {
                    self.xprt.leave_line(t);
                }
                if let Some(mut s) = src {
                    s.finish(result, recv);
                }
            }
        }
    }

    fn advance(self: &Arc<Self>, inner: &mut Inner) -> Next {
        loop {
            match &mut inner.st {
                St::Done => return Next::Wait(None),
                St::Ready => match self.send(inner) {
                    Sendout::Sent(s) => inner.st = St::Sent(s),
                    Sendout::Parked(delay) => return Next::Wait(delay),
                    Sendout::Again => {}
                    Sendout::Lost(e) => {
                        if let Some(n) = self.lost(inner, e) {
                            return n;
                        }
                    }
                    Sendout::Fail(e) => return Next::Finish(Err(e), None),
                },
                St::Sent(sent) => {
                    if sent.rqst.is_finished() {
                        let St::Sent(sent) = core::mem::replace(&mut inner.st, St::Ready) else {
                            return Next::Wait(None);
                        };
                        drop(sent.rqst.clear_hook());
                        let recv = sent.rqst.data.take();
                        match sent.rqst.take_reply() {
                            Ok(reply) => {
                                let us = sent.started.elapsed().as_micros_ceil();
                                self.xprt.stats.record_rtt(u64::try_from(us).unwrap_or(0));
                                return Next::Finish(Ok(reply), recv);
                            }
                            Err(e) if is_connection_loss(e) => {
                                if let Some(n) = self.lost(inner, e) {
                                    return n;
                                }
                            }
                            Err(e) => return Next::Finish(Err(e), recv),
                        }
                        continue;
                    }
                    let timer_expired = sent.timer.as_ref().is_some_and(|t| t.expired());
                    if !self.deadline.expired() && !timer_expired {
                        let next = match (&sent.timer, self.deadline.remaining()) {
                            (Some(t), Some(d)) => t.remaining().map(|r| r.min(d)),
                            (Some(t), None) => t.remaining(),
                            (None, d) => d,
                        };
                        return Next::Wait(next);
                    }
                    let tim = self.xprt.key.timer;
                    if timer_expired {
                        XprtStats::inc(&self.xprt.stats.timeouts);
                    }
                    if timer_expired && tim.hard && !self.deadline.expired() {
                        // Hard: is the server there? An unanswered probe
                        // drops the connection, which fails (or replays)
                        // this request.
                        Probe::start(&self.xprt, &sent.sock, &sent.rqst, tim.timeo_ms);
                        sent.timer = Some(Deadline::new(Some(tim.timeo_ms)));
                        continue;
                    }
                    return self.give_up(inner);
                }
            }
        }
    }

    /// The soft timer or the call's deadline ran out with the request out:
    /// stop taking its reply, ask the server to drop it, fail.
    fn give_up(self: &Arc<Self>, inner: &mut Inner) -> Next {
        let St::Sent(sent) = core::mem::replace(&mut inner.st, St::Ready) else {
            return Next::Wait(None);
        };
        sent.rqst.detach();
        drop(sent.rqst.clear_hook());
        let recv = sent.rqst.data.take();
        // The reply may have come whole just before the detach.
        if let Ok(reply) = sent.rqst.take_reply() {
            return Next::Finish(Ok(reply), recv);
        }
        if let Some(src) = inner.src.as_mut() {
            let xprt = &self.xprt;
            let _ = src.with_request(&mut |parts, _, sign| {
                xprt.cancel(&sent.sock, &sent.rqst, parts, sent.keys.as_deref(), sign);
                Ok(())
            });
        }
        Next::Finish(Err(ETIMEDOUT), recv)
    }

    /// The connection went while the request was (or may have been) out:
    /// a replayable request goes again, anything else fails with `EIO`,
    /// since the server may have acted on it. `None`: go on.
    fn lost(&self, inner: &mut Inner, e: Error) -> Option<Next> {
        inner.st = St::Ready;
        if !self.params.replayable {
            return Some(Next::Finish(Err(EIO), None));
        }
        if self.deadline.expired() {
            return Some(Next::Finish(Err(e), None));
        }
        XprtStats::inc(&self.xprt.stats.replays);
        inner.replay = true;
        None
    }

    /// One attempt to send, waiting for nothing.
    fn send(self: &Arc<Self>, inner: &mut Inner) -> Sendout {
        let xprt = &self.xprt;
        if self.deadline.expired() {
            return Sendout::Fail(recorded_error(xprt.ctl.lock().last_error, ETIMEDOUT));
        }
        match xprt.state() {
            State::Connected => {}
            State::Dead => {
                return Sendout::Fail(recorded_error(xprt.ctl.lock().last_error, ENETDOWN))
            }
            _ => return self.wait_connected(inner),
        }
        let Some(sock) = xprt.ctl.lock().sock.clone() else {
            return self.wait_connected(inner);
        };
        inner.unconnected = None;
        let generation = sock.generation();
        if self.params.only_on.is_some_and(|g| g != generation) {
            return Sendout::Fail(ECONNRESET);
        }
        let Some(src) = inner.src.as_mut() else {
            return Sendout::Fail(EINVAL);
        };
        // The layout, the keys and a CREATE's TreeId, from the request.
        let mut layout = None;
        let mut keys = None;
        let mut tree_id = 0u32;
        let seal = self.params.seal;
        let r = src.with_request(&mut |parts, _, _| {
            layout = Some(pdu_layout(parts)?);
            if seal {
                keys = Some(xprt.sealing_keys(parts, generation).ok_or(ENOKEY)?);
            }
            tree_id = create_tree_id(parts);
            Ok(())
        });
        let (pdus, count) = match (r, layout) {
            (Ok(()), Some(l)) => l,
            (Err(e), _) => return Sendout::Fail(e),
            (Ok(()), None) => return Sendout::Fail(EINVAL),
        };
        let class = self.params.class;
        let charge = match xprt.try_charge(class, count, generation, &mut inner.ticket) {
            Ok(Some(c)) => c,
            Ok(None) => {
                let delay = self.deadline.remaining();
                let ready = || xprt.could_charge(class, count, generation, inner.ticket);
                return self.park(&mut inner.parked_once, delay, ready);
            }
            Err(e) if e == ECONNRESET => return Sendout::Again,
            Err(e) => return Sendout::Fail(e),
        };
        let rqst = match xprt.new_rqst(charge, generation, self.params.reply_capacity, tree_id) {
            Ok(r) => r,
            Err(e) => return Sendout::Fail(e),
        };
        let Some(src) = inner.src.as_mut() else {
            return Sendout::Fail(EINVAL);
        };
        let lent = match src.recv_cursor() {
            Ok(Some(it)) => rqst.data.give(it),
            Ok(None) => Ok(()),
            Err(e) => Err(e),
        };
        if let Err(e) = lent {
            let _ = xprt.credits.lock().abandon(&charge);
            return Sendout::Fail(e);
        }
        // Before anything is sent: the reply may be placed (in softirq)
        // before the send returns.
        rqst.set_hook(self.clone());
        let replay = inner.replay && xprt.negotiated().is_some_and(|n| n.dialect >= 0x0300);
        let sent = src.with_request(&mut |parts, data, sign| {
            // MS-SMB2 3.2.4.1.1: a request sent again after its connection
            // was lost says so, on SMB 3.x.
            if replay {
                mark_replay(parts)?;
            }
            xprt.transmit(&sock, &rqst, parts, data, &pdus, keys.as_deref(), sign)
        });
        match sent {
            Ok(()) => {
                XprtStats::inc(&xprt.stats.requests);
                let timer = match class {
                    ChargeClass::Normal => Some(Deadline::new(Some(xprt.key.timer.timeo_ms))),
                    ChargeClass::Priority => None,
                };
                Sendout::Sent(Sent {
                    rqst,
                    sock,
                    keys,
                    started: Instant::<Monotonic>::now(),
                    timer,
                })
            }
            Err(e) => {
                drop(rqst.clear_hook());
                let _ = rqst.data.take();
                // Failed after it entered the MID table: bytes may be out.
                let out = matches!(rqst.state.lock().phase, Phase::Failed(_));
                if out && is_connection_loss(e) {
                    Sendout::Lost(e)
                } else {
                    Sendout::Fail(e)
                }
            }
        }
    }

    /// Not connected: park until the transport's state changes; a soft
    /// transport gives up one request timer after the call found it so.
    fn wait_connected(self: &Arc<Self>, inner: &mut Inner) -> Sendout {
        let tim = self.xprt.key.timer;
        let soft = if tim.hard {
            None
        } else {
            let w = inner
                .unconnected
                .get_or_insert_with(|| Deadline::new(Some(tim.timeo_ms)));
            if w.expired() {
                let err = recorded_error(self.xprt.ctl.lock().last_error, ETIMEDOUT);
                return Sendout::Fail(err);
            }
            w.remaining()
        };
        let delay = match (soft, self.deadline.remaining()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let xprt = &self.xprt;
        let ready = || matches!(xprt.state(), State::Connected | State::Dead);
        self.park(&mut inner.parked_once, delay, ready)
    }

    /// Puts the call on the transport's parked list (once), then looks
    /// again with `ready`, so that a wake that came before it was parked
    /// is not lost.
    fn park(
        self: &Arc<Self>,
        parked_once: &mut bool,
        delay: Option<Jiffies>,
        ready: impl Fn() -> bool,
    ) -> Sendout {
        if !*parked_once {
            *parked_once = true;
            XprtStats::inc(&self.xprt.stats.async_parked);
        }
        if !self.parked.swap(true, Ordering::AcqRel) && !self.xprt.park(self) {
            self.parked.store(false, Ordering::Release);
            let poll = msecs_to_jiffies(POLL_MS);
            return Sendout::Parked(Some(delay.map_or(poll, |d| d.min(poll))));
        }
        if ready() {
            return Sendout::Parked(Some(0));
        }
        Sendout::Parked(delay)
    }
}

/// The ECHO probe a hard transport sends when a request's timer expires:
/// asynchronous too, on the request's connection only. Unanswered, it
/// drops the connection (unless the request finished meanwhile).
struct Probe {
    buf: [u8; HEADER_LEN + 4],
    xprt: Arc<Xprt>,
    sock: Arc<ConnSock>,
    rqst: Arc<Rqst>,
}

impl Probe {
    fn start(xprt: &Arc<Xprt>, sock: &Arc<ConnSock>, rqst: &Arc<Rqst>, timeo_ms: u32) {
        let Ok(buf) = echo_request() else {
            return;
        };
        let probe = KBox::new(
            Probe {
                buf,
                xprt: xprt.clone(),
                sock: sock.clone(),
                rqst: rqst.clone(),
            },
            GFP_KERNEL,
        );
        let params = AsyncParams {
            class: ChargeClass::Priority,
            replayable: false,
            seal: false,
            reply_capacity: HEADER_LEN + 16,
            timeout_ms: Some(timeo_ms),
            only_on: Some(sock.generation()),
        };
        XprtStats::inc(&xprt.stats.probes);
        let started = probe
            .map_err(Error::from)
            .and_then(|p| AsyncCall::start(xprt, p, params));
        if started.is_err() {
            // No memory for a probe: the next timer tries again.
            XprtStats::inc(&xprt.stats.probe_failures);
        }
    }
}

impl AsyncSource for Probe {
    fn with_request(&mut self, f: &mut RequestFn<'_>) -> Result {
        f(&mut [&mut self.buf[..]], None, None)
    }

    fn recv_cursor(&mut self) -> Result<Option<KBox<KernelIter<'static>>>> {
        Ok(None)
    }

    fn finish(&mut self, result: Result<KVec<u8>>, _recv: Option<KBox<KernelIter<'static>>>) {
        let Err(e) = result.and_then(|r| reply_status_ok(&r)) else {
            return;
        };
        if self.rqst.is_finished() || self.sock.generation() != self.rqst.generation {
            return;
        }
        self.xprt.probe_failed(&self.sock, e);
    }
}
