// SPDX-License-Identifier: GPL-2.0
//! smbclient.ko: the SMB client API (`smb_clnt`, sessions, tree connects,
//! `smb_run_task`) for smbfs and other in-kernel consumers.
//!
//! It provides the NTLM building blocks of `include/smb/auth.h` and the
//! first part of `include/smb/clnt.h`: handles on tree connects over shared
//! NTLMSSP sessions over shared transports. See Documentation/smbclient.rst.

use kernel::prelude::*;

#[path = "../rust/bindings/mod.rs"]
pub mod bindings;
#[path = "../rust/exports/smbclient_auth.rs"]
pub mod exports;
#[path = "../rust/exports/smbclient_clnt.rs"]
pub mod exports_clnt;
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
mod ops;
mod session;
mod task;

use kernel::sync::Arc;
use kext::global::Global;

/// The sessions in use (shared by handles with the same credentials).
pub(crate) static SESSIONS: Global<clnt::Sessions> = Global::new();

module! {
    type: SmbClient,
    name: "smbclient",
    authors: ["smbfs developers"],
    description: "SMB2/3 client API: sessions, tree connects and tasks for in-kernel consumers",
    license: "GPL",
    imports_ns: ["SMB"],
}

struct SmbClient;

impl kernel::Module for SmbClient {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        SESSIONS.install(Arc::pin_init(clnt::Sessions::new(), GFP_KERNEL)?)?;
        let q = kext::workqueue::OwnedQueue::new(
            c"smbclient",
            kext::workqueue::WQ_UNBOUND | kext::workqueue::WQ_MEM_RECLAIM,
        )?;
        exports_clnt::TASKQ.install(Arc::new(exports_clnt::TaskQueue(q), GFP_KERNEL)?)?;
        exports_clnt::WATCHES.install(Arc::pin_init(breaks::Watches::new(), GFP_KERNEL)?)?;
        pr_info!("loaded\n");
        Ok(SmbClient)
    }
}

impl Drop for SmbClient {
    fn drop(&mut self) {
        // No task can be running: every handle (and so every task) holds
        // smbclient through the consumer's symbol references.
        drop(exports_clnt::TASKQ.remove());
        drop(exports_clnt::WATCHES.remove());
        drop(SESSIONS.remove());
        pr_info!("unloaded\n");
    }
}
