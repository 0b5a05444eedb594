// SPDX-License-Identifier: GPL-2.0
//! The transport object: one TCP connection to a server, shared by all
//! callers that ask for the same (address, port, netns, dialect range,
//! receive mode), connected and negotiated by a worker on smbiod.
//!
//! ```text
//!   get() ──> Idle ──connect_work──> Connecting ──ESTABLISHED──> Negotiating
//!                ^                       │ refused/timeout            │ NEGOTIATE ok
//!                │                       v                            v
//!                └──── backoff ──── Disconnected <──RST/close/error── Connected
//!   netns exit, last put ──> Dead (every state)
//! ```
#![forbid(unsafe_code)]

use crate::acall::AsyncCall;
use crate::conn::{Conn, ConnSock};
use crate::credit_queue::{Ticket, TicketNode};
use crate::exports_xprt::Handler;
use crate::kext::iter::KernelIter;
use crate::kext::net::addr::SockAddr;
use crate::kext::net::ns::{Net, NetBound};
use crate::kext::net::tcp::{CallbackSocket, KvecArray, TcpSocket, TcpState};
use crate::kext::sync::wait::{WaitOutcome, WaitQueue};
use crate::kext::workqueue as kwq;
use crate::mid::{MidTable, Phase, Rqst};
use crate::negotiate::{self, Negotiated};
use crate::proto::close::CloseRequest;
use crate::proto::create::CreateResponse;
use crate::proto::credits::{Charge, ChargeClass, CreditError};
use crate::proto::echo::{CancelRequest, EchoRequest};
use crate::proto::framing::encode_frame_length;
use crate::proto::header::{
    flags::{RELATED_OPERATIONS, SIGNED},
    set_credit_charge, set_credit_request, set_message_id, Command, Header, HeaderTarget,
    HEADER_LEN,
};
use crate::proto::message::encode;
use crate::proto::message::Message;
use crate::rx::RxEngine;
use crate::seal::{self, Keyring, SessionKeys};
use crate::stats::XprtStats;
use crate::Globals;
use core::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use kernel::alloc::{
    flags::{GFP_ATOMIC, GFP_KERNEL},
    KBox, KVec,
};
use kernel::error::{code::*, Error, Result};
use kernel::prelude::*;
use kernel::sync::{new_mutex, new_spinlock_irq, Arc, Mutex, SpinLockIrq};
use kernel::time::{msecs_to_jiffies, Instant, Jiffies, Monotonic};
use kernel::workqueue::{
    impl_has_delayed_work, impl_has_work, new_delayed_work, new_work, DelayedWork, Work, WorkItem,
};

/// How a transport receives (see Documentation/smbxprt.rst).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RecvMode {
    /// `sk_data_ready` parses and places frames itself.
    Softirq,
    /// `sk_data_ready` only queues work on smbiod.
    Workqueue,
}

/// What identifies a shareable transport (besides its netns).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct XprtKey {
    pub(crate) addr: SockAddr,
    pub(crate) dialect_min: u16,
    pub(crate) dialect_max: u16,
    pub(crate) recv_mode: RecvMode,
    pub(crate) timer: Timer,
}

/// The request timer and what happens when it expires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Timer {
    pub(crate) timeo_ms: u32,
    pub(crate) hard: bool,
}

/// Connection states, readable without a lock (`Xprt::state`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub(crate) enum State {
    Idle = 0,
    Connecting = 1,
    Negotiating = 2,
    Connected = 3,
    Disconnected = 4,
    Dead = 5,
}

impl State {
    fn from_u32(v: u32) -> Self {
        match v {
            1 => Self::Connecting,
            2 => Self::Negotiating,
            3 => Self::Connected,
            4 => Self::Disconnected,
            5 => Self::Dead,
            _ => Self::Idle,
        }
    }
}

/// Tunables, from the module parameters at creation.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tunables {
    pub(crate) connect_timeout_ms: u32,
    pub(crate) reconnect_min_ms: u32,
    pub(crate) reconnect_max_ms: u32,
    pub(crate) max_credits: u32,
}

/// Signs (or encrypts) a request's parts, and the payload that follows them
/// if there is one, after its MessageId is set, under the transmit lock;
/// supplied by the session layer. The payload is a duplicate cursor: the
/// signer may consume it.
pub(crate) type Signer<'a> = &'a mut dyn FnMut(&mut [&mut [u8]], Option<KernelIter<'_>>) -> Result;

/// The bulk data of a call, in kernel-backed iterators that the transport
/// reads and fills in place (no copy through a buffer of its own).
#[derive(Default)]
pub(crate) struct CallData<'a, 'b> {
    /// Sent right after the request's parts, as the end of its last PDU (a
    /// WRITE's payload). Advanced by what was sent.
    pub(crate) send: Option<&'a mut KernelIter<'b>>,
    /// Receives the payload of a READ response (MS-SMB2 2.2.20); the reply
    /// then holds the frame up to DataOffset. Advanced by what arrived.
    pub(crate) recv: Option<&'a mut KernelIter<'b>>,
}

impl CallData<'_, '_> {
    /// Back to the start, for a request sent again.
    fn rewind(&mut self) {
        if let Some(it) = self.send.as_deref_mut() {
            it.rewind();
        }
        if let Some(it) = self.recv.as_deref_mut() {
            it.rewind();
        }
    }
}

/// The credit window tracks up to 512 outstanding MessageIds.
pub(crate) use crate::credit_queue::Credits;

/// What a transport tells its handlers (`include/smb/xprt.h`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum XprtEvent {
    Disconnected,
    Connected,
}

/// What kind of message a handler is handed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MsgKind {
    /// An oplock or lease break (MessageId all ones).
    Unsolicited,
    /// A successful CREATE reply whose task had left.
    OrphanCreate,
}

/// At most this many messages wait for the handlers; more (a server
/// flooding breaks faster than they are handled) are dropped and counted.
const MAX_PENDING_MESSAGES: usize = 256;

/// Events and messages not yet handed to the handlers. Events are kept as
/// generations so that a burst of reconnects coalesces.
#[derive(Default)]
pub(crate) struct Notes {
    lost: u64,
    lost_told: u64,
    connected: u64,
    connected_told: u64,
    msgs: KVec<(MsgKind, u64, u32, KVec<u8>)>,
}

enum Note {
    Event(XprtEvent, u64),
    Msg(MsgKind, u64, u32, KVec<u8>),
}

impl Notes {
    /// The next thing to tell: a loss before a connection, events before
    /// messages.
    fn next(&mut self) -> Option<Note> {
        if self.lost != self.lost_told {
            self.lost_told = self.lost;
            return Some(Note::Event(XprtEvent::Disconnected, self.lost));
        }
        if self.connected != self.connected_told {
            self.connected_told = self.connected;
            return Some(Note::Event(XprtEvent::Connected, self.connected));
        }
        if self.msgs.is_empty() {
            return None;
        }
        let (k, g, t, m) = self.msgs.remove(0).ok()?;
        Some(Note::Msg(k, g, t, m))
    }
}

/// State changed only by process context, under `Xprt::ctl`.
pub(crate) struct Ctl {
    /// The current connection's socket, if any.
    pub(crate) sock: Option<Arc<ConnSock>>,
    pub(crate) negotiated: Option<Negotiated>,
    pub(crate) backoff_ms: u32,
    /// The last connect or negotiate failure (errno), reported to waiters.
    pub(crate) last_error: i32,
}

/// A transport.
#[pin_data]
pub(crate) struct Xprt {
    pub(crate) id: u32,
    pub(crate) key: XprtKey,
    pub(crate) tun: Tunables,
    /// Connection.ClientGuid of every connection (MS-SMB2 3.2.1.1).
    pub(crate) client_guid: [u8; 16],
    pub(crate) globals: Arc<Globals>,
    pub(crate) stats: Arc<XprtStats>,
    /// Users (get/put), changed under the registry's lock.
    users: AtomicUsize,
    state: AtomicU32,
    /// Generation of the current connection (the credit window's).
    pub(crate) generation: AtomicU64,
    /// Longest frame the receive path accepts on this connection: small
    /// until NEGOTIATE says how large READ, WRITE and IOCTL may be.
    pub(crate) max_frame: AtomicUsize,
    /// The connection last reset for having no credits (`reset_stuck`).
    stuck_reset: AtomicU64,
    #[pin]
    pub(crate) ctl: Mutex<Ctl>,
    /// One sender at a time: frames never interleave on the socket.
    #[pin]
    xmit: Mutex<()>,
    #[pin]
    pub(crate) mids: MidTable,
    #[pin]
    pub(crate) credits: SpinLockIrq<Credits>,
    /// Woken on state changes and when credits arrive.
    #[pin]
    pub(crate) events: WaitQueue,
    #[pin]
    connect_work: DelayedWork<Xprt>,
    /// The upper layers' handlers. Held while a callback runs, so that
    /// unregistering waits for it. Lock order: `handlers` → `xmit`.
    #[pin]
    handlers: Mutex<KVec<KBox<Handler>>>,
    /// What the handlers have yet to hear; a leaf lock.
    #[pin]
    notes: Mutex<Notes>,
    /// The sessions' encryption keys (`seal`); a leaf lock.
    #[pin]
    pub(crate) keyring: Mutex<Keyring>,
    /// Tells the handlers, on smbiod.
    #[pin]
    notify_work: Work<Xprt, 1>,
    /// Asynchronous calls waiting for the connection or for credits,
    /// resumed by [`Xprt::wake`].
    #[pin]
    parked: SpinLockIrq<KVec<Arc<AsyncCall>>>,
}

impl_has_delayed_work! {
    impl HasDelayedWork<Self> for Xprt { self.connect_work }
}

impl_has_work! {
    impl HasWork<Self, 1> for Xprt { self.notify_work }
}

impl WorkItem<1> for Xprt {
    type Pointer = Arc<Xprt>;

    fn run(this: Arc<Xprt>) {
        this.notify();
    }
}

impl WorkItem for Xprt {
    type Pointer = Arc<Xprt>;

    fn run(this: Arc<Xprt>) {
        this.connect();
    }
}

impl NetBound for Xprt {
    fn net_exit(this: &Arc<Self>) {
        pr_info!(
            "transport {} to {}: network namespace gone, shutting it down\n",
            this.id,
            this.key.addr
        );
        this.kill(ENETDOWN);
    }
}

static NEXT_ID: AtomicU32 = AtomicU32::new(1);

impl Xprt {
    /// Finds the transport for `key` in `net`, or creates one and starts
    /// connecting it. Takes a user reference.
    pub(crate) fn get(
        globals: &Arc<Globals>,
        net: &Net,
        key: XprtKey,
        tun: Tunables,
    ) -> Result<Arc<Xprt>> {
        if let Some(x) = globals
            .registry
            .find(net, |x| x.key == key && x.try_get_user())
        {
            return Ok(x);
        }
        let stats = Arc::new(XprtStats::default(), GFP_KERNEL)?;
        // One ClientGuid for the transport's life, every connection: a
        // server matches replayed requests by it (MS-SMB2 3.3.5.9).
        let mut client_guid = [0u8; 16];
        crate::kext::random::fill(&mut client_guid);
        let x = Arc::pin_init(
            pin_init!(Self {
                id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
                key,
                tun,
                client_guid,
                globals: globals.clone(),
                stats,
                users: AtomicUsize::new(1),
                state: AtomicU32::new(State::Idle as u32),
                generation: AtomicU64::new(0),
                max_frame: AtomicUsize::new(PRE_NEGOTIATE_MAX_FRAME),
                stuck_reset: AtomicU64::new(u64::MAX),
                ctl <- new_mutex!(Ctl { sock: None, negotiated: None, backoff_ms: 0, last_error: 0 }, "Xprt::ctl"),
                xmit <- new_mutex!((), "Xprt::xmit"),
                mids <- MidTable::new(),
                credits <- new_spinlock_irq!(Credits::new(tun.max_credits, 2), "Xprt::credits"),
                events <- crate::new_wait_queue!("Xprt::events"),
                connect_work <- new_delayed_work!("Xprt::connect_work"),
                handlers <- new_mutex!(KVec::new(), "Xprt::handlers"),
                notes <- new_mutex!(Notes::default(), "Xprt::notes"),
                keyring <- new_mutex!(Keyring::default(), "Xprt::keyring"),
                notify_work <- new_work!("Xprt::notify_work"),
                parked <- new_spinlock_irq!(KVec::new(), "Xprt::parked"),
            }),
            GFP_KERNEL,
        )?;
        globals.registry.insert(net, x.clone())?;
        globals.add_debugfs(&x);
        x.schedule_connect(0);
        Ok(x)
    }

    fn try_get_user(&self) -> bool {
        // Called under the registry lock, like `put`'s decrement: a
        // transport whose last user left is never handed out again.
        if self.users.load(Ordering::Relaxed) == 0 || self.state() == State::Dead {
            return false;
        }
        self.users.fetch_add(1, Ordering::Relaxed);
        true
    }

    /// Drops a user reference; the last one shuts the transport down.
    pub(crate) fn put(this: Arc<Xprt>) {
        let last = this
            .globals
            .registry
            .remove_if(&this, || this.users.fetch_sub(1, Ordering::Relaxed) == 1);
        if last {
            this.kill(ESHUTDOWN);
            this.globals.remove_debugfs(&this);
            kwq::cancel_delayed_work_sync::<Xprt, 0>(&this);
            kwq::cancel_work_sync::<Xprt, 1>(&this);
        }
    }

    pub(crate) fn state(&self) -> State {
        State::from_u32(self.state.load(Ordering::Acquire))
    }

    fn set_state(&self, s: State) {
        self.state.store(s as u32, Ordering::Release);
        self.wake();
    }

    fn schedule_connect(self: &Arc<Self>, delay_ms: u32) {
        let _ =
            kwq::enqueue_delayed::<Xprt, 0>(&self.globals.smbiod, self, msecs_to_jiffies(delay_ms));
    }

    /// Shuts the transport down for good: no reconnect, requests fail with
    /// `err`. Process context.
    pub(crate) fn kill(self: &Arc<Self>, err: Error) {
        self.set_state(State::Dead);
        let sock = {
            let mut ctl = self.ctl.lock();
            ctl.last_error = err.to_errno();
            ctl.negotiated = None;
            ctl.sock.take()
        };
        if let Some(s) = sock {
            s.shutdown();
            drop(s);
        }
        self.mids.fail_all(err);
        self.wake();
    }

    /// The connection went away (RST, close, malformed input, send
    /// failure): fail what was in flight and reconnect with backoff.
    /// Process context.
    pub(crate) fn disconnect(self: &Arc<Self>, generation: u64, why: Error) {
        if self.generation.load(Ordering::Acquire) != generation {
            return;
        }
        let (sock, backoff) = {
            let mut ctl = self.ctl.lock();
            if self.generation.load(Ordering::Acquire) != generation || ctl.sock.is_none() {
                return;
            }
            ctl.negotiated = None;
            ctl.last_error = why.to_errno();
            ctl.backoff_ms = next_backoff(ctl.backoff_ms, &self.tun);
            (ctl.sock.take(), ctl.backoff_ms)
        };
        XprtStats::inc(&self.stats.disconnects);
        if self.state() != State::Dead {
            self.set_state(State::Disconnected);
        }
        self.notes.lock().lost = generation;
        self.schedule_notify();
        if let Some(s) = sock {
            s.shutdown();
            drop(s);
        }
        self.mids.fail_all(ECONNRESET);
        // Tasks waiting for credits of the lost connection give up on it.
        self.wake();
        if self.state() != State::Dead {
            pr_info!(
                "transport {} to {}: connection lost (error {}); reconnecting in {} ms\n",
                self.id,
                self.key.addr,
                why.to_errno(),
                backoff
            );
            self.schedule_connect(backoff);
        }
    }

    /// The connect worker: connect, then NEGOTIATE. Runs on smbiod.
    fn connect(self: &Arc<Self>) {
        if self.state() == State::Dead || self.users.load(Ordering::Relaxed) == 0 {
            return;
        }
        match self.try_connect() {
            Ok(()) => {
                self.ctl.lock().backoff_ms = 0;
            }
            Err(e) => {
                XprtStats::inc(&self.stats.connect_failures);
                let gen = self.generation.load(Ordering::Acquire);
                let backoff = {
                    let mut ctl = self.ctl.lock();
                    ctl.last_error = e.to_errno();
                    ctl.backoff_ms = next_backoff(ctl.backoff_ms, &self.tun);
                    if let Some(s) = ctl.sock.take() {
                        s.shutdown();
                    }
                    ctl.backoff_ms
                };
                self.mids.fail_all(ECONNRESET);
                if self.state() != State::Dead {
                    self.set_state(State::Disconnected);
                    pr_debug!("transport {} to {}: connect failed (error {}), generation {}; retrying in {} ms\n",
                        self.id, self.key.addr, e.to_errno(), gen, backoff);
                    self.schedule_connect(backoff);
                }
            }
        }
    }

    fn try_connect(self: &Arc<Self>) -> Result {
        // The socket holds its own reference on the namespace; until it
        // exists the transport only has the registry's weak binding.
        let net = self.globals.registry.net_of(self).ok_or(ENETDOWN)?;
        XprtStats::inc(&self.stats.connects);
        let generation = {
            let mut credits = self.credits.lock();
            credits.reset();
            u64::from(credits.generation())
        };
        self.generation.store(generation, Ordering::Release);
        self.max_frame
            .store(PRE_NEGOTIATE_MAX_FRAME, Ordering::Release);
        let sock = TcpSocket::new(&net, self.key.addr.family())?;
        drop(net);
        sock.set_nodelay();
        // A dead peer is noticed by TCP too: keepalive probes after one
        // request timer of silence, and unacknowledged data gives up after
        // two (RFC 5482), both well before a hard wait would.
        let secs = i32::try_from(self.key.timer.timeo_ms / 1000)
            .unwrap_or(i32::MAX)
            .max(1);
        let _ = sock.set_keepalive(secs, (secs / 3).max(1), 3);
        sock.set_user_timeout(
            i32::try_from(self.key.timer.timeo_ms.saturating_mul(2)).unwrap_or(i32::MAX),
        );
        let conn = Conn::new(self.clone(), generation)?;
        let cs = CallbackSocket::new(sock, conn, RxEngine::new())?;
        let cs = Arc::new(ConnSock::new(cs), GFP_KERNEL)?;
        self.set_state(State::Connecting);
        cs.socket().connect(&self.key.addr)?;
        self.ctl.lock().sock = Some(cs.clone());

        let timeout = msecs_to_jiffies(self.tun.connect_timeout_ms);
        let settled = self.events.wait_timeout(timeout, || {
            self.state() == State::Dead || cs.socket().state() != TcpState::SynSent
        });
        if self.state() == State::Dead {
            return Err(ESHUTDOWN);
        }
        match cs.socket().state() {
            TcpState::Established => {}
            _ if !settled => return Err(ETIMEDOUT),
            _ => return Err(cs.socket().error().unwrap_or(ECONNREFUSED)),
        }

        self.set_state(State::Negotiating);
        let negotiated = negotiate::run(self, &cs, generation)?;
        pr_info!(
            "transport {} to {}: connected, SMB {}\n",
            self.id,
            self.key.addr,
            crate::negotiate::dialect_name(negotiated.dialect)
        );
        {
            let mut ctl = self.ctl.lock();
            ctl.negotiated = Some(negotiated);
            ctl.last_error = 0;
        }
        self.max_frame
            .store(negotiated_max_frame(&negotiated), Ordering::Release);
        self.set_state(State::Connected);
        {
            let mut notes = self.notes.lock();
            if notes.connected != 0 {
                XprtStats::inc(&self.stats.reconnects);
            }
            notes.connected = generation;
        }
        self.schedule_notify();
        Ok(())
    }

    fn schedule_notify(self: &Arc<Self>) {
        let _ = self.globals.smbiod.enqueue::<Arc<Xprt>, 1>(self.clone());
    }

    /// Queues a message for the handlers (smbiod, process context).
    pub(crate) fn post_message(
        self: &Arc<Self>,
        kind: MsgKind,
        generation: u64,
        tree_id: u32,
        frame: KVec<u8>,
    ) {
        {
            let mut notes = self.notes.lock();
            if notes.msgs.len() >= MAX_PENDING_MESSAGES
                || notes
                    .msgs
                    .push((kind, generation, tree_id, frame), GFP_KERNEL)
                    .is_err()
            {
                drop(notes);
                XprtStats::inc(&self.stats.messages_dropped);
                return;
            }
        }
        self.schedule_notify();
    }

    /// smbiod: tells the handlers what happened, in order, one callback at
    /// a time and without any other transport lock held.
    fn notify(self: &Arc<Self>) {
        loop {
            let handlers = self.handlers.lock();
            let Some(note) = self.notes.lock().next() else {
                return;
            };
            match note {
                Note::Event(ev, generation) => {
                    for h in handlers.iter() {
                        h.event(ev, generation);
                    }
                }
                Note::Msg(kind, generation, tree_id, frame) => {
                    let mut taken = false;
                    for h in handlers.iter() {
                        taken |= h.message(kind, &frame, tree_id);
                    }
                    drop(handlers);
                    if kind == MsgKind::OrphanCreate && !taken {
                        self.close_orphan(generation, tree_id, &frame);
                    }
                }
            }
        }
    }

    /// Adds a handler; the returned address identifies it.
    pub(crate) fn register_handler(&self, h: KBox<Handler>) -> Result<usize> {
        let id = core::ptr::from_ref::<Handler>(&h).addr();
        self.handlers.lock().push(h, GFP_KERNEL)?;
        Ok(id)
    }

    /// Removes the handler `id`, waiting for its running callback if any.
    pub(crate) fn unregister_handler(&self, id: usize) -> Option<KBox<Handler>> {
        let mut handlers = self.handlers.lock();
        let i = handlers
            .iter()
            .position(|h| core::ptr::from_ref::<Handler>(h).addr() == id)?;
        handlers.remove(i).ok()
    }

    /// Closes the open a CREATE reply reports, whose task had left: an
    /// unsigned CLOSE (MS-SMB2 2.2.15) with the reply's SessionId and
    /// TreeId, sent without waiting (the reply is drained for its credits).
    /// A session that signs rejects it; its open then lasts until the
    /// session ends, which is why the session layer is asked first.
    fn close_orphan(&self, generation: u64, tree_id: u32, frame: &[u8]) {
        let Ok(rsp) = CreateResponse::parse(frame) else {
            return;
        };
        let Ok(hdr) = Header::parse(frame) else {
            return;
        };
        let Some(sock) = self.ctl.lock().sock.clone() else {
            return;
        };
        if sock.generation() != generation {
            // The open went with the connection.
            return;
        }
        let mut h = hdr;
        h.target = HeaderTarget::Sync { tree_id };
        h.flags = 0;
        h.credit_charge = 1;
        h.credits = 1;
        h.next_command = 0;
        h.status = 0;
        h.signature = [0; 16];
        let mut buf = [0u8; HEADER_LEN + 24];
        let close = CloseRequest {
            flags: 0,
            file_id: rsp.file_id,
        };
        if encode(&h, &close, &mut buf).is_err() {
            return;
        }
        match self.send_detached(&sock, generation, &mut [&mut buf[..]]) {
            Ok(()) => {
                XprtStats::inc(&self.stats.orphan_closes);
                pr_debug!(
                    "transport {}: closed FileId {:#x}:{:#x}, opened for a task that left\n",
                    self.id,
                    rsp.file_id.persistent,
                    rsp.file_id.volatile
                );
            }
            Err(e) => pr_warn!(
                "transport {} to {}: could not close an open whose task left (error {}); the server keeps it until the session ends\n",
                self.id,
                self.key.addr,
                e.to_errno()
            ),
        }
    }

    /// Sends a request whose reply nobody waits for (it is drained, its
    /// credits counted). Takes a priority credit if one is free now, never
    /// waits for one.
    fn send_detached(&self, sock: &ConnSock, generation: u64, parts: &mut [&mut [u8]]) -> Result {
        let (pdus, count) = pdu_layout(parts)?;
        let charge = self.charge(
            ChargeClass::Priority,
            count,
            generation,
            &Deadline::new(Some(0)),
        )?;
        let rqst = self.new_rqst(charge, generation, HEADER_LEN + 64, 0)?;
        // A session that seals gets its CLOSE sealed too.
        let keys = self.sealing_keys(parts, generation);
        self.transmit(sock, &rqst, parts, None, &pdus, keys.as_deref(), None)?;
        XprtStats::inc(&self.stats.requests);
        rqst.detach();
        Ok(())
    }

    /// Sleeps (killable) until connected, the deadline, or death.
    pub(crate) fn wait_connected(&self, deadline: &Deadline) -> Result {
        let outcome = self.events.wait_killable_timeout(deadline.remaining(), || {
            matches!(self.state(), State::Connected | State::Dead)
        });
        match (self.state(), outcome) {
            (State::Connected, _) => Ok(()),
            (State::Dead, _) => Err(recorded_error(self.ctl.lock().last_error, ENETDOWN)),
            (_, WaitOutcome::Killed) => Err(EINTR),
            _ => Err(recorded_error(self.ctl.lock().last_error, ETIMEDOUT)),
        }
    }

    /// The negotiated parameters of the current connection.
    pub(crate) fn negotiated(&self) -> Option<Negotiated> {
        self.ctl.lock().negotiated
    }

    /// Takes `count` credits and as many MessageIds for one request (all
    /// PDUs of a compound), waiting (killable) for credits to arrive, in
    /// line behind the tasks that were waiting first (see credit_queue.rs).
    /// Fails if the connection changes meanwhile.
    fn charge(
        &self,
        class: ChargeClass,
        count: u16,
        generation: u64,
        deadline: &Deadline,
    ) -> Result<Charge> {
        let mut ticket: Option<Ticket> = None;
        let mut waited = false;
        let r = loop {
            match self.try_charge(class, count, generation, &mut ticket) {
                Ok(Some(c)) => break Ok(c),
                Err(e) => break Err(e),
                Ok(None) => {}
            }
            if !waited {
                XprtStats::inc(&self.stats.credit_stalls);
                waited = true;
            }
            let outcome = self.events.wait_killable_timeout(deadline.remaining(), || {
                self.could_charge(class, count, generation, ticket)
            });
            match outcome {
                WaitOutcome::Ready => {}
                WaitOutcome::Killed => break Err(EINTR),
                WaitOutcome::TimedOut => break Err(ETIMEDOUT),
            }
        };
        if let Some(t) = ticket {
            self.leave_line(t);
        }
        r
    }

    /// [`Xprt::charge`] that never waits (asynchronous calls use it as is): the
    /// charge, or `None` if the call must wait for the next [`Xprt::wake`]
    /// (an ordinary charge then holds `ticket`, its place in line, until it
    /// is charged or fails). `ECONNRESET` if the connection changed.
    /// Process context.
    pub(crate) fn try_charge(
        &self,
        class: ChargeClass,
        count: u16,
        generation: u64,
        ticket: &mut Option<Ticket>,
    ) -> Result<Option<Charge>> {
        let mut node: Option<TicketNode> = None;
        loop {
            let mut stuck = false;
            let mut left = false;
            let mut need_node = false;
            let out = {
                let mut credits = self.credits.lock();
                let out = if u64::from(credits.generation()) != generation {
                    Err(ECONNRESET)
                } else if credits.is_turn(class, *ticket) {
                    match credits.charge(count, class) {
                        Ok(c) => Ok(Some(c)),
                        // No credit, and no reply pending that could grant
                        // one (the window counts a reply's grant and its
                        // completion together): the connection is stuck.
                        Err(CreditError::NotEnoughCredits)
                            if credits.zero_credits_nothing_in_flight() =>
                        {
                            stuck = true;
                            Ok(None)
                        }
                        Err(CreditError::NotEnoughCredits) | Err(CreditError::WindowFull) => {
                            Ok(None)
                        }
                        Err(_) => Err(EIO),
                    }
                } else {
                    Ok(None)
                };
                match (&out, ticket.take()) {
                    (Ok(None), None) if class == ChargeClass::Normal => match node.take() {
                        Some(n) => *ticket = Some(credits.join(n)),
                        None => need_node = true,
                    },
                    (Ok(None), t) => *ticket = t,
                    (_, Some(t)) => {
                        credits.leave(t);
                        left = true;
                    }
                    (_, None) => {}
                }
                out
            };
            if stuck {
                self.reset_stuck(generation);
            }
            if left {
                // Whoever is next in line may be able to go now.
                self.wake();
            }
            if need_node {
                // Get in line: the node is allocated without the lock
                // held (only when the charge must wait), then the turn is
                // checked again.
                node = Some(TicketNode::new(GFP_KERNEL)?);
                continue;
            }
            return out;
        }
    }

    /// Gives up a place in the credit line taken by [`Xprt::try_charge`].
    pub(crate) fn leave_line(&self, ticket: Ticket) {
        self.credits.lock().leave(ticket);
        self.wake();
    }

    /// Whether a parked call holding `ticket` should try again now: the
    /// connection changed, or its charge would succeed.
    pub(crate) fn could_charge(
        &self,
        class: ChargeClass,
        count: u16,
        generation: u64,
        ticket: Option<Ticket>,
    ) -> bool {
        let c = self.credits.lock();
        u64::from(c.generation()) != generation || c.would_charge(count, class, ticket)
    }

    /// A server that leaves us without credits and owes no reply can never
    /// be sent anything again on this connection: reconnect (MS-SMB2 3.2.5.1.4
    /// has the server grant at least one credit; one that does not is
    /// broken).
    /// Once per connection, however many callers find it stuck.
    fn reset_stuck(&self, generation: u64) {
        if self.stuck_reset.swap(generation, Ordering::AcqRel) == generation {
            return;
        }
        let sock = self.ctl.lock().sock.clone();
        if let Some(s) = sock.filter(|s| s.generation() == generation) {
            XprtStats::inc(&self.stats.zero_credit_resets);
            pr_warn!(
                "transport {} to {}: the server left no credits and owes no reply; reconnecting\n",
                self.id,
                self.key.addr
            );
            s.request_disconnect(ECONNRESET);
        }
    }

    /// The entry of a request charged `charge` on connection `generation`,
    /// with room for a `capacity`-byte reply and a CREATE's `tree_id`
    /// (see `Rqst::tree_id`). On failure the charge is given back.
    pub(crate) fn new_rqst(
        &self,
        charge: Charge,
        generation: u64,
        capacity: usize,
        tree_id: u32,
    ) -> Result<Arc<Rqst>> {
        match Rqst::new(charge, generation, capacity) {
            Ok(r) => {
                r.tree_id.store(tree_id, Ordering::Relaxed);
                Ok(r)
            }
            Err(e) => {
                let _ = self.credits.lock().abandon(&charge);
                Err(e)
            }
        }
    }

    /// An ECHO probe of `sock` went unanswered (`e`): the server is gone,
    /// drop the connection (which fails or replays what was in flight).
    pub(crate) fn probe_failed(&self, sock: &ConnSock, e: Error) {
        pr_warn!(
            "transport {} to {}: server not responding (ECHO probe: error {}); reconnecting\n",
            self.id,
            self.key.addr,
            e.to_errno()
        );
        XprtStats::inc(&self.stats.probe_failures);
        sock.request_disconnect(ETIMEDOUT);
    }

    /// Sends one request and waits for its reply. `parts[0]` begins with
    /// the 64-byte header, into which the MessageId and credit fields are
    /// written; `sign` runs after that, under the transmit lock. Returns the
    /// reply frame.
    ///
    /// If the connection is lost before the reply arrives, a `replayable`
    /// request is sent again on the next connection (within the timeout);
    /// any other fails with `EIO`: the transport cannot know whether the
    /// server acted on it.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn call(
        &self,
        parts: &mut [&mut [u8]],
        data: &mut CallData<'_, '_>,
        class: ChargeClass,
        reply_capacity: usize,
        timeout_ms: Option<u32>,
        replayable: bool,
        seal: bool,
        mut sign: Option<Signer<'_>>,
    ) -> Result<KVec<u8>> {
        let deadline = Deadline::new(timeout_ms);
        let mut replay = false;
        loop {
            // Soft: a server that is away fails the call within one
            // request timer; hard: wait (killably) for it to come back.
            let soft = Deadline::new(Some(self.key.timer.timeo_ms));
            let wait = if self.key.timer.hard {
                &deadline
            } else {
                Deadline::sooner(&deadline, &soft)
            };
            self.wait_connected(wait)?;
            let Some(sock) = self.ctl.lock().sock.clone() else {
                continue;
            };
            let generation = sock.generation();
            // MS-SMB2 3.2.4.1.1: a request sent again after its connection
            // was lost says so, on SMB 3.x, so that the server can tell it
            // from a new one.
            if replay && self.negotiated().is_some_and(|n| n.dialect >= 0x0300) {
                mark_replay(parts)?;
            }
            let sign = sign.as_mut().map(|s| &mut **s as Signer<'_>);
            data.rewind();
            match self.call_on(
                &sock,
                generation,
                parts,
                data,
                class,
                reply_capacity,
                &deadline,
                seal,
                sign,
            ) {
                Err(e) if replayable && is_connection_loss(e) && !deadline.expired() => {
                    XprtStats::inc(&self.stats.replays);
                    replay = true;
                }
                // The server may have acted on it: only the caller can tell
                // whether sending it again is safe.
                Err(e) if !replayable && is_connection_loss(e) => return Err(EIO),
                r => return r,
            }
        }
    }

    /// One attempt of [`Xprt::call`] on the connection `sock`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn call_on(
        &self,
        sock: &ConnSock,
        generation: u64,
        parts: &mut [&mut [u8]],
        data: &mut CallData<'_, '_>,
        class: ChargeClass,
        reply_capacity: usize,
        deadline: &Deadline,
        seal: bool,
        sign: Option<Signer<'_>>,
    ) -> Result<KVec<u8>> {
        let (pdus, count) = pdu_layout(parts)?;
        // A sealed request needs its session's keys for this connection
        // (see `seal`): without them it is not sent at all.
        let keys = if seal {
            Some(self.sealing_keys(parts, generation).ok_or(ENOKEY)?)
        } else {
            None
        };
        let charge = self.charge(class, count, generation, deadline)?;
        let rqst = self.new_rqst(charge, generation, reply_capacity, create_tree_id(parts))?;
        let send = data.send.as_deref_mut();
        let mut sign = sign;
        let run = || -> Result<KVec<u8>> {
            let started = Instant::<Monotonic>::now();
            let s = sign.as_mut().map(|s| &mut **s as Signer<'_>);
            self.transmit(sock, &rqst, parts, send, &pdus, keys.as_deref(), s)?;
            XprtStats::inc(&self.stats.requests);

            let outcome = self.wait_reply(sock, &rqst, class, deadline);
            if outcome != WaitOutcome::Ready && !rqst.is_finished() {
                // Leave early: nobody writes our buffer (or the lent
                // iterator) after this; the reply, if it comes, is drained
                // and its credits still counted. The server is asked to
                // stop working on it.
                rqst.detach();
                let s = sign.as_mut().map(|s| &mut **s as Signer<'_>);
                self.cancel(sock, &rqst, parts, keys.as_deref(), s);
                return Err(if outcome == WaitOutcome::Killed {
                    EINTR
                } else {
                    ETIMEDOUT
                });
            }
            let reply = rqst.take_reply()?;
            let us = started.elapsed().as_micros_ceil();
            self.stats.record_rtt(u64::try_from(us).unwrap_or(0));
            Ok(reply)
        };
        match data.recv.as_deref_mut() {
            // The receive path fills the iterator only while it is lent; the
            // loan ends after the task has detached or taken its reply.
            Some(it) => rqst.data.lend(it, run)?,
            None => run(),
        }
    }

    /// The send path: write each PDU's MessageId and credit fields, then
    /// under the transmit lock enter the request in the MID table (before
    /// anything can reply), sign, and send the frame (the whole compound,
    /// then the payload if any) back to back while holding the lock. Every
    /// failure before the send gives the charge back and leaves nothing in
    /// the MID table.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn transmit(
        &self,
        sock: &ConnSock,
        rqst: &Arc<Rqst>,
        parts: &mut [&mut [u8]],
        mut payload: Option<&mut KernelIter<'_>>,
        pdus: &[(usize, u16)],
        seal: Option<&SessionKeys>,
        sign: Option<Signer<'_>>,
    ) -> Result {
        let charge = rqst.charge;
        // Everything that can fail without touching shared state first:
        // after this, only the signer and the socket can.
        let payload_len = payload.as_deref().map_or(0, |p| p.count());
        let mut frame = [0u8; 4];
        let total = parts
            .iter()
            .try_fold(payload_len, |acc, p| acc.checked_add(p.len()));
        let refill = self.credits.lock().credits_to_request();
        let prepared = parts.len() < MAX_PARTS
            && total.is_some_and(|t| encode_frame_length(t, &mut frame).is_ok())
            && write_pdu_headers(parts, pdus, charge.first_message_id, refill).is_ok();
        if !prepared {
            let _ = self.credits.lock().abandon(&charge);
            return Err(EINVAL);
        }
        // Sealing needs the MessageIds (inside the ciphertext), not the
        // transmit lock: it is done before taking it. A sealed message is
        // not signed (MS-SMB2 3.2.4.1.1).
        let sealed = match seal.map(|k| seal::seal(k, parts, payload.as_deref())) {
            None => None,
            Some(Ok(buf)) => {
                if encode_frame_length(buf.len(), &mut frame).is_err() {
                    let _ = self.credits.lock().abandon(&charge);
                    return Err(EINVAL);
                }
                Some(buf)
            }
            Some(Err(e)) => {
                let _ = self.credits.lock().abandon(&charge);
                return Err(e);
            }
        };
        let sign = if sealed.is_some() { None } else { sign };
        let _xmit = self.xmit.lock();
        match self.mids.insert(rqst.clone()) {
            Ok(n) => XprtStats::max(&self.stats.in_flight_peak, n as u64),
            Err(e) => {
                let _ = self.credits.lock().abandon(&charge);
                return Err(e);
            }
        }
        if let Some(sign) = sign {
            if let Err(e) = sign(parts, payload.as_deref().map(|p| p.duplicate())) {
                self.mids.remove(charge.first_message_id);
                let _ = self.credits.lock().abandon(&charge);
                return Err(e);
            }
        }
        rqst.set_phase(Phase::Waiting);

        let mut slices: [&[u8]; MAX_PARTS] = [&[]; MAX_PARTS];
        slices[0] = &frame[..];
        let nr = match &sealed {
            Some(buf) => {
                slices[1] = &buf[..];
                1
            }
            None => {
                for (s, p) in slices[1..].iter_mut().zip(parts.iter()) {
                    *s = &p[..];
                }
                parts.len()
            }
        };
        // The payload went into the sealed buffer; it counts as sent.
        let payload_len = if sealed.is_some() {
            if let Some(p) = payload.as_deref_mut() {
                p.advance(payload_len);
            }
            payload = None;
            XprtStats::inc(&self.stats.sealed);
            0
        } else {
            payload_len
        };
        let mut kvecs = KvecArray::<MAX_PARTS>::default();
        let mut iter = match kvecs.iter(&slices[..=nr]) {
            Ok(i) => i,
            Err(e) => {
                // Nothing went out (the sizes were checked above).
                self.mids.remove(charge.first_message_id);
                let _ = self.credits.lock().abandon(&charge);
                rqst.fail(e);
                return Err(e);
            }
        };
        let want = iter.remaining();
        let mut sent = sock
            .socket()
            .send(&mut iter, payload_len > 0)
            .and_then(|n| if n == want { Ok(n) } else { Err(EPIPE) });
        if let (Ok(n), Some(p)) = (&sent, &mut payload) {
            let head = *n;
            sent = sock
                .socket()
                .send_iter(p, payload_len, false)
                .and_then(|m| {
                    if m == payload_len {
                        Ok(head + m)
                    } else {
                        Err(EPIPE)
                    }
                });
        }
        match sent {
            Ok(n) => {
                XprtStats::add(&self.stats.bytes_sent, n as u64);
                Ok(())
            }
            Err(err) => {
                // Some bytes may be on the wire: the stream is no longer in
                // a known state, so the connection must go.
                self.mids.remove(charge.first_message_id);
                rqst.fail(err);
                sock.request_disconnect(err);
                Err(err)
            }
        }
    }

    /// Waits (killably) for `rqst`'s reply within `deadline`, with the
    /// request timer: each time it expires the server is probed with an
    /// ECHO. Soft: the wait then ends (`TimedOut`). Hard: it goes on while
    /// the probes are answered; an unanswered probe drops the connection,
    /// which fails the request (to be replayed if it may be).
    ///
    /// Priority requests (NEGOTIATE, ECHO and the probes themselves, break
    /// acknowledgements) are bounded by their own deadline only: nothing
    /// may be sent before NEGOTIATE completes, and an ECHO is the probe.
    fn wait_reply(
        &self,
        sock: &ConnSock,
        rqst: &Rqst,
        class: ChargeClass,
        deadline: &Deadline,
    ) -> WaitOutcome {
        let timer = self.key.timer;
        if class == ChargeClass::Priority {
            return rqst
                .wait
                .wait_killable_timeout(deadline.remaining(), || rqst.is_finished());
        }
        loop {
            let slice = Deadline::new(Some(timer.timeo_ms));
            let limit = match (deadline.remaining(), slice.remaining()) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let outcome = rqst
                .wait
                .wait_killable_timeout(limit, || rqst.is_finished());
            if outcome != WaitOutcome::TimedOut || rqst.is_finished() || deadline.expired() {
                return outcome;
            }
            // The request timer expired.
            XprtStats::inc(&self.stats.timeouts);
            if !timer.hard {
                return WaitOutcome::TimedOut;
            }
            match self.probe(sock, timer.timeo_ms) {
                Ok(()) => {
                    // Alive, just slow: keep waiting.
                }
                Err(e) if e == EINTR => return WaitOutcome::Killed,
                Err(_) if rqst.is_finished() => return WaitOutcome::Ready,
                Err(e) => {
                    self.probe_failed(sock, e);
                    // The disconnect fails the request; wait for that.
                }
            }
        }
    }

    /// One ECHO on the connection `sock`, with its own timeout: is the
    /// server there?
    fn probe(&self, sock: &ConnSock, timeo_ms: u32) -> Result {
        let mut buf = echo_request()?;
        XprtStats::inc(&self.stats.probes);
        let reply = self.call_on(
            sock,
            sock.generation(),
            &mut [&mut buf[..]],
            &mut CallData::default(),
            ChargeClass::Priority,
            HEADER_LEN + 16,
            &Deadline::new(Some(timeo_ms)),
            false,
            None,
        )?;
        reply_status_ok(&reply)
    }

    /// Sends an SMB2 CANCEL (MS-SMB2 2.2.30, 3.2.4.24) for a request whose
    /// task left: same connection only (a MessageId means nothing on
    /// another), no credit charged and no MessageId taken (it reuses the
    /// request's), no reply expected. With an AsyncId from an interim
    /// reply, the CANCEL is async and names it. `parts[0]` is the original
    /// request, whose SessionId and TreeId the CANCEL carries. Best effort:
    /// a failure only means the server keeps working on the request.
    pub(crate) fn cancel(
        &self,
        sock: &ConnSock,
        rqst: &Rqst,
        parts: &[&mut [u8]],
        seal: Option<&SessionKeys>,
        sign: Option<Signer<'_>>,
    ) {
        if rqst.is_finished() || sock.generation() != rqst.generation {
            return;
        }
        if self.generation.load(Ordering::Acquire) != rqst.generation {
            return;
        }
        let Some(mut hdr) = parts.first().and_then(|p| Header::parse(p).ok()) else {
            return;
        };
        // The original's SessionId, TreeId and MessageId (the transport
        // wrote the last), no credits, async once the server named it.
        hdr.credit_charge = 0;
        hdr.credits = 0;
        hdr.next_command = 0;
        hdr.flags &= !(SIGNED | RELATED_OPERATIONS);
        hdr.signature = [0; 16];
        hdr.message_id = rqst.mid;
        if let Some(async_id) = rqst.async_id() {
            hdr.target = HeaderTarget::Async { async_id };
        }
        let mut buf = [0u8; HEADER_LEN + 4];
        if encode(&hdr, &CancelRequest, &mut buf).is_err() {
            return;
        }
        // A sealed request's CANCEL is sealed too (and then not signed).
        let sealed = match seal {
            Some(k) => match seal::seal(k, &[&mut buf[..]], None) {
                Ok(b) => Some(b),
                Err(_) => return,
            },
            None => None,
        };
        let _xmit = self.xmit.lock();
        if let (Some(sign), None) = (sign, &sealed) {
            let mut cparts = [&mut buf[..]];
            if sign(&mut cparts, None).is_err() {
                return;
            }
        }
        let msg: &[u8] = match &sealed {
            Some(b) => b,
            None => &buf,
        };
        let mut frame = [0u8; 4];
        if encode_frame_length(msg.len(), &mut frame).is_err() {
            return;
        }
        let mut kvecs = KvecArray::<2>::default();
        let Ok(mut iter) = kvecs.iter(&[&frame[..], msg]) else {
            return;
        };
        let want = iter.remaining();
        match sock.socket().send(&mut iter, false) {
            Ok(n) if n == want => {
                XprtStats::inc(&self.stats.cancels);
                XprtStats::add(&self.stats.bytes_sent, n as u64);
            }
            Ok(_) => sock.request_disconnect(EPIPE),
            Err(e) => sock.request_disconnect(e),
        }
    }

    /// The keys of the session a request's first header names, if they
    /// were set up on connection `generation` (see `seal`).
    pub(crate) fn sealing_keys(
        &self,
        parts: &[&mut [u8]],
        generation: u64,
    ) -> Option<Arc<SessionKeys>> {
        let sid = crate::proto::wire::get_u64(parts.first()?, 40).ok()?;
        self.keyring
            .lock()
            .find(sid)
            .filter(|k| k.generation == generation)
    }

    /// Takes a session's keys for connection `generation` (see `seal`).
    pub(crate) fn set_session_keys(
        &self,
        generation: u64,
        session_id: u64,
        enc: &[u8],
        dec: &[u8],
    ) -> Result {
        let cipher = match self.negotiated() {
            Some(n) if n.generation != generation => return Err(ESTALE),
            Some(n) => n.cipher,
            None => return Err(ESTALE),
        };
        if cipher == 0 {
            return Err(EOPNOTSUPP);
        }
        self.keyring
            .lock()
            .set(generation, session_id, cipher, enc, dec)
    }

    /// One ECHO round trip.
    pub(crate) fn echo(&self, timeout_ms: Option<u32>) -> Result {
        let mut buf = echo_request()?;
        // ECHO has no effect on the server: always safe to send again.
        let reply = self.call(
            &mut [&mut buf[..]],
            &mut CallData::default(),
            ChargeClass::Priority,
            HEADER_LEN + 16,
            timeout_ms,
            true,
            false,
            None,
        )?;
        XprtStats::inc(&self.stats.echoes);
        reply_status_ok(&reply)
    }

    /// Users of this transport (for debugfs and tests).
    pub(crate) fn users(&self) -> usize {
        self.users.load(Ordering::Relaxed)
    }

    /// The debugfs `info` file.
    pub(crate) fn show_info(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        writeln!(f, "server {}", self.key.addr)?;
        writeln!(f, "state {:?}", self.state())?;
        writeln!(f, "users {}", self.users())?;
        writeln!(f, "recv_mode {:?}", self.key.recv_mode)?;
        writeln!(
            f,
            "timer {} ms {}",
            self.key.timer.timeo_ms,
            if self.key.timer.hard { "hard" } else { "soft" }
        )?;
        writeln!(
            f,
            "dialects {:#06x}..{:#06x}",
            self.key.dialect_min, self.key.dialect_max
        )?;
        writeln!(f, "generation {}", self.generation.load(Ordering::Relaxed))?;
        {
            let ctl = self.ctl.lock();
            if let Some(n) = &ctl.negotiated {
                writeln!(f, "dialect {:#06x}", n.dialect)?;
                writeln!(
                    f,
                    "max_read {} max_write {} max_transact {}",
                    n.max_read_size, n.max_write_size, n.max_transact_size
                )?;
                writeln!(
                    f,
                    "cipher {} signing {:#x} sealing_sessions {}",
                    n.cipher,
                    n.signing_algorithm,
                    self.keyring.lock().len()
                )?;
            }
            writeln!(f, "last_error {}", ctl.last_error)?;
            writeln!(f, "backoff_ms {}", ctl.backoff_ms)?;
        }
        let (avail, in_flight, next) = {
            let c = self.credits.lock();
            (c.available(), c.in_flight(), c.next_message_id())
        };
        writeln!(
            f,
            "credits {avail} in_flight {in_flight} next_message_id {next}"
        )?;
        writeln!(f, "requests_waiting {}", self.mids.len())
    }

    /// Wakes everything waiting on this transport (credits arrived, state
    /// changed). Any context.
    pub(crate) fn wake(&self) {
        self.events.wake_all();
        let parked = core::mem::take(&mut *self.parked.lock());
        for c in parked.iter() {
            c.unpark();
        }
    }

    /// Parks `call` until the next [`Xprt::wake`]. False if there was no
    /// room (the caller polls instead).
    pub(crate) fn park(&self, call: &Arc<AsyncCall>) -> bool {
        self.parked.lock().push(call.clone(), GFP_ATOMIC).is_ok()
    }
}

/// One timeout shared by every wait of a call (connection, credits,
/// reply), counted from the call's start.
pub(crate) struct Deadline {
    start: Instant<Monotonic>,
    timeout_ms: Option<u32>,
}

impl Deadline {
    /// Whichever of `a` and `b` ends first.
    pub(crate) fn sooner<'a>(a: &'a Deadline, b: &'a Deadline) -> &'a Deadline {
        match (a.remaining(), b.remaining()) {
            (Some(x), Some(y)) if y < x => b,
            (None, Some(_)) => b,
            _ => a,
        }
    }

    /// `timeout_ms`: `None` waits forever.
    pub(crate) fn new(timeout_ms: Option<u32>) -> Self {
        Self {
            start: Instant::<Monotonic>::now(),
            timeout_ms,
        }
    }

    /// Whether the timeout has run out.
    pub(crate) fn expired(&self) -> bool {
        self.remaining() == Some(0)
    }

    /// What is left, in jiffies, for the next wait (`None`: no limit).
    pub(crate) fn remaining(&self) -> Option<Jiffies> {
        self.timeout_ms.map(|t| {
            let spent =
                u32::try_from(self.start.elapsed().as_millis_ceil().max(0)).unwrap_or(u32::MAX);
            msecs_to_jiffies(t.saturating_sub(spent))
        })
    }
}

/// The TreeId of a request whose first PDU is a CREATE, kept in case its
/// task leaves (an async reply does not carry it); 0 for other commands,
/// which cost one two-byte read.
pub(crate) fn create_tree_id(parts: &[&mut [u8]]) -> u32 {
    let first = parts.first().map(|p| &p[..]).unwrap_or(&[]);
    if crate::proto::wire::get_u16(first, 12) != Ok(Command::Create.to_u16()) {
        return 0;
    }
    match Header::parse(first) {
        Ok(Header {
            target: HeaderTarget::Sync { tree_id },
            ..
        }) => tree_id,
        _ => 0,
    }
}

/// An ECHO request (MS-SMB2 2.2.28).
pub(crate) fn echo_request() -> Result<[u8; HEADER_LEN + 4]> {
    let mut buf = [0u8; HEADER_LEN + 4];
    encode(&Header::request(Command::Echo), &EchoRequest, &mut buf).map_err(|_| EINVAL)?;
    Ok(buf)
}

/// `EPROTO` unless the reply's status is STATUS_SUCCESS.
pub(crate) fn reply_status_ok(reply: &[u8]) -> Result {
    match crate::proto::wire::get_u32(reply, 8) {
        Ok(0) => Ok(()),
        _ => Err(EPROTO),
    }
}

/// The frame length plus up to 7 request parts go out in one `sendmsg`.
const MAX_PARTS: usize = 8;

/// Writes each PDU's MessageId, CreditCharge and CreditRequest, the
/// MessageIds consecutive from `first_mid`. The first PDU asks for the
/// window's refill (`refill`); the others for one each, so a compound never
/// shrinks the window.
fn write_pdu_headers(
    parts: &mut [&mut [u8]],
    pdus: &[(usize, u16)],
    first_mid: u64,
    refill: u16,
) -> Result {
    let mut mid = first_mid;
    for (i, (part, pdu_charge)) in pdus.iter().enumerate() {
        let hdr = parts.get_mut(*part).ok_or(EINVAL)?;
        set_message_id(hdr, mid).map_err(|_| EINVAL)?;
        set_credit_charge(hdr, *pdu_charge).map_err(|_| EINVAL)?;
        set_credit_request(hdr, if i == 0 { refill } else { 1 }).map_err(|_| EINVAL)?;
        mid = mid.checked_add(u64::from(*pdu_charge)).ok_or(EINVAL)?;
    }
    Ok(())
}

/// The PDUs of a request: for each, the part it begins at and its credit
/// charge. A fixed array: the send path allocates nothing but the request.
#[derive(Default)]
pub(crate) struct Pdus {
    at: [(usize, u16); MAX_PARTS],
    n: usize,
}

impl core::ops::Deref for Pdus {
    type Target = [(usize, u16)];

    fn deref(&self) -> &Self::Target {
        &self.at[..self.n]
    }
}

/// Where the PDUs of a request (a compound chain, or one PDU) begin, as
/// part indices, with their credit charges, and the total charge.
///
/// Each PDU must begin at the start of a part with its 64-byte header there;
/// NextCommand (MS-SMB2 §2.2.1) must lead exactly to the next such part. A
/// PDU's CreditCharge as the caller set it (a multi-credit READ or WRITE) is
/// kept, 0 meaning 1.
pub(crate) fn pdu_layout(parts: &[&mut [u8]]) -> Result<(Pdus, u16)> {
    let mut pdus = Pdus::default();
    let mut total: u16 = 0;
    let mut part = 0usize;
    loop {
        let hdr = parts.get(part).ok_or(EINVAL)?;
        if hdr.len() < HEADER_LEN {
            return Err(EINVAL);
        }
        let pdu_charge = crate::proto::wire::get_u16(hdr, 6)
            .map_err(|_| EINVAL)?
            .max(1);
        total = total.checked_add(pdu_charge).ok_or(EINVAL)?;
        // A PDU starts at each part it uses at most, so this never fills
        // up with the parts `transmit` accepts.
        let slot = pdus.at.get_mut(pdus.n).ok_or(EINVAL)?;
        *slot = (part, pdu_charge);
        pdus.n += 1;
        let next = crate::proto::wire::get_u32(hdr, 20).map_err(|_| EINVAL)? as usize;
        if next == 0 {
            break;
        }
        // Find the part that starts `next` bytes after this PDU's start.
        let mut skipped = 0usize;
        let mut p = part;
        while skipped < next {
            skipped = skipped
                .checked_add(parts.get(p).ok_or(EINVAL)?.len())
                .ok_or(EINVAL)?;
            p += 1;
        }
        if skipped != next {
            return Err(EINVAL);
        }
        part = p;
    }
    // Nothing may follow the last PDU's parts but its own body: the frame
    // is exactly the chain.
    Ok((pdus, total))
}

/// Sets SMB2_FLAGS_REPLAY_OPERATION in every PDU header of a request.
pub(crate) fn mark_replay(parts: &mut [&mut [u8]]) -> Result {
    let (pdus, _) = pdu_layout(parts)?;
    for (part, _) in pdus.iter() {
        let hdr = parts.get_mut(*part).ok_or(EINVAL)?;
        let flags = crate::proto::wire::get_u32(hdr, 16).map_err(|_| EINVAL)?;
        crate::proto::wire::put_u32(hdr, 16, flags | REPLAY_OPERATION).map_err(|_| EINVAL)?;
    }
    Ok(())
}

/// SMB2_FLAGS_REPLAY_OPERATION (MS-SMB2 2.2.1.2).
const REPLAY_OPERATION: u32 = 0x2000_0000;

/// Frames a server may send before NEGOTIATE has set the limits.
const PRE_NEGOTIATE_MAX_FRAME: usize = 65536;

/// The longest frame a server may send once NEGOTIATE has settled: the
/// largest READ, WRITE or IOCTL payload it granted plus room for headers
/// and a compounded reply, never more than the receive path's cap.
fn negotiated_max_frame(n: &Negotiated) -> usize {
    let largest = n
        .max_read_size
        .max(n.max_write_size)
        .max(n.max_transact_size) as usize;
    largest
        .saturating_add(8192)
        .clamp(PRE_NEGOTIATE_MAX_FRAME, crate::conn::MAX_FRAME)
}

/// Errors that mean "the connection went away before the reply".
pub(crate) fn is_connection_loss(e: Error) -> bool {
    e == ECONNRESET || e == EPIPE || e == ENOTCONN || e == ECONNABORTED
}

fn next_backoff(cur: u32, tun: &Tunables) -> u32 {
    if cur == 0 {
        tun.reconnect_min_ms
    } else {
        cur.saturating_mul(2).min(tun.reconnect_max_ms)
    }
}

/// The error recorded in `Ctl::last_error`, or `fallback` if none was.
pub(crate) fn recorded_error(errno: i32, fallback: Error) -> Error {
    if errno < 0 {
        Error::from_errno(errno)
    } else {
        fallback
    }
}

#[kernel::macros::kunit_tests(smbxprt_send)]
mod tests {
    use super::pdu_layout;
    use crate::proto::echo::EchoRequest;
    use crate::proto::header::{Command, Header, HEADER_LEN};
    use crate::proto::message::encode;
    use kernel::error::code::EINVAL;

    /// An ECHO request (68 bytes) with NextCommand and CreditCharge set.
    fn echo(next: u32, charge: u16) -> [u8; 72] {
        let mut b = [0u8; 72];
        let mut h = Header::request(Command::Echo);
        h.next_command = next;
        h.credit_charge = charge;
        encode(&h, &EchoRequest, &mut b).unwrap();
        b
    }

    #[test]
    fn single_pdu() {
        let mut a = echo(0, 0);
        let parts: [&mut [u8]; 1] = [&mut a[..68]];
        let (pdus, total) = pdu_layout(&parts).unwrap();
        assert_eq!(&pdus[..], &[(0, 1)]);
        assert_eq!(total, 1);
    }

    #[test]
    fn compound_of_three_with_a_multi_credit_pdu() {
        // MS-SMB2 3.2.4.1.4: each NextCommand is 8-byte aligned and points
        // at the next header; the last one is 0.
        let mut a = echo(72, 1);
        let mut b = echo(72, 4);
        let mut c = echo(0, 1);
        let parts: [&mut [u8]; 3] = [&mut a[..], &mut b[..], &mut c[..68]];
        let (pdus, total) = pdu_layout(&parts).unwrap();
        assert_eq!(&pdus[..], &[(0, 1), (1, 4), (2, 1)]);
        assert_eq!(total, 6);
    }

    #[test]
    fn a_replay_is_marked_in_every_pdu_header_and_nowhere_else() {
        let mut a = echo(72, 1);
        let mut b = echo(0, 1);
        let (before_a, before_b) = (a, b);
        {
            let mut parts: [&mut [u8]; 2] = [&mut a[..], &mut b[..68]];
            super::mark_replay(&mut parts).unwrap();
        }
        for (now, was) in [(&a, &before_a), (&b, &before_b)] {
            let flags = u32::from_le_bytes([now[16], now[17], now[18], now[19]]);
            assert_eq!(flags & super::REPLAY_OPERATION, super::REPLAY_OPERATION);
            // Only that bit changed.
            let mut expect = *was;
            expect[19] |= 0x20;
            assert_eq!(&now[..], &expect[..]);
        }
    }

    #[test]
    fn a_pdu_may_span_parts() {
        // Header and body of the first PDU in two parts (a WRITE's payload
        // would be the second).
        let mut a = echo(72, 1);
        let mut c = echo(0, 1);
        let (head, tail) = a.split_at_mut(HEADER_LEN);
        let parts: [&mut [u8]; 3] = [head, tail, &mut c[..68]];
        let (pdus, _) = pdu_layout(&parts).unwrap();
        assert_eq!(&pdus[..], &[(0, 1), (2, 1)]);
    }

    #[test]
    fn chains_that_do_not_fit_are_refused() {
        // NextCommand into the middle of a part.
        let mut a = echo(40, 1);
        let mut c = echo(0, 1);
        let parts: [&mut [u8]; 2] = [&mut a[..], &mut c[..68]];
        assert_eq!(pdu_layout(&parts).err(), Some(EINVAL));
        // NextCommand past the end.
        let mut a = echo(72, 1);
        let parts: [&mut [u8]; 1] = [&mut a[..]];
        assert_eq!(pdu_layout(&parts).err(), Some(EINVAL));
        // No header at all.
        let mut short = [0u8; 10];
        let parts: [&mut [u8]; 1] = [&mut short[..]];
        assert_eq!(pdu_layout(&parts).err(), Some(EINVAL));
    }
}
