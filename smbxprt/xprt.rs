// SPDX-License-Identifier: GPL-2.0
//! The transport object: one TCP connection to a server at a time, shared
//! by all callers that ask for the same (address, port, netns, dialect
//! range, receive mode, timer), connected and negotiated by a worker on
//! smbiod (`connect.rs`).
//!
//! ```text
//!   get() ──> Idle ──connect_work──> Connecting ──ESTABLISHED──> Negotiating
//!                ^                       │ refused/timeout            │ NEGOTIATE ok
//!                │                       v                            v
//!                └──── backoff ──── Disconnected <──RST/close/error── Connected
//!   netns exit, last put ──> Dead (every state)
//! ```
//!
//! What it does is spread by concern: `connect.rs` (connect, disconnect,
//! backoff), `credits.rs` (the credit window and its line), `call.rs` and
//! `rqst.rs` (a request's life and its timer), `send.rs` (the transmit
//! path), `place.rs` (where received frames go), `verify.rs` (reply
//! signatures), `probe.rs` (is the server there?), `notify.rs` (telling
//! the layers above) and `debugfs.rs`.
#![forbid(unsafe_code)]

use crate::conn::ConnSock;
use crate::credits::Credits;
use crate::kext::net::addr::SockAddr;
use crate::kext::net::ns::{Net, NetBound};
use crate::kext::sync::bh::SpinLockBh;
use crate::kext::sync::kmutex::KillableMutex;
use crate::kext::sync::live::LiveToken;
use crate::kext::sync::wait::WaitQueue;
use crate::kext::workqueue as kwq;
use crate::keys::Keyring;
use crate::mid::MidTable;
use crate::negotiate::Negotiated;
use crate::notify::{Handler, Notes};
use crate::probe::ProbeSlot;
use crate::rqst::Rqst;
use crate::stats::XprtStats;
use crate::Globals;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use kernel::alloc::{flags::GFP_KERNEL, KBox, KVec};
use kernel::error::{code::*, Error, Result};
use kernel::prelude::*;
use kernel::sync::{new_mutex, Arc, Mutex};
use kernel::time::msecs_to_jiffies;
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

/// State changed only by process context, under `Xprt::ctl`.
pub(crate) struct Ctl {
    /// The current connection's socket, if any.
    pub(crate) sock: Option<Arc<ConnSock<Xprt>>>,
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
    /// A connection was made once (then a failed connect is a server
    /// gone for a while; before, one that is not there).
    pub(crate) ever_connected: AtomicBool,
    /// Longest frame the receive path accepts on this connection: small
    /// until NEGOTIATE says how large READ, WRITE and IOCTL may be.
    pub(crate) max_frame: AtomicUsize,
    /// The connection last reset for having no credits.
    pub(crate) stuck_reset: AtomicU64,
    /// When something last arrived from the server (jiffies).
    pub(crate) last_rx: AtomicUsize,
    #[pin]
    pub(crate) ctl: Mutex<Ctl>,
    /// One sender at a time: frames never interleave on the socket.
    #[pin]
    pub(crate) xmit: KillableMutex,
    /// The bounce buffer reserve of sealed sends.
    #[pin]
    pub(crate) bounce: crate::bounce::Reserve,
    #[pin]
    pub(crate) mids: MidTable<Rqst>,
    #[pin]
    pub(crate) credits: SpinLockBh<Credits>,
    /// Requests waiting for credits or the connection; their owners are
    /// woken by [`Xprt::wake`].
    #[pin]
    pub(crate) parked: SpinLockBh<KVec<Arc<Rqst>>>,
    /// The probe in flight.
    #[pin]
    pub(crate) probe: SpinLockBh<ProbeSlot>,
    /// Woken on state changes.
    #[pin]
    pub(crate) events: WaitQueue,
    #[pin]
    connect_work: DelayedWork<Xprt, 0>,
    #[pin]
    probe_work: DelayedWork<Xprt, 2>,
    /// The upper layers' handlers. Held while a callback runs, so that
    /// unregistering waits for it.
    #[pin]
    pub(crate) handlers: Mutex<KVec<KBox<dyn Handler>>>,
    /// What the handlers have yet to hear; a leaf lock.
    #[pin]
    pub(crate) notes: Mutex<Notes>,
    /// The sessions' keys; a leaf lock.
    #[pin]
    pub(crate) keyring: Mutex<Keyring>,
    /// Tells the handlers, on smbiod.
    #[pin]
    notify_work: Work<Xprt, 1>,
    /// Counted while alive: the module's exit waits for it (last field,
    /// dropped last).
    _live: LiveToken,
}

impl_has_delayed_work! {
    impl HasDelayedWork<Self, 0> for Xprt { self.connect_work }
    impl HasDelayedWork<Self, 2> for Xprt { self.probe_work }
}

impl_has_work! {
    impl HasWork<Self, 1> for Xprt { self.notify_work }
}

impl WorkItem<0> for Xprt {
    type Pointer = Arc<Xprt>;

    fn run(this: Arc<Xprt>) {
        this.connect();
    }
}

impl WorkItem<1> for Xprt {
    type Pointer = Arc<Xprt>;

    fn run(this: Arc<Xprt>) {
        this.notify();
    }
}

impl WorkItem<2> for Xprt {
    type Pointer = Arc<Xprt>;

    fn run(this: Arc<Xprt>) {
        let _nofs = crate::kext::nofs::NofsScope::enter();
        this.probe_tick();
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

/// Frames a server may send before NEGOTIATE has set the limits.
pub(crate) const PRE_NEGOTIATE_MAX_FRAME: usize = 65536;

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
                ever_connected: AtomicBool::new(false),
                max_frame: AtomicUsize::new(PRE_NEGOTIATE_MAX_FRAME),
                stuck_reset: AtomicU64::new(u64::MAX),
                last_rx: AtomicUsize::new(0),
                ctl <- new_mutex!(Ctl { sock: None, negotiated: None, backoff_ms: 0, last_error: 0 }, "Xprt::ctl"),
                xmit <- crate::new_killable_mutex!("Xprt::xmit"),
                bounce <- crate::bounce::Reserve::new(),
                mids <- MidTable::new(),
                credits <- crate::new_spinlock_bh!(Credits::new(tun.max_credits, 2), "Xprt::credits"),
                parked <- crate::new_spinlock_bh!(KVec::new(), "Xprt::parked"),
                probe <- crate::new_spinlock_bh!(ProbeSlot::new(), "Xprt::probe"),
                events <- crate::new_wait_queue!("Xprt::events"),
                connect_work <- new_delayed_work!("Xprt::connect_work"),
                probe_work <- new_delayed_work!("Xprt::probe_work"),
                handlers <- new_mutex!(KVec::new(), "Xprt::handlers"),
                notes <- new_mutex!(Notes::default(), "Xprt::notes"),
                keyring <- new_mutex!(Keyring::default(), "Xprt::keyring"),
                notify_work <- new_work!("Xprt::notify_work"),
                _live: globals.live_xprts.token(),
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
            kwq::cancel_delayed_work_sync::<Xprt, 2>(&this);
            kwq::cancel_work_sync::<Xprt, 1>(&this);
            // A probe still out holds the transport (through its owner):
            // with the probe's work gone, nothing else would let it go.
            let probe = this.probe.lock().take();
            if let Some(r) = probe {
                drop(r.cancel());
            }
        }
    }

    pub(crate) fn state(&self) -> State {
        State::from_u32(self.state.load(Ordering::Acquire))
    }

    pub(crate) fn set_state(&self, s: State) {
        self.state.store(s as u32, Ordering::Release);
        self.wake();
    }

    pub(crate) fn schedule_connect(self: &Arc<Self>, delay_ms: u32) {
        let _ =
            kwq::enqueue_delayed::<Xprt, 0>(&self.globals.smbiod, self, msecs_to_jiffies(delay_ms));
    }

    /// The negotiated parameters of the current connection.
    pub(crate) fn negotiated(&self) -> Option<Negotiated> {
        self.ctl.lock().negotiated
    }

    /// Users of this transport (for debugfs and tests).
    pub(crate) fn users(&self) -> usize {
        self.users.load(Ordering::Relaxed)
    }

    /// Takes a session's keys for connection `generation` (see `keys.rs`).
    pub(crate) fn set_session_keys(
        &self,
        generation: u64,
        session_id: u64,
        owner: u64,
        keys: &crate::keys::NewKeys<'_>,
    ) -> Result {
        let cipher = match self.negotiated() {
            Some(n) if n.generation != generation => return Err(ESTALE),
            Some(n) => n.cipher,
            None => return Err(ESTALE),
        };
        if keys.cipher_id != 0 && keys.cipher_id != cipher {
            return Err(EOPNOTSUPP);
        }
        self.keyring.lock().set(generation, session_id, owner, keys)
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
