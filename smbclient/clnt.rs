// SPDX-License-Identifier: GPL-2.0
//! `smb_clnt`: a refcounted handle on a tree connect, over a session, over a
//! shared transport (`include/smb/clnt.h`).
//!
//! Transports are shared by smbxprt (same address, port, namespace and
//! dialect range). Sessions are shared here, by transport and credentials:
//! the same user and domain, the same NT hash (compared in constant time)
//! and the same signing choice. Each handle has its own tree connect.
#![forbid(unsafe_code)]

use crate::kext::crypto::constant_time_eq;
use crate::kext::sync::wait::{WaitOutcome, WaitQueue};
use crate::session::{Credentials, Session};
use crate::smb_xprt::{Signer, Transport};
use core::sync::atomic::{AtomicI32, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use kernel::alloc::{flags::GFP_KERNEL, KBox, KVec};
use kernel::error::{code::*, Result};
use kernel::prelude::*;
use kernel::sync::{new_mutex, Arc, Mutex};
use kernel::time::msecs_to_jiffies;
use kernel::workqueue::{impl_has_work, new_work, Work, WorkItem};

/// `SMB_CLNT_SIGN`: sign even if the server does not require it.
pub(crate) const FLAG_SIGN: u32 = 0x1;
/// `SMB_CLNT_SEAL`: encrypt even if the server does not require it.
pub(crate) const FLAG_SEAL: u32 = 0x2;

/// A session set up for a handle's flags.
fn setup(xprt: Arc<Transport>, creds: &Credentials, flags: u32) -> Result<Session> {
    Session::setup(xprt, creds, flags & FLAG_SIGN != 0, flags & FLAG_SEAL != 0)
}

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

/// A handle's listener on its session.
struct Listener {
    /// The handle's address (identity only).
    clnt: usize,
    sink: KBox<dyn ReconnectSink>,
}

/// A shared session and what identifies it. After the transport
/// reconnects, the session is set up again asynchronously (the transport's
/// CONNECTED event queues `reauth`), and `current` replaced; calls made in
/// between wait for it.
#[pin_data]
pub(crate) struct SessionEntry {
    #[pin]
    current: Mutex<Arc<Session>>,
    creds: Credentials,
    flags: u32,
    /// Handles on it, changed under the list's lock.
    users: AtomicUsize,
    /// The transport handler (0 once unregistered), under the list's lock.
    handler: AtomicUsize,
    /// The last re-authentication's error (0: none).
    reauth_error: AtomicI32,
    /// `current`'s connection generation, readable without the lock (for
    /// wait conditions, which must not sleep).
    current_gen: AtomicU64,
    /// Woken when `current` is replaced or re-authentication fails.
    #[pin]
    ready: WaitQueue,
    /// Handles that want to hear about re-authentication. Held while their
    /// callbacks run, so that removing one waits for its callback.
    #[pin]
    listeners: Mutex<KVec<Listener>>,
    #[pin]
    reauth_work: Work<SessionEntry>,
}

impl_has_work! {
    impl HasWork<Self> for SessionEntry { self.reauth_work }
}

impl WorkItem for SessionEntry {
    type Pointer = Arc<SessionEntry>;

    fn run(this: Arc<SessionEntry>) {
        this.reauth();
    }
}

impl SessionEntry {
    fn matches(&self, xprt: &Transport, creds: &Credentials, flags: u32) -> bool {
        self.current.lock().xprt.as_ptr() == xprt.as_ptr()
            && self.flags == flags
            && self.creds.user[..] == creds.user[..]
            && self.creds.domain[..] == creds.domain[..]
            && constant_time_eq(self.creds.nt_hash.get(), creds.nt_hash.get())
    }

    /// The session now.
    pub(crate) fn session(&self) -> Arc<Session> {
        self.current.lock().clone()
    }

    /// The transport reports a new connection: queue re-authentication
    /// (on smbclient's workqueue: a handler must not wait for replies).
    pub(crate) fn on_connected(self: &Arc<Self>, generation: u64) {
        if self.session().generation == generation {
            return;
        }
        // Callers wait for this attempt rather than fail with the last.
        self.reauth_error.store(0, Ordering::Release);
        self.queue_reauth();
    }

    /// Queues `reauth` (a no-op while it is queued already).
    fn queue_reauth(self: &Arc<Self>) {
        if let Some(q) = crate::exports_clnt::TASKQ.get() {
            let _ = q.0.enqueue::<Arc<SessionEntry>, 0>(self.clone());
        }
    }

    /// SESSION_SETUP again on the transport's new connection (MS-SMB2
    /// 3.2.4.2.3), unless the session is current already.
    fn reauth(self: &Arc<Self>) {
        let old = self.session();
        let current = old
            .xprt
            .negotiated()
            .is_ok_and(|n| n.generation == old.generation);
        if !current {
            // One SESSION_SETUP exchange at a time, as when sessions are
            // first set up (under the list's lock): after a reconnect every
            // session on the connection re-authenticates at once, and ksmbd
            // was seen failing one of two interleaved 3.1.1 setups
            // (STATUS_INSUFFICIENT_RESOURCES).
            let sessions = crate::SESSIONS.get();
            let serial = sessions.as_ref().map(|s| s.list.lock());
            let fresh = setup(old.xprt.clone(), &self.creds, self.flags);
            drop(serial);
            match fresh.and_then(|s| Ok(Arc::new(s, GFP_KERNEL)?)) {
                Ok(s) => {
                    pr_info!(
                        "session {:#x} set up again after a reconnect (now {:#x})\n",
                        old.session_id,
                        s.session_id
                    );
                    let generation = s.generation;
                    self.reauth_error.store(0, Ordering::Release);
                    // The session first, then the generation waiters test.
                    *self.current.lock() = s;
                    self.current_gen.store(generation, Ordering::Release);
                    self.ready.wake_all();
                    self.tell_listeners(Ok(()));
                }
                Err(e) => {
                    pr_warn!(
                        "session {:#x}: could not set it up again after a reconnect (error {})\n",
                        old.session_id,
                        e.to_errno()
                    );
                    self.reauth_error.store(e.to_errno(), Ordering::Release);
                    self.ready.wake_all();
                    self.tell_listeners(Err(e));
                }
            }
        }
        self.ready.wake_all();
    }

    /// Tells the handles that listen (upper layers reopen their files).
    fn tell_listeners(&self, result: Result) {
        let listeners = self.listeners.lock();
        for l in listeners.iter() {
            l.sink.reconnected(result);
        }
    }

    /// Sets (or with `None` removes) handle `clnt`'s listener; removing
    /// waits for its callback if one is running.
    pub(crate) fn set_listener(
        &self,
        clnt: usize,
        sink: Option<KBox<dyn ReconnectSink>>,
    ) -> Result {
        let mut listeners = self.listeners.lock();
        listeners.retain(|l| l.clnt != clnt);
        if let Some(sink) = sink {
            listeners.push(Listener { clnt, sink }, GFP_KERNEL)?;
        }
        Ok(())
    }

    /// The session to send on: waits (killable, within `timeout_ms`) while
    /// the connection is newer than the session.
    fn usable(self: &Arc<Self>, timeout_ms: Option<u32>) -> Result<Arc<Session>> {
        let deadline = timeout_ms.map(msecs_to_jiffies);
        loop {
            let s = self.session();
            let stale = match s.xprt.negotiated() {
                Ok(n) => n.generation != s.generation,
                // Not connected: the transport's call waits for that.
                Err(_) => false,
            };
            if !stale {
                return Ok(s);
            }
            let e = self.reauth_error.load(Ordering::Acquire);
            if e != 0 {
                return Err(kernel::error::Error::from_errno(e));
            }
            // The transport's event normally queued it already; one that
            // came before the handler was registered did not.
            self.queue_reauth();
            // Wait for a new session (or a failure). The condition only
            // reads atomics: it runs with the task state set.
            let old = s.generation;
            drop(s);
            let outcome = self.ready.wait_killable_timeout(deadline, || {
                self.current_gen.load(Ordering::Acquire) != old
                    || self.reauth_error.load(Ordering::Acquire) != 0
            });
            match outcome {
                WaitOutcome::Killed => return Err(EINTR),
                WaitOutcome::TimedOut => return Err(ETIMEDOUT),
                WaitOutcome::Ready => {}
            }
        }
    }
}

/// The sessions in use, by transport and credentials.
#[pin_data]
pub(crate) struct Sessions {
    #[pin]
    list: Mutex<KVec<Arc<SessionEntry>>>,
}

impl Sessions {
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            list <- new_mutex!(KVec::new(), "Sessions::list"),
        })
    }

    /// The session for these credentials on this transport, set up if
    /// there is none. Setup runs under the list's lock, so that two
    /// callers with the same credentials share one session.
    fn get(&self, args: ClntArgs<'_>) -> Result<Arc<SessionEntry>> {
        let mut list = self.list.lock();
        if let Some(e) = list
            .iter()
            .find(|e| e.matches(&args.xprt, &args.creds, args.flags))
        {
            e.users.fetch_add(1, Ordering::Relaxed);
            return Ok(e.clone());
        }
        let session = setup(args.xprt, &args.creds, args.flags)?;
        let gen = session.generation;
        let session = Arc::new(session, GFP_KERNEL)?;
        let e = Arc::pin_init(
            pin_init!(SessionEntry {
                current <- new_mutex!(session, "SessionEntry::current"),
                creds: args.creds,
                flags: args.flags,
                users: AtomicUsize::new(1),
                handler: AtomicUsize::new(0),
                reauth_error: AtomicI32::new(0),
                current_gen: AtomicU64::new(gen),
                ready <- crate::new_wait_queue!("SessionEntry::ready"),
                listeners <- new_mutex!(KVec::new(), "SessionEntry::listeners"),
                reauth_work <- new_work!("SessionEntry::reauth_work"),
            }),
            GFP_KERNEL,
        )?;
        let h = crate::exports_clnt::watch_transport(&e)?;
        e.handler.store(h, Ordering::Relaxed);
        if let Err(err) = list.push(e.clone(), GFP_KERNEL) {
            crate::exports_clnt::unwatch_transport(&e, h);
            return Err(err.into());
        }
        Ok(e)
    }

    /// Drops a handle's use of `entry`; the last one takes the session off
    /// the list and stops watching the transport (it ends when the last
    /// reference goes).
    fn put(&self, entry: Arc<SessionEntry>) {
        let mut list = self.list.lock();
        if entry.users.fetch_sub(1, Ordering::Relaxed) == 1 {
            let h = entry.handler.swap(0, Ordering::Relaxed);
            if h != 0 {
                crate::exports_clnt::unwatch_transport(&entry, h);
            }
            if let Some(i) = list.iter().position(|e| Arc::ptr_eq(e, &entry)) {
                let _ = list.remove(i);
            }
        }
    }
}

/// Counts a handle's running tasks, so that releasing it waits for them.
#[pin_data]
pub(crate) struct Drain {
    count: AtomicUsize,
    #[pin]
    idle: WaitQueue,
}

impl Drain {
    fn new() -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Self {
                count: AtomicUsize::new(0),
                idle <- crate::new_wait_queue!("Drain::idle"),
            }),
            GFP_KERNEL,
        )
    }

    /// A task starts.
    pub(crate) fn enter(&self) {
        self.count.fetch_add(1, Ordering::AcqRel);
    }

    /// A task is done with the handle.
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
/// the session's connection generation (low 32 bits) above the TreeId.
fn tree_word(session: &Session, tree_id: u32) -> u64 {
    (u64::from(session.generation as u32) << 32) | u64::from(tree_id)
}

/// A tree connect on a session.
pub(crate) struct Clnt {
    pub(crate) entry: Option<Arc<SessionEntry>>,
    unc: KVec<u8>,
    tree: AtomicU64,
    /// The share's flags, from the last TREE_CONNECT.
    share_flags: AtomicU32,
    pub(crate) tasks: Arc<Drain>,
}

/// NT statuses that say the session or the tree went with a reconnect.
const STALE_STATUSES: [u32; 3] = [0xC000_0203, 0xC000_035C, 0xC000_00C9];

impl Clnt {
    pub(crate) fn create(
        sessions: &Sessions,
        args: ClntArgs<'_>,
        signer: &dyn Fn(&Session) -> Signer,
    ) -> Result<Self> {
        if args.unc.is_empty() {
            return Err(EINVAL);
        }
        let mut unc = KVec::with_capacity(args.unc.len(), GFP_KERNEL)?;
        unc.extend_from_slice(args.unc.as_bytes(), GFP_KERNEL)?;
        let tasks = Drain::new()?;
        let entry = sessions.get(args)?;
        let session = entry.session();
        let s = signer(&session);
        let connected = session
            .tree_connect(core::str::from_utf8(&unc).map_err(|_| EINVAL)?, Some(&s))
            // A share that must be sealed needs a session that can.
            .and_then(|(t, f)| session.seals_tree(f).map(|_| (t, f)));
        let (tree_id, share_flags) = match connected {
            Ok(t) => t,
            Err(e) => {
                sessions.put(entry);
                return Err(e);
            }
        };
        Ok(Self {
            entry: Some(entry),
            unc,
            tree: AtomicU64::new(tree_word(&session, tree_id)),
            share_flags: AtomicU32::new(share_flags),
            tasks,
        })
    }

    fn entry(&self) -> &Arc<SessionEntry> {
        // INVARIANT: `entry` is `Some` until `release`.
        self.entry.as_ref().expect("released Clnt")
    }

    /// Identifies the shared session this handle uses (break watches are
    /// matched by it).
    pub(crate) fn entry_id(&self) -> usize {
        Arc::as_ptr(self.entry()) as usize
    }

    /// The session now (for `info`).
    pub(crate) fn session(&self) -> Arc<Session> {
        self.entry().session()
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

    /// The session and TreeId to send on: waits for a re-authentication
    /// in progress and connects the tree again on a new session.
    pub(crate) fn current(
        &self,
        timeout_ms: Option<u32>,
        make: &dyn Fn(&Session) -> Signer,
    ) -> Result<(Arc<Session>, u32)> {
        let session = self.entry().usable(timeout_ms)?;
        let t = self.tree.load(Ordering::Acquire);
        if t >> 32 == u64::from(session.generation as u32) {
            return Ok((session, t as u32));
        }
        let s = make(&session);
        let (tree_id, share_flags) = session.tree_connect(
            core::str::from_utf8(&self.unc).map_err(|_| EINVAL)?,
            Some(&s),
        )?;
        self.share_flags.store(share_flags, Ordering::Relaxed);
        self.tree
            .store(tree_word(&session, tree_id), Ordering::Release);
        Ok((session, tree_id))
    }

    /// Sends `parts` (one PDU or a compound; SessionId and TreeId stamped
    /// here) on the current session, sealed if the session or the share
    /// asks. A replayable request whose session or tree went with a
    /// reconnect is sent again once they are set up anew; so is a sealed
    /// one the transport refused to send because its keys belong to the
    /// lost connection (`ENOKEY`: nothing was sent).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn call(
        &self,
        parts: &mut [&mut [u8]],
        flags: u32,
        reply: &mut [u8],
        timeout_ms: Option<u32>,
        mut data: crate::smb_xprt::CallData<'_, '_>,
        make: &dyn Fn(&Session) -> Signer,
    ) -> Result<usize> {
        let mut attempt = 0;
        loop {
            let (session, tree_id) = self.current(timeout_ms, make)?;
            let signer = make(&session);
            if let Some(i) = data.send.as_deref_mut() {
                i.rewind();
            }
            if let Some(i) = data.recv.as_deref_mut() {
                i.rewind();
            }
            let d = crate::smb_xprt::CallData {
                send: data.send.as_deref_mut(),
                recv: data.recv.as_deref_mut(),
            };
            let flags = self.flags_for(&session, flags)?;
            attempt += 1;
            let r = session.call(parts, tree_id, flags, reply, timeout_ms, Some(&signer), d);
            if Self::again(flags, attempt, &r, reply) {
                continue;
            }
            return r;
        }
    }

    /// `flags` for a request on `session`: sealed if the session or the
    /// share asks.
    pub(crate) fn flags_for(&self, session: &Session, flags: u32) -> Result<u32> {
        Ok(if session.seals_tree(self.share_flags())? {
            flags | crate::bindings::SMB_XPRT_CALL_SEAL
        } else {
            flags
        })
    }

    /// Whether attempt number `attempt` (from 1) of a request, which gave
    /// `r` (the reply's length in `reply`), is to be made again: the
    /// transport refused to seal it with a lost connection's keys
    /// (`ENOKEY`: nothing was sent), or a replayable request found its
    /// session or tree gone with a reconnect. At most three attempts.
    pub(crate) fn again(flags: u32, attempt: u32, r: &Result<usize>, reply: &[u8]) -> bool {
        if attempt >= 3 {
            return false;
        }
        let n = match r {
            Err(e) => return *e == ENOKEY,
            Ok(n) => *n,
        };
        let replayable = flags & crate::bindings::SMB_XPRT_CALL_REPLAYABLE != 0;
        let status = reply
            .get(..n)
            .and_then(|r| crate::proto::header::Header::parse(r).ok())
            .map_or(0, |h| h.status);
        replayable && STALE_STATUSES.contains(&status)
    }

    /// Sets (or removes) this handle's re-authentication listener.
    pub(crate) fn set_listener(&self, sink: Option<KBox<dyn ReconnectSink>>) -> Result {
        self.entry().set_listener(self.id(), sink)
    }

    /// Identifies the handle (it may move: `release` takes it by value).
    fn id(&self) -> usize {
        Arc::as_ptr(&self.tasks) as usize
    }

    /// Drops the handle once its tasks are done.
    pub(crate) fn release(mut self, sessions: &Sessions) {
        self.tasks.wait_idle();
        if let Some(e) = self.entry.take() {
            let _ = e.set_listener(self.id(), None);
            sessions.put(e);
        }
    }
}
