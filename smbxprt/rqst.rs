// SPDX-License-Identifier: GPL-2.0
//! One attempt at a request: the object the layer above drives through
//! the transport (charge, send, then finish or cancel; see `call.rs`) and
//! the receive path fills (this file).
//!
//! ```text
//!             charge                    send               reply placed
//!   Idle ───────────────> Charged ───────────────> Sent ─────────────────────────> Finished
//!     │ no credit,            │ cancel:               │ signed: Verifying ─(ok/EIO)─^   │
//!     │ no connection         │ charge given back     │ lost, soft timer: error ────^   │ finish
//!     v                       v                       │ interim: no timer               v
//!   Parked ──wake──>       Closed                     │ cancel: stays Sent, marked    Closed
//!   (charge again)                                    │ cancelled; its reply goes to the handlers
//! ```
//!
//! The owner is told through [`CallOwner::wake`] when it should look again
//! (a parked charge may succeed, or the result is there); owners that only
//! wake a task are woken from wherever the news came (softirq included),
//! others on smbiod.
//!
//! A request whose owner cancelled it after it was sent stays in the MID
//! table until its reply or the connection's end, so that its credits come
//! back; a successful late reply is handed to the transport's handlers
//! ([`crate::notify`]), which may hold something to undo (an open).
//!
//! Locks: the bottom-half spinlocks `buf` → `data` and `buf` → `owner`,
//! and the transport's `parked` → `st` (see `Xprt::park`); otherwise `st`
//! is held alone. The mutexes `waking` → `verifying` (a `cancel` from
//! within the owner's `wake`) are taken with no spinlock held.
#![forbid(unsafe_code)]

use crate::kext::iter::IterSlot;
use crate::kext::sync::bh::SpinLockBh;
use crate::kext::sync::live::LiveToken;
use crate::kext::workqueue as kwq;
use crate::proto::credits::{Charge, ChargeClass};
use crate::proto::header::{HeaderView, HEADER_LEN};
use crate::reply::ReplyBuf;
use crate::rx::Part;
use crate::stats::XprtStats;
use crate::xprt::Xprt;
use core::sync::atomic::{AtomicUsize, Ordering};
use kernel::alloc::{flags::GFP_KERNEL, KVVec, KVec};
use kernel::error::{Error, Result};
use kernel::prelude::*;
use kernel::sync::{new_mutex, Arc, Mutex};
use kernel::time::{Instant, Monotonic};
use kernel::workqueue::{impl_has_delayed_work, new_delayed_work, DelayedWork, WorkItem};

/// What the layer above supplies with a request.
pub(crate) trait CallOwner: Send + Sync {
    /// Whether [`CallOwner::wake`] may be called in any context (softirq
    /// included): it only wakes a task. Otherwise it is called on smbiod.
    fn wakes_atomically(&self) -> bool {
        false
    }

    /// The request may go on: a parked charge may succeed now, or the
    /// result is there ([`Rqst::finish`]).
    fn wake(&self);

    /// How many bytes of a reply [`CallOwner::split`] needs to see; 0: it
    /// never splits.
    fn split_head(&self) -> usize {
        0
    }

    /// Given the first bytes of a reply frame and the frame's length, the
    /// range (offset, length) of the frame that goes into the request's
    /// destination iterator (a READ's payload), or `None`: all of it goes
    /// into the reply buffer. Any context: must not sleep.
    fn split(&self, _head: &[u8], _frame_len: usize) -> Option<(usize, usize)> {
        None
    }
}

/// How a request is sent.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CallParams {
    pub(crate) class: ChargeClass,
    /// Encrypted with its session's keys (MS-SMB2 3.1.4.3).
    pub(crate) seal: bool,
    /// Signed with its session's key, and the reply verified.
    pub(crate) sign: bool,
    /// Bytes reserved for the reply (a longer one makes room on smbiod).
    pub(crate) reply_capacity: usize,
    /// Only on this connection generation (probes of it).
    pub(crate) only_on: Option<u64>,
}

/// Where a request is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    Idle,
    /// Waiting for credits or the connection.
    Parked,
    /// Credits and MessageIds taken.
    Charged,
    /// In the MID table, on the wire.
    Sent,
    /// The reply is in and its signature is being checked (smbiod).
    Verifying,
    /// Over: the reply is in the buffer (0) or the errno.
    Finished(i32),
    /// The owner took the result or cancelled.
    Closed,
}

/// The request's state, under `Rqst::st`.
pub(crate) struct St {
    pub(crate) phase: Phase,
    /// Taken by `charge`, given back or completed once.
    pub(crate) charge: Option<Charge>,
    /// The connection it was charged on, then sent on.
    pub(crate) generation: u64,
    /// The place in the credit line while parked for credits.
    pub(crate) ticket: Option<crate::credits::Ticket>,
    /// Soft transports: since when it waits for the connection.
    pub(crate) unconnected_since: Option<Instant<Monotonic>>,
    /// When the request timer expires (`None`: disarmed).
    pub(crate) timer_at: Option<Instant<Monotonic>>,
    /// An interim response came (the probe owns liveness now).
    pub(crate) interim: bool,
    pub(crate) async_id: Option<u64>,
    /// The owner left after sending it (a late reply goes to the handlers).
    pub(crate) cancelled: bool,
    /// The reply arrived encrypted (its integrity is the AEAD tag's).
    pub(crate) sealed_reply: bool,
    /// A compound whose last PDU went async: where that PDU starts in the
    /// reply buffer, which its final reply continues.
    pub(crate) tail_at: Option<usize>,
    /// Work for smbiod: wake a non-atomic owner, verify the reply, send a
    /// CANCEL.
    pub(crate) ev_wake: bool,
    pub(crate) ev_verify: bool,
    pub(crate) ev_cancel: bool,
    /// Its reply came after its owner left, complete (and verified): hand
    /// it to the handlers.
    pub(crate) ev_late: bool,
    /// On the transport's parked list.
    pub(crate) listed: bool,
    /// The request's first header as sent, for its CANCEL and for a late
    /// reply's handlers.
    pub(crate) hdr: [u8; HEADER_LEN],
    /// It was signed (its CANCEL is signed too).
    pub(crate) signed: bool,
    /// Every MessageId a reply of it may carry: the first of each PDU.
    pub(crate) pdu_mids: [u64; crate::mid::MAX_PDUS],
    pub(crate) nr_pdus: usize,
    pub(crate) sent_at: Option<Instant<Monotonic>>,
}

/// One attempt at a request.
#[pin_data]
pub(crate) struct Rqst {
    pub(crate) xprt: Arc<Xprt>,
    pub(crate) params: CallParams,
    #[pin]
    pub(crate) st: SpinLockBh<St>,
    #[pin]
    pub(crate) owner: SpinLockBh<Option<Arc<dyn CallOwner>>>,
    /// Held while a non-atomic owner's `wake` runs (on smbiod), so that
    /// taking the owner away waits for it: after `finish` or `cancel`
    /// returns, the owner is never called again. `waker` is the task
    /// running it, which may itself finish or cancel.
    #[pin]
    waking: Mutex<()>,
    waker: AtomicUsize,
    /// Held while the reply is verified (on smbiod), which reads a split
    /// payload back from the caller's iterator: `cancel` waits for it
    /// before it gives the iterator back.
    #[pin]
    pub(crate) verifying: Mutex<()>,
    #[pin]
    pub(crate) buf: SpinLockBh<ReplyBuf<'static>>,
    /// The caller's destination for a split payload, while it is out.
    #[pin]
    pub(crate) data: IterSlot<'static>,
    /// smbiod: verification, waking the owner, the request timer.
    #[pin]
    pub(crate) work: DelayedWork<Rqst>,
    /// Counted while alive: the module's exit waits for it (last field,
    /// dropped last).
    _live: LiveToken,
}

impl_has_delayed_work! {
    impl HasDelayedWork<Self> for Rqst { self.work }
}

impl WorkItem for Rqst {
    type Pointer = Arc<Rqst>;

    fn run(this: Arc<Rqst>) {
        this.run_work();
    }
}

impl crate::mid::InTable for Rqst {
    fn pdu_mids(&self) -> ([u64; crate::mid::MAX_PDUS], usize) {
        let st = self.st.lock();
        (st.pdu_mids, st.nr_pdus)
    }

    fn lost(this: &Arc<Self>, err: Error) {
        this.fail(err);
    }
}

/// The current task, as a number to compare.
fn current_task() -> usize {
    kernel::current!().as_ptr() as usize
}

/// What the receive path may do with a frame for a request.
pub(crate) enum Begin {
    /// Append it.
    Take,
    /// Its owner left: the frame is a late reply (base offset 0).
    Late,
    /// It may not fit: make room (process context), then ask again.
    NeedRoom(usize),
    /// Nobody wants it.
    Drain,
}

impl Rqst {
    /// A request for `owner`, with room for a `params.reply_capacity`-byte
    /// reply. Process context.
    pub(crate) fn new(
        xprt: &Arc<Xprt>,
        owner: Arc<dyn CallOwner>,
        params: CallParams,
    ) -> Result<Arc<Self>> {
        let cap = params.reply_capacity.max(HEADER_LEN + 16);
        let data = KVVec::with_capacity(cap, GFP_KERNEL)?;
        Arc::pin_init(
            pin_init!(Self {
                xprt: xprt.clone(),
                params,
                st <- crate::new_spinlock_bh!(St {
                    phase: Phase::Idle,
                    charge: None,
                    generation: 0,
                    ticket: None,
                    unconnected_since: None,
                    timer_at: None,
                    interim: false,
                    async_id: None,
                    cancelled: false,
                    sealed_reply: false,
                    tail_at: None,
                    ev_wake: false,
                    ev_verify: false,
                    ev_cancel: false,
                    ev_late: false,
                    listed: false,
                    hdr: [0; HEADER_LEN],
                    signed: false,
                    pdu_mids: [0; crate::mid::MAX_PDUS],
                    nr_pdus: 0,
                    sent_at: None,
                }, "Rqst::st"),
                owner <- crate::new_spinlock_bh!(Some(owner), "Rqst::owner"),
                waking <- new_mutex!((), "Rqst::waking"),
                verifying <- new_mutex!((), "Rqst::verifying"),
                waker: AtomicUsize::new(0),
                buf <- crate::new_spinlock_bh!(ReplyBuf::new(data), "Rqst::buf"),
                data <- IterSlot::new(),
                work <- new_delayed_work!("Rqst::work"),
                _live: xprt.globals.live_rqsts.token(),
            }),
            GFP_KERNEL,
        )
    }

    pub(crate) fn phase(&self) -> Phase {
        self.st.lock().phase
    }

    /// Whether the attempt holds nothing of the transport's (not charged,
    /// not parked, not sent): after a failed charge, the caller's struct
    /// may be let go.
    pub(crate) fn is_idle(&self) -> bool {
        self.st.lock().phase == Phase::Idle
    }

    /// Queues the request's work on smbiod now. Any context.
    pub(crate) fn kick(self: &Arc<Self>) {
        kwq::mod_delayed::<Rqst, 0>(&self.xprt.globals.smbiod, self, 0);
    }

    /// Tells the owner to look again: at once if its wake is atomic, else
    /// from smbiod. Any context.
    pub(crate) fn wake_owner(self: &Arc<Self>) {
        {
            let owner = self.owner.lock();
            match owner.as_ref() {
                None => return,
                Some(o) if o.wakes_atomically() => {
                    o.wake();
                    return;
                }
                Some(_) => {}
            }
        }
        self.st.lock().ev_wake = true;
        self.kick();
    }

    /// Ends the request with `result` (0 or an errno) unless it has ended,
    /// and wakes its owner. Any context.
    pub(crate) fn end(self: &Arc<Self>, result: Result) {
        {
            let mut st = self.st.lock();
            if !matches!(st.phase, Phase::Sent | Phase::Verifying | Phase::Charged) {
                return;
            }
            if st.cancelled {
                // Its owner left while the reply was verified: a good
                // reply goes to the handlers, from smbiod. Otherwise
                // nothing is left to do: its timer need not hold it (nor
                // the module) any longer.
                st.phase = Phase::Closed;
                st.timer_at = None;
                st.ev_cancel = false;
                if result.is_ok() {
                    st.ev_late = true;
                    drop(st);
                    self.kick();
                } else {
                    drop(st);
                    kwq::cancel_delayed_work::<Rqst, 0>(self);
                }
                return;
            }
            st.phase = Phase::Finished(match result {
                Ok(()) => 0,
                Err(e) => e.to_errno(),
            });
            st.timer_at = None;
        }
        self.wake_owner();
    }

    /// Fails a request that is out (connection lost, send failure). Any
    /// context.
    pub(crate) fn fail(self: &Arc<Self>, err: Error) {
        self.end(Err(err));
    }

    /// Records an interim response (MS-SMB2 3.2.5.1.5): the AsyncId, and
    /// the request timer stops (the transport's probe watches the server
    /// from now on). True if a CANCEL must go again (`kick`): one sent
    /// before the AsyncId was known named the MessageId, and a server
    /// that made the request asynchronous by then may look for it among
    /// its synchronous requests only (ksmbd does, and would keep a
    /// cancelled blocking LOCK waiting, to grant it later). Any context.
    pub(crate) fn interim(&self, async_id: Option<u64>) -> bool {
        let mut st = self.st.lock();
        st.interim = true;
        st.timer_at = None;
        let learnt = async_id.is_some() && st.async_id.is_none();
        if async_id.is_some() {
            st.async_id = async_id;
        }
        if learnt && st.cancelled && st.phase == Phase::Sent && !st.ev_cancel {
            st.ev_cancel = true;
            return true;
        }
        false
    }

    /// Whether it is out and its owner still wants it.
    pub(crate) fn is_waiting(&self) -> bool {
        let st = self.st.lock();
        st.phase == Phase::Sent && !st.cancelled
    }

    /// A frame of `frame_len` bytes is about to be delivered. Any context:
    /// never allocates.
    pub(crate) fn begin(&self, frame_len: usize) -> Begin {
        let base = {
            let st = self.st.lock();
            if st.cancelled {
                return Begin::Late;
            }
            if st.phase != Phase::Sent {
                return Begin::Drain;
            }
            st.tail_at.unwrap_or(0)
        };
        let lent = self.data.count();
        let split_head = if lent > 0 {
            self.owner.lock().as_ref().map_or(0, |o| o.split_head())
        } else {
            0
        };
        let mut b = self.buf.lock();
        if b.needs_room(base, frame_len, if split_head > 0 { lent } else { 0 }) {
            return Begin::NeedRoom(base.saturating_add(frame_len));
        }
        b.begin(base, frame_len, split_head);
        Begin::Take
    }

    /// Makes room for `len` bytes of reply before any of the frame
    /// arrives. Process context (allocates).
    pub(crate) fn reserve(&self, len: usize) -> Result {
        if self.buf.lock().capacity() >= len {
            return Ok(());
        }
        let fresh = KVVec::with_capacity(len, GFP_KERNEL)?;
        self.buf.lock().grow(fresh);
        Ok(())
    }

    /// Takes `part`, at `offset` within the frame. False if it does not
    /// fit where it must go. Any context.
    pub(crate) fn deliver(&self, offset: usize, part: &Part<'_>) -> bool {
        let mut b = self.buf.lock();
        let owner = &self.owner;
        let split = |head: &[u8], frame_len: usize| {
            owner.lock().as_ref().and_then(|o| o.split(head, frame_len))
        };
        b.append(offset, part, &self.data, &split)
    }

    /// Runs `f` on the reply buffer.
    pub(crate) fn with_reply<R>(&self, f: impl FnOnce(&ReplyBuf<'static>) -> R) -> R {
        f(&self.buf.lock())
    }

    /// The frame is whole in the buffer; `pending_tail`: its last PDU is an
    /// interim response at that offset, so the request goes on waiting
    /// for its final reply. Otherwise it is done: verified first on smbiod
    /// if `verify`, else finished here. Any context.
    pub(crate) fn frame_done(
        self: &Arc<Self>,
        pending_tail: Option<(usize, Option<u64>)>,
        verify: bool,
        sealed: bool,
    ) {
        if let Some((at, async_id)) = pending_tail {
            let mut st = self.st.lock();
            st.tail_at = Some(at);
            st.interim = true;
            st.timer_at = None;
            if async_id.is_some() {
                st.async_id = async_id;
            }
            return;
        }
        {
            let mut st = self.st.lock();
            st.sealed_reply = sealed;
            if verify && st.phase == Phase::Sent {
                st.phase = Phase::Verifying;
                st.timer_at = None;
                st.ev_verify = true;
                drop(st);
                self.kick();
                return;
            }
        }
        self.end(Ok(()));
    }

    /// smbiod: what the request's work item was asked to do.
    fn run_work(self: &Arc<Self>) {
        let _nofs = crate::kext::nofs::NofsScope::enter();
        let (verify, wake, late) = {
            let mut st = self.st.lock();
            let v = core::mem::take(&mut st.ev_verify);
            let w = core::mem::take(&mut st.ev_wake);
            let l = core::mem::take(&mut st.ev_late);
            (v, w, l)
        };
        if verify {
            let r = {
                let _v = self.verifying.lock();
                crate::verify::verify(self)
            };
            // `end` wakes the owner (from here, since this is smbiod), or
            // hands a reply its owner left to the handlers.
            self.end(r);
        }
        if late || core::mem::take(&mut self.st.lock().ev_late) {
            self.hand_late();
        }
        if wake {
            let _waking = self.waking.lock();
            let owner = self.owner.lock().clone();
            if let Some(o) = owner {
                self.waker.store(current_task(), Ordering::Relaxed);
                o.wake();
                self.waker.store(0, Ordering::Relaxed);
            }
        }
        self.timer_check();
    }

    /// smbiod: a complete reply whose owner left goes to the handlers, if
    /// it is small and says success (a late CREATE's open, which the layer
    /// above closes).
    fn hand_late(self: &Arc<Self>) {
        let (hdr, generation) = {
            let st = self.st.lock();
            (st.hdr, st.generation)
        };
        let data = core::mem::take(&mut self.buf.lock().data);
        XprtStats::inc(&self.xprt.stats.late_replies);
        let ok = data.len() <= crate::place::MAX_LATE_FRAME
            && HeaderView::new(&data).is_ok_and(|h| h.status() == 0);
        if !ok {
            return;
        }
        let mut copy = KVec::new();
        if copy.extend_from_slice(&data, GFP_KERNEL).is_err() {
            XprtStats::inc(&self.xprt.stats.messages_dropped);
            return;
        }
        self.xprt.post_message(
            crate::notify::MsgKind::LateReply,
            generation,
            Some(hdr),
            copy,
        );
    }

    /// Takes the owner away for good (`finish`, `cancel`), waiting for a
    /// `wake` of it that runs elsewhere; from within that `wake` itself,
    /// at once. Process context.
    pub(crate) fn drop_owner(&self) {
        let owner = if self.waker.load(Ordering::Relaxed) == current_task() {
            self.owner.lock().take()
        } else {
            let _waking = self.waking.lock();
            self.owner.lock().take()
        };
        drop(owner);
    }
}
