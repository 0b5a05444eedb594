// SPDX-License-Identifier: GPL-2.0
//! `smb_clnt`: a handle on a tree connect, over a shared session
//! (`sessions.rs`), over a shared transport (`include/smb/clnt.h`).
//!
//! After a reconnect the session is set up again by its entry; the first
//! task that then finds the handle's tree stale connects it again, and the
//! others wait for that one TREE_CONNECT instead of sending their own. The
//! last release of a handle sends TREE_DISCONNECT, and the last handle on
//! a session LOGOFF.
#![forbid(unsafe_code)]

use crate::kext::sync::kmutex::KillableMutex;
use crate::kext::sync::wait::WaitQueue;
use crate::session::{Credentials, Session};
use crate::sessions::{SessionEntry, Sessions};
use crate::smb_xprt::Transport;
use crate::stats::{ClntStats, STATS};
use crate::task::Task;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use kernel::alloc::{flags::GFP_KERNEL, KBox, KVec};
use kernel::error::{code::*, Result};
use kernel::prelude::*;
use kernel::sync::{new_mutex, Arc, Mutex};
use kernel::time::msecs_to_jiffies;

/// `SMB_CLNT_SIGN`: sign even if the server does not require it.
pub(crate) const FLAG_SIGN: u32 = 0x1;
/// `SMB_CLNT_SEAL`: encrypt even if the server does not require it.
pub(crate) const FLAG_SEAL: u32 = 0x2;

/// What a handle is for.
pub(crate) struct ClntArgs<'a> {
    pub(crate) xprt: Arc<Transport>,
    pub(crate) unc: &'a str,
    pub(crate) creds: Credentials,
    pub(crate) flags: u32,
}

/// Told when a handle's session was set up again after a reconnect (the
/// C ABI's `struct smb_clnt_events`).
pub(crate) trait ReconnectSink: Send + Sync {
    /// `result`: the session (and the handle's tree) are back, or why not.
    fn reconnected(&self, result: Result);
}

/// A handle's listener when its owner set none: connects the handle's
/// tree again as soon as the session is set up again after a reconnect,
/// as an owner's listener does before its callback. Left without a tree
/// connect, a connection is reset by Samba about 60 s later (and again
/// after each reconnect while the handle stays idle). Holds the handle,
/// which `Clnt::release` lets go first.
struct TreeKeeper(Arc<ClntCore>);

impl ReconnectSink for TreeKeeper {
    fn reconnected(&self, result: Result) {
        if result.is_ok() {
            let _ = self.0.current(Some(30_000));
        }
    }
}

/// Counts a handle's running tasks, so that releasing it waits for them,
/// and keeps them, so that [`Drain::abort`] can end them.
#[pin_data]
pub(crate) struct Drain {
    count: AtomicUsize,
    #[pin]
    idle: WaitQueue,
    /// The tasks started and not over (a task is taken out when it
    /// concludes, which breaks the cycle through its handle).
    #[pin]
    live: Mutex<KVec<Arc<Task>>>,
}

impl Drain {
    fn new() -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Self {
                count: AtomicUsize::new(0),
                idle <- crate::new_wait_queue!("Drain::idle"),
                live <- new_mutex!(KVec::new(), "Drain::live"),
            }),
            GFP_KERNEL,
        )
    }

    /// A task starts.
    pub(crate) fn enter(&self) {
        self.count.fetch_add(1, Ordering::AcqRel);
    }

    /// Keeps `task` among the live ones until [`Drain::untrack`].
    pub(crate) fn track(&self, task: &Arc<Task>) -> Result {
        self.live.lock().push(task.clone(), GFP_KERNEL)?;
        Ok(())
    }

    /// `task` is over.
    pub(crate) fn untrack(&self, task: &Arc<Task>) {
        let gone = {
            let mut live = self.live.lock();
            match live.iter().position(|t| Arc::ptr_eq(t, task)) {
                Some(i) => {
                    // Order does not matter: the last takes its place.
                    let last = live.len() - 1;
                    live.swap(i, last);
                    live.pop()
                }
                None => None,
            }
        };
        // The reference is dropped outside the lock.
        drop(gone);
    }

    /// Ends every live task with `EIO` now (`smb_clnt_abort`): a request
    /// out is cancelled on the server, a wait for one given up.
    fn abort(&self) -> Result {
        let tasks = {
            let live = self.live.lock();
            let mut v = KVec::with_capacity(live.len(), GFP_KERNEL)?;
            for t in live.iter() {
                v.push(t.clone(), GFP_KERNEL)?;
            }
            v
        };
        for t in tasks.iter() {
            t.abort();
        }
        Ok(())
    }

    /// A task is done with the handle (its `done` has returned).
    pub(crate) fn leave(&self) {
        if self.count.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.idle.wake_all();
        }
    }

    /// Waits (uninterruptibly: a handle cannot be half released) until no
    /// task runs.
    fn wait_idle(&self) {
        while !self.idle.wait_timeout(msecs_to_jiffies(1000), || {
            self.count.load(Ordering::Acquire) == 0
        }) {}
    }
}

/// A handle's tree connect and the session it belongs to, in one word:
/// the session's incarnation (low 32 bits) above the TreeId.
fn tree_word(session: &Session, tree_id: u32) -> u64 {
    (u64::from(session.incarnation as u32) << 32) | u64::from(tree_id)
}

/// What a handle's tasks share: the session entry and the tree.
#[pin_data]
pub(crate) struct ClntCore {
    pub(crate) entry: Arc<SessionEntry>,
    unc: KVec<u8>,
    tree: AtomicU64,
    /// The share's flags, from the last TREE_CONNECT.
    share_flags: AtomicU32,
    /// One TREE_CONNECT at a time: the others wait for its result.
    #[pin]
    tree_lock: KillableMutex,
    pub(crate) tasks: Arc<Drain>,
    stats: &'static ClntStats,
    /// Aborted (`smb_clnt_abort`): its release does not wait for the
    /// server.
    aborted: AtomicBool,
}

impl ClntCore {
    /// Identifies the shared session this handle uses (break watches and
    /// the opens of `opens.rs` are matched by it).
    pub(crate) fn entry_id(&self) -> usize {
        Arc::as_ptr(&self.entry) as usize
    }

    /// The session now (for `info`).
    pub(crate) fn session(&self) -> Arc<Session> {
        self.entry.session()
    }

    /// The TreeId last connected.
    pub(crate) fn tree_id(&self) -> u32 {
        self.tree.load(Ordering::Acquire) as u32
    }

    /// The share's flags (MS-SMB2 2.2.10).
    pub(crate) fn share_flags(&self) -> u32 {
        self.share_flags.load(Ordering::Relaxed)
    }

    /// Whether this handle's requests are sealed.
    pub(crate) fn seals(&self) -> bool {
        self.session()
            .seals_tree(self.share_flags())
            .unwrap_or(true)
    }

    /// `SMB_XPRT_CALL_SEAL` if requests on `session` are sealed (the
    /// session or the share asks).
    pub(crate) fn flags_for(&self, session: &Session) -> Result<u32> {
        Ok(if session.seals_tree(self.share_flags())? {
            crate::bindings::SMB_XPRT_CALL_SEAL
        } else {
            0
        })
    }

    fn unc(&self) -> Result<&str> {
        core::str::from_utf8(&self.unc).map_err(|_| EINVAL)
    }

    /// The session and TreeId to send on: waits (killably, within
    /// `timeout_ms`) for a re-authentication in progress, and connects the
    /// tree again on a new session, once for all callers.
    pub(crate) fn current(&self, timeout_ms: Option<u32>) -> Result<(Arc<Session>, u32)> {
        let session = self.entry.usable(timeout_ms)?;
        let t = self.tree.load(Ordering::Acquire);
        if t >> 32 == u64::from(session.incarnation as u32) {
            return Ok((session, t as u32));
        }
        let _g = self.tree_lock.lock_killable()?;
        // Another caller may have connected it while this one waited.
        let t = self.tree.load(Ordering::Acquire);
        if t >> 32 == u64::from(session.incarnation as u32) {
            return Ok((session, t as u32));
        }
        let (tree_id, share_flags) = session.tree_connect(self.unc()?)?;
        ClntStats::inc(&self.stats.tree_connects);
        self.share_flags.store(share_flags, Ordering::Relaxed);
        self.tree
            .store(tree_word(&session, tree_id), Ordering::Release);
        Ok((session, tree_id))
    }

    /// [`ClntCore::current`] without waiting: `None` if that would wait
    /// (a re-authentication or a tree connect is due).
    pub(crate) fn current_now(&self) -> Result<Option<(Arc<Session>, u32)>> {
        let Some(session) = self.entry.usable_now()? else {
            return Ok(None);
        };
        let t = self.tree.load(Ordering::Acquire);
        if t >> 32 == u64::from(session.incarnation as u32) {
            return Ok(Some((session, t as u32)));
        }
        Ok(None)
    }

    /// Parks asynchronous `task` on the session while it is set up again
    /// (`SessionEntry::park`); says what else is due if it need not be.
    pub(crate) fn park(&self, task: &Arc<crate::task::Task>) -> Result<Parking> {
        if self.entry.park(task)? {
            return Ok(Parking::Parked);
        }
        Ok(match self.current_now()? {
            Some(_) => Parking::Ready,
            None => Parking::TreeDue,
        })
    }

    /// The server said it no longer knows `session` (or the handle's tree):
    /// set them up again before the next attempt.
    pub(crate) fn forget(&self, session: &Arc<Session>, status: u32) {
        if status == crate::proto::status::code::STATUS_NETWORK_NAME_DELETED {
            // The tree only: connect it again.
            let _ = self.tree.compare_exchange(
                self.tree.load(Ordering::Acquire),
                0,
                Ordering::AcqRel,
                Ordering::Acquire,
            );
        } else {
            self.entry.expire(session);
        }
    }
}

/// What [`ClntCore::park`] did.
pub(crate) enum Parking {
    /// Parked until the session is set up again.
    Parked,
    /// Nothing to wait for now.
    Ready,
    /// The session is usable; the handle's tree must be connected again.
    TreeDue,
}

/// A handle (`struct smb_clnt`).
pub(crate) struct Clnt {
    pub(crate) core: Arc<ClntCore>,
}

impl Clnt {
    pub(crate) fn create(sessions: &Sessions, args: ClntArgs<'_>) -> Result<Self> {
        if args.unc.is_empty() {
            return Err(EINVAL);
        }
        let mut unc = KVec::with_capacity(args.unc.len(), GFP_KERNEL)?;
        unc.extend_from_slice(args.unc.as_bytes(), GFP_KERNEL)?;
        let tasks = Drain::new()?;
        let entry = sessions.get(args)?;
        let session = entry.session();
        let connected = core::str::from_utf8(&unc)
            .map_err(|_| EINVAL)
            .and_then(|u| session.tree_connect(u))
            // A share that must be sealed needs a session that can.
            .and_then(|(t, f)| session.seals_tree(f).map(|_| (t, f)));
        let (tree_id, share_flags) = match connected {
            Ok(t) => t,
            Err(e) => {
                sessions.put(entry);
                return Err(e);
            }
        };
        ClntStats::inc(&STATS.tree_connects);
        let core = Arc::pin_init(
            pin_init!(ClntCore {
                entry,
                unc,
                tree: AtomicU64::new(tree_word(&session, tree_id)),
                share_flags: AtomicU32::new(share_flags),
                tree_lock <- crate::new_killable_mutex!("ClntCore::tree_lock"),
                tasks,
                stats: &STATS,
                aborted: AtomicBool::new(false),
            }),
            GFP_KERNEL,
        )?;
        let clnt = Self { core };
        // Without this (no memory), the tree is connected again when a
        // request needs it.
        let _ = clnt.set_listener(None);
        Ok(clnt)
    }

    /// Identifies the shared session this handle uses (break watches are
    /// matched by it).
    pub(crate) fn entry_id(&self) -> usize {
        self.core.entry_id()
    }

    /// Identifies the handle.
    fn id(&self) -> usize {
        Arc::as_ptr(&self.core) as usize
    }

    /// Sets this handle's re-authentication listener (`None`: the
    /// default, which only connects the tree again).
    pub(crate) fn set_listener(&self, sink: Option<KBox<dyn ReconnectSink>>) -> Result {
        let sink: KBox<dyn ReconnectSink> = match sink {
            Some(s) => s,
            None => KBox::new(TreeKeeper(self.core.clone()), GFP_KERNEL)?,
        };
        self.core.entry.set_listener(self.id(), Some(sink))
    }

    /// Ends every task of the handle with `EIO` now, and makes its release
    /// not wait for the server (no TREE_DISCONNECT, and no LOGOFF if it is
    /// the session's last handle): `umount -f` of a server that does not
    /// answer. Later tasks run as usual.
    pub(crate) fn abort(&self) -> Result {
        self.core.aborted.store(true, Ordering::Release);
        self.core.tasks.abort()
    }

    /// Drops the handle once its tasks are done (every `done` returned):
    /// TREE_DISCONNECT if its tree is the current session's, then the
    /// session loses a user (its last one sends LOGOFF).
    pub(crate) fn release(self, sessions: &Sessions) {
        self.core.tasks.wait_idle();
        let _ = self.core.entry.set_listener(self.id(), None);
        let aborted = self.core.aborted.load(Ordering::Acquire);
        let session = self.core.session();
        let t = self.core.tree.load(Ordering::Acquire);
        if !aborted && t >> 32 == u64::from(session.incarnation as u32) {
            let seal = session.seals_tree(self.core.share_flags()).unwrap_or(false);
            if session.tree_disconnect(t as u32, seal).is_ok() {
                ClntStats::inc(&STATS.tree_disconnects);
            }
        }
        drop(session);
        sessions.put_ex(self.core.entry.clone(), !aborted);
    }
}
