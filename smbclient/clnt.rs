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
use crate::kext::sync::wait::WaitQueue;
use crate::session::{Credentials, Session};
use crate::smb_xprt::{Signer, Transport};
use core::sync::atomic::{AtomicUsize, Ordering};
use kernel::alloc::{flags::GFP_KERNEL, KVec};
use kernel::error::{code::*, Result};
use kernel::prelude::*;
use kernel::sync::{new_mutex, Arc, Mutex};
use kernel::time::msecs_to_jiffies;

/// `SMB_CLNT_SIGN`: sign even if the server does not require it.
pub(crate) const FLAG_SIGN: u32 = 0x1;

/// What a handle is for.
pub(crate) struct ClntArgs<'a> {
    pub(crate) xprt: Transport,
    pub(crate) unc: &'a str,
    pub(crate) creds: Credentials,
    pub(crate) flags: u32,
}

/// A shared session and what identifies it.
pub(crate) struct SessionEntry {
    pub(crate) session: Session,
    creds: Credentials,
    flags: u32,
    /// Handles on it, changed under the list's lock.
    users: AtomicUsize,
}

impl SessionEntry {
    fn matches(&self, xprt: &Transport, creds: &Credentials, flags: u32) -> bool {
        self.session.xprt.as_ptr() == xprt.as_ptr()
            && self.flags == flags
            && self.creds.user[..] == creds.user[..]
            && self.creds.domain[..] == creds.domain[..]
            && constant_time_eq(self.creds.nt_hash.get(), creds.nt_hash.get())
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
    fn get(
        &self,
        args: ClntArgs<'_>,
        signer: &dyn Fn(&Session) -> Signer,
    ) -> Result<(Arc<SessionEntry>, u32, u32)> {
        let mut list = self.list.lock();
        let entry = match list
            .iter()
            .find(|e| e.matches(&args.xprt, &args.creds, args.flags))
        {
            Some(e) => {
                e.users.fetch_add(1, Ordering::Relaxed);
                e.clone()
            }
            None => {
                let session = Session::setup(args.xprt, &args.creds, args.flags & FLAG_SIGN != 0)?;
                let e = Arc::new(
                    SessionEntry {
                        session,
                        creds: args.creds,
                        flags: args.flags,
                        users: AtomicUsize::new(1),
                    },
                    GFP_KERNEL,
                )?;
                list.push(e.clone(), GFP_KERNEL)?;
                e
            }
        };
        drop(list);
        let s = signer(&entry.session);
        match entry.session.tree_connect(args.unc, Some(&s)) {
            Ok((tree_id, share_flags)) => Ok((entry, tree_id, share_flags)),
            Err(e) => {
                self.put(entry);
                Err(e)
            }
        }
    }

    /// Drops a handle's use of `entry`; the last one takes the session off
    /// the list (it ends when the last reference goes).
    fn put(&self, entry: Arc<SessionEntry>) {
        let mut list = self.list.lock();
        if entry.users.fetch_sub(1, Ordering::Relaxed) == 1 {
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

/// A tree connect on a session.
pub(crate) struct Clnt {
    pub(crate) entry: Option<Arc<SessionEntry>>,
    pub(crate) tree_id: u32,
    pub(crate) share_flags: u32,
    pub(crate) tasks: Arc<Drain>,
}

impl Clnt {
    pub(crate) fn create(
        sessions: &Sessions,
        args: ClntArgs<'_>,
        signer: &dyn Fn(&Session) -> Signer,
    ) -> Result<Self> {
        if args.unc.is_empty() {
            return Err(EINVAL);
        }
        let tasks = Drain::new()?;
        let (entry, tree_id, share_flags) = sessions.get(args, signer)?;
        Ok(Self {
            entry: Some(entry),
            tree_id,
            share_flags,
            tasks,
        })
    }

    pub(crate) fn session(&self) -> &Session {
        // INVARIANT: `entry` is `Some` until `release`.
        &self.entry.as_ref().expect("released Clnt").session
    }

    /// Drops the handle once its tasks are done.
    pub(crate) fn release(mut self, sessions: &Sessions) {
        self.tasks.wait_idle();
        if let Some(e) = self.entry.take() {
            sessions.put(e);
        }
    }
}
