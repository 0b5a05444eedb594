// SPDX-License-Identifier: GPL-2.0
//! Shared sessions: one per transport and credentials (the same user and
//! domain, the same NT hash compared in constant time, the same signing
//! and sealing choice), set up again after a reconnect.
//!
//! SESSION_SETUP exchanges are serialised per transport, never globally: a
//! dead server stalls the mounts on it and no other (ksmbd was seen failing
//! one of two interleaved 3.1.1 setups on one connection,
//! STATUS_INSUFFICIENT_RESOURCES, hence one at a time per transport).
//!
//! Each session entry registers a handler on its transport: a new
//! connection queues its re-authentication (on smbclient's workqueue: a
//! handler must not wait for replies), breaks go to their watchers, and a
//! late reply (a CREATE whose task had left) is undone through the session
//! (`late.rs`).
#![forbid(unsafe_code)]

use crate::clnt::{ClntArgs, ReconnectSink, FLAG_SEAL, FLAG_SIGN};
use crate::kext::crypto::constant_time_eq;
use crate::kext::sync::kmutex::KillableMutex;
use crate::kext::sync::wait::{WaitOutcome, WaitQueue};
use crate::session::{Credentials, Session};
use crate::smb_xprt::{HandlerOps, HandlerReg, Transport};
use crate::stats::{ClntStats, STATS};
use crate::task::Task;
use core::sync::atomic::{AtomicI32, AtomicU64, AtomicUsize, Ordering};
use kernel::alloc::{flags::GFP_KERNEL, KBox, KVec};
use kernel::error::{code::*, Error, Result};
use kernel::list::{List, ListArc};
use kernel::prelude::*;
use kernel::sync::{new_mutex, Arc, ArcBorrow, Mutex};
use kernel::time::msecs_to_jiffies;
use kernel::workqueue::{impl_has_work, new_work, Work, WorkItem};

/// A session set up for `flags`.
fn setup(xprt: Arc<Transport>, creds: &Credentials, flags: u32) -> Result<Session> {
    let s = Session::setup(xprt, creds, flags & FLAG_SIGN != 0, flags & FLAG_SEAL != 0);
    if s.is_ok() {
        ClntStats::inc(&STATS.session_setups);
    }
    s
}

/// A handle's listener on its session.
struct Listener {
    /// The handle's address (identity only).
    clnt: usize,
    sink: KBox<dyn ReconnectSink>,
}

/// One transport's SESSION_SETUP lock, and how many use it (entries on
/// the transport, and callers setting one up).
struct XprtLock {
    xprt: usize,
    lock: Arc<KillableMutex>,
    users: usize,
}

/// A shared session and what identifies it. After the transport
/// reconnects (or the server forgets the session), it is set up again
/// asynchronously and `current` replaced; calls made in between wait.
#[pin_data]
pub(crate) struct SessionEntry {
    #[pin]
    current: Mutex<Arc<Session>>,
    creds: Credentials,
    flags: u32,
    /// Serialises SESSION_SETUP on this entry's transport (killably: a
    /// caller stuck behind a setup with a dead server can be killed).
    setup_lock: Arc<KillableMutex>,
    /// Handles on it, changed under the list's lock.
    users: AtomicUsize,
    /// The last re-authentication's error (0: none).
    reauth_error: AtomicI32,
    /// `current`'s incarnation, readable without the lock (for wait
    /// conditions, which must not sleep).
    current_incarnation: AtomicU64,
    /// The incarnation the server said it forgot (0: none).
    expired: AtomicU64,
    /// Woken when `current` is replaced or re-authentication fails.
    #[pin]
    ready: WaitQueue,
    /// Handles that want to hear about re-authentication. Held while their
    /// callbacks run, so that removing one waits for its callback.
    #[pin]
    listeners: Mutex<KVec<Listener>>,
    /// The transport handler, until the last user leaves.
    #[pin]
    handler: Mutex<Option<HandlerReg<SessionEntry>>>,
    #[pin]
    reauth_work: Work<SessionEntry>,
    /// Asynchronous tasks waiting for the re-authentication to end: no
    /// worker waits for them; `reauth` resumes them when it is over.
    #[pin]
    parked: Mutex<List<Task>>,
}

impl_has_work! {
    impl HasWork<Self> for SessionEntry { self.reauth_work }
}

impl WorkItem for SessionEntry {
    type Pointer = Arc<SessionEntry>;

    fn run(this: Arc<SessionEntry>) {
        let _nofs = crate::kext::nofs::NofsScope::enter();
        this.reauth();
    }
}

#[vtable]
impl HandlerOps for SessionEntry {
    fn event(this: ArcBorrow<'_, Self>, ev: u32, generation: u64) {
        if ev != crate::bindings::smb_xprt_event_SMB_XPRT_EV_CONNECTED {
            return;
        }
        let e: Arc<SessionEntry> = this.into();
        e.on_connected(generation);
    }

    fn message(this: ArcBorrow<'_, Self>, kind: u32, frame: &[u8], request: &[u8]) -> bool {
        let e: Arc<SessionEntry> = this.into();
        match kind {
            crate::bindings::smb_xprt_msg_kind_SMB_XPRT_MSG_UNSOLICITED => {
                crate::breaks::dispatch(&e, frame)
            }
            crate::bindings::smb_xprt_msg_kind_SMB_XPRT_MSG_LATE_REPLY => {
                crate::late::late_reply(&e, frame, request)
            }
            _ => false,
        }
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

    /// The transport reports a new connection: queue re-authentication.
    fn on_connected(self: &Arc<Self>, generation: u64) {
        if self.session().generation == generation {
            return;
        }
        // Callers wait for this attempt rather than fail with the last.
        self.reauth_error.store(0, Ordering::Release);
        self.queue_reauth();
    }

    /// The server no longer knows `session` (it answered a request with
    /// STATUS_USER_SESSION_DELETED or NETWORK_SESSION_EXPIRED): set it up
    /// again.
    pub(crate) fn expire(self: &Arc<Self>, session: &Session) {
        self.expired.store(session.incarnation, Ordering::Release);
        self.reauth_error.store(0, Ordering::Release);
        self.queue_reauth();
    }

    /// Queues `reauth` (a no-op while it is queued already).
    fn queue_reauth(self: &Arc<Self>) {
        if let Some(q) = crate::TASKQ.get() {
            let _ = q.0.enqueue::<Arc<SessionEntry>, 0>(self.clone());
        }
    }

    /// Whether `s` must be set up again: its connection is gone, or the
    /// server forgot it.
    fn stale(&self, s: &Session) -> bool {
        let gone = s
            .xprt
            .negotiated()
            .is_ok_and(|n| n.generation != s.generation);
        gone || self.expired.load(Ordering::Acquire) == s.incarnation
    }

    /// SESSION_SETUP again (MS-SMB2 3.2.4.2.3), unless the session is
    /// current already. smbclient's workqueue.
    fn reauth(self: &Arc<Self>) {
        let old = self.session();
        if self.stale(&old) {
            let fresh = self
                .setup_lock
                .lock_killable()
                .and_then(|_serial| setup(old.xprt.clone(), &self.creds, self.flags));
            match fresh.and_then(|s| Ok(Arc::new(s, GFP_KERNEL)?)) {
                Ok(s) => {
                    pr_info!(
                        "session {:#x} set up again after a reconnect (now {:#x})\n",
                        old.session_id,
                        s.session_id
                    );
                    ClntStats::inc(&STATS.reauths);
                    let incarnation = s.incarnation;
                    self.reauth_error.store(0, Ordering::Release);
                    // The session first, then the incarnation waiters test.
                    *self.current.lock() = s;
                    self.current_incarnation
                        .store(incarnation, Ordering::Release);
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
        self.resume_parked();
    }

    /// Parks `task` until the session is set up again, if it must be:
    /// true if parked (resumed on smbclient's workqueue once the
    /// re-authentication is over, whatever its outcome), false if the
    /// session is usable now; the error of a re-authentication that
    /// failed. A task is parked once at a time (`EBUSY` otherwise).
    pub(crate) fn park(self: &Arc<Self>, task: &Arc<Task>) -> Result<bool> {
        let s = self.session();
        {
            let mut parked = self.parked.lock();
            // Under the lock `reauth` resumes the parked with: after the
            // new session (or the error) is in place.
            if !self.stale(&s) {
                return Ok(false);
            }
            let e = self.reauth_error.load(Ordering::Acquire);
            if e != 0 {
                return Err(Error::from_errno(e));
            }
            let t = ListArc::try_from_arc(task.clone()).map_err(|_| EBUSY)?;
            parked.push_back(t);
        }
        ClntStats::inc(&STATS.parked);
        self.queue_reauth();
        Ok(true)
    }

    /// Resumes the parked tasks.
    fn resume_parked(&self) {
        let mut mine = core::mem::replace(&mut *self.parked.lock(), List::new());
        while let Some(t) = mine.pop_front() {
            t.into_arc().resume();
        }
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

    /// The session to send on now, or `None` if it must be set up again
    /// first (queued; wait with [`SessionEntry::usable`]).
    pub(crate) fn usable_now(self: &Arc<Self>) -> Result<Option<Arc<Session>>> {
        let s = self.session();
        if !self.stale(&s) {
            return Ok(Some(s));
        }
        let e = self.reauth_error.load(Ordering::Acquire);
        if e != 0 {
            return Err(Error::from_errno(e));
        }
        self.queue_reauth();
        Ok(None)
    }

    /// The session to send on: waits (killable, within `timeout_ms`) while
    /// it is being set up again.
    pub(crate) fn usable(self: &Arc<Self>, timeout_ms: Option<u32>) -> Result<Arc<Session>> {
        let deadline = timeout_ms.map(msecs_to_jiffies);
        loop {
            if let Some(s) = self.usable_now()? {
                return Ok(s);
            }
            // Wait for a new session (or a failure). The condition only
            // reads atomics: it runs with the task state set.
            let old = self.current_incarnation.load(Ordering::Acquire);
            let outcome = self.ready.wait_killable_timeout(deadline, || {
                self.current_incarnation.load(Ordering::Acquire) != old
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
    /// Each transport's SESSION_SETUP lock.
    #[pin]
    locks: Mutex<KVec<XprtLock>>,
}

impl Sessions {
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            list <- new_mutex!(KVec::new(), "Sessions::list"),
            locks <- new_mutex!(KVec::new(), "Sessions::locks"),
        })
    }

    /// The SESSION_SETUP lock of `xprt`, with a use taken.
    fn lock_of(&self, xprt: &Transport) -> Result<Arc<KillableMutex>> {
        let key = xprt.as_ptr() as usize;
        let mut locks = self.locks.lock();
        if let Some(l) = locks.iter_mut().find(|l| l.xprt == key) {
            l.users += 1;
            return Ok(l.lock.clone());
        }
        let lock = Arc::pin_init(
            crate::new_killable_mutex!("Sessions::setup_lock"),
            GFP_KERNEL,
        )?;
        locks.push(
            XprtLock {
                xprt: key,
                lock: lock.clone(),
                users: 1,
            },
            GFP_KERNEL,
        )?;
        Ok(lock)
    }

    /// Gives back a use of `xprt`'s lock; the last use removes it.
    fn unlock_of(&self, key: usize) {
        let mut locks = self.locks.lock();
        if let Some(l) = locks.iter_mut().find(|l| l.xprt == key) {
            l.users = l.users.saturating_sub(1);
        }
        locks.retain(|l| l.xprt != key || l.users > 0);
    }

    /// The session for these credentials on this transport, set up if
    /// there is none. Two callers with the same credentials share one
    /// session; setups on one transport go one at a time, and never hold
    /// up another transport's.
    pub(crate) fn get(&self, args: ClntArgs<'_>) -> Result<Arc<SessionEntry>> {
        let key = args.xprt.as_ptr() as usize;
        let setup_lock = self.lock_of(&args.xprt)?;
        let r = self.get_locked(args, &setup_lock);
        // A new entry keeps its use of the lock; a caller gives its own
        // back.
        self.unlock_of(key);
        r
    }

    fn get_locked(
        &self,
        args: ClntArgs<'_>,
        setup_lock: &Arc<KillableMutex>,
    ) -> Result<Arc<SessionEntry>> {
        let _serial = setup_lock.lock_killable()?;
        {
            let list = self.list.lock();
            if let Some(e) = list
                .iter()
                .find(|e| e.matches(&args.xprt, &args.creds, args.flags))
            {
                e.users.fetch_add(1, Ordering::Relaxed);
                return Ok(e.clone());
            }
        }
        let session = setup(args.xprt.clone(), &args.creds, args.flags)?;
        let incarnation = session.incarnation;
        let session = Arc::new(session, GFP_KERNEL)?;
        let e = Arc::pin_init(
            pin_init!(SessionEntry {
                current <- new_mutex!(session, "SessionEntry::current"),
                creds: args.creds,
                flags: args.flags,
                setup_lock: setup_lock.clone(),
                users: AtomicUsize::new(1),
                reauth_error: AtomicI32::new(0),
                current_incarnation: AtomicU64::new(incarnation),
                expired: AtomicU64::new(0),
                ready <- crate::new_wait_queue!("SessionEntry::ready"),
                listeners <- new_mutex!(KVec::new(), "SessionEntry::listeners"),
                handler <- new_mutex!(None, "SessionEntry::handler"),
                parked <- new_mutex!(List::new(), "SessionEntry::parked"),
                reauth_work <- new_work!("SessionEntry::reauth_work"),
            }),
            GFP_KERNEL,
        )?;
        let h = args.xprt.register_handler(e.clone())?;
        *e.handler.lock() = Some(h);
        if let Err(err) = self.list.lock().push(e.clone(), GFP_KERNEL) {
            drop(e.handler.lock().take());
            return Err(err.into());
        }
        // The entry's use of its transport's lock, given back by `put`.
        let _ = self.lock_of(&args.xprt)?;
        Ok(e)
    }

    /// Drops a handle's use of `entry`; the last one sends LOGOFF, takes
    /// the session off the list and stops watching the transport.
    pub(crate) fn put(&self, entry: Arc<SessionEntry>) {
        self.put_ex(entry, true)
    }

    /// [`Sessions::put`]; without `logoff`, the last user leaves the
    /// session without telling the server (which drops it with the
    /// connection).
    pub(crate) fn put_ex(&self, entry: Arc<SessionEntry>, logoff: bool) {
        let last = {
            let mut list = self.list.lock();
            let last = entry.users.fetch_sub(1, Ordering::Relaxed) == 1;
            if last {
                if let Some(i) = list.iter().position(|e| Arc::ptr_eq(e, &entry)) {
                    let _ = list.remove(i);
                }
            }
            last
        };
        if !last {
            return;
        }
        let handler = entry.handler.lock().take();
        drop(handler);
        // A re-authentication queued meanwhile finds nobody to serve.
        crate::kext::workqueue::cancel_work_sync::<SessionEntry, 0>(&entry);
        let s = entry.session();
        if logoff && !entry.stale(&s) && s.logoff().is_ok() {
            ClntStats::inc(&STATS.logoffs);
        }
        if let Some(o) = crate::OPENS.get() {
            o.forget_session(Arc::as_ptr(&entry) as usize);
        }
        let key = s.xprt.as_ptr() as usize;
        drop(s);
        self.unlock_of(key);
    }
}
