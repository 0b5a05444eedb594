// SPDX-License-Identifier: GPL-2.0
//! smbclient.ko: the SMB client API (`smb_clnt`, sessions, tree connects,
//! `smb_run_task`) for smbfs and other in-kernel consumers.
//!
//! - `clnt`: the handle, its tree connect;
//! - `sessions`, `session`: shared sessions, their setup (NTLMSSP), keys
//!   and re-authentication after a reconnect;
//! - `task`: the task state machine (sunrpc's `clnt.c`);
//! - `sync`: tasks run in the caller's context;
//! - `typed`, `req`: typed operations (their requests and replies), run
//!   alone or compounded, synchronously or asynchronously;
//! - `ops`: typed synchronous operations;
//! - `rw`: READ and WRITE, synchronous and asynchronous;
//! - `dir`: directory listings, resumable in batches;
//! - `breaks`, `opens`, `late`: what the server sends unasked (breaks,
//!   acknowledged by default for opens nobody watches), and late replies
//!   (an open whose task left is closed);
//! - `auth`: the NTLM building blocks of `include/smb/auth.h`;
//! - `stats`: counters in debugfs.
//!
//! See Documentation/smbclient.rst.

use kernel::prelude::*;

#[path = "../rust/bindings/mod.rs"]
pub mod bindings;
#[path = "../rust/exports/smbclient_auth.rs"]
pub mod exports;
#[path = "../rust/exports/smbclient_clnt.rs"]
pub mod exports_clnt;
#[path = "../rust/exports/smbclient_req.rs"]
pub mod exports_req;
#[path = "../rust/exports/smbclient_task.rs"]
pub mod exports_task;
#[path = "../rust/kext/mod.rs"]
pub mod kext;
#[path = "../rust/smbproto/src/proto/mod.rs"]
pub mod proto;
/// Safe wrapper over `include/smb/crypto.h` (see rust/smb/README.md).
#[path = "../rust/smb/crypto.rs"]
pub mod smb_crypto;
/// Safe wrapper over `include/smb/xprt.h`.
#[path = "../rust/smb/xprt.rs"]
pub mod smb_xprt;

mod auth;
mod breaks;
mod clnt;
mod compound;
mod dir;
mod late;
mod opens;
mod ops;
mod req;
mod rw;
mod session;
mod sessions;
mod stats;
mod sync;
mod task;
mod typed;

use kernel::debugfs::{Dir, File};
use kernel::sync::Arc;
use kext::global::Global;

/// The sessions in use (shared by handles with the same credentials).
pub(crate) static SESSIONS: Global<sessions::Sessions> = Global::new();

/// The workqueue smbclient's own work runs on: steps of tasks that wait
/// for a re-authentication, re-authentications, break deliveries, CLOSEs
/// of late opens.
pub(crate) struct TaskQueue(pub(crate) kext::workqueue::OwnedQueue);

pub(crate) static TASKQ: Global<TaskQueue> = Global::new();

/// Every break watch (`smb_clnt_watch_*`).
pub(crate) static WATCHES: Global<breaks::Watches> = Global::new();

/// The opens with an oplock, for the default break acknowledgement.
pub(crate) static OPENS: Global<opens::Opens> = Global::new();

module! {
    type: SmbClient,
    name: "smbclient",
    authors: ["smbfs developers"],
    description: "SMB2/3 client API: sessions, tree connects and tasks for in-kernel consumers",
    license: "GPL",
    imports_ns: ["SMB"],
}

struct SmbClient {
    _stats: Pin<KBox<File<()>>>,
    _dir: Dir,
}

impl kernel::Module for SmbClient {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        SESSIONS.install(Arc::pin_init(sessions::Sessions::new(), GFP_KERNEL)?)?;
        let q = kext::workqueue::OwnedQueue::new(
            c"smbclient",
            kext::workqueue::WQ_UNBOUND | kext::workqueue::WQ_MEM_RECLAIM,
        )?;
        TASKQ.install(Arc::new(TaskQueue(q), GFP_KERNEL)?)?;
        WATCHES.install(Arc::pin_init(breaks::Watches::new(), GFP_KERNEL)?)?;
        OPENS.install(Arc::pin_init(opens::Opens::new(), GFP_KERNEL)?)?;
        let dir = Dir::new(c"smbclient");
        let stats = KBox::pin_init(
            dir.read_callback_file(c"stats", (), &|(): &(), f| stats::STATS.show(f)),
            GFP_KERNEL,
        )?;
        pr_info!("loaded\n");
        Ok(SmbClient {
            _stats: stats,
            _dir: dir,
        })
    }
}

impl Drop for SmbClient {
    fn drop(&mut self) {
        // No task can be running: every handle (and so every task) holds
        // smbclient through the consumer's symbol references. Work queued
        // by the last ones (a late CLOSE, a break) is drained first.
        if let Some(q) = TASKQ.remove() {
            q.0.flush();
        }
        drop(WATCHES.remove());
        drop(OPENS.remove());
        drop(SESSIONS.remove());
        pr_info!("unloaded\n");
    }
}
