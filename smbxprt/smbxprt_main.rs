// SPDX-License-Identifier: GPL-2.0
//! smbxprt.ko: the SMB2/3 transport, modelled on sunrpc's.
//!
//! - `xprt`: the shared transport object, its connect worker and send path;
//! - `acall`: asynchronous calls, whose steps run on smbiod;
//! - `conn`: one connection's socket callbacks and receive placement;
//! - `rx`: the resumable receive state machine;
//! - `mid`: requests in flight and the MessageId table;
//! - `negotiate`: NEGOTIATE and what it settles;
//! - `stats`: counters shown in debugfs.
//!
//! It also provides the SMB cryptographic primitives (`include/smb/crypto.h`).
//! Its API is `include/smb/xprt.h`, exported in the "SMB" namespace. See
//! Documentation/smbxprt.rst.

use kernel::prelude::*;

#[path = "../rust/bindings/mod.rs"]
pub mod bindings;
#[path = "../rust/exports/smbxprt_crypto.rs"]
pub mod exports;
#[path = "../rust/exports/smbxprt_xprt.rs"]
pub mod exports_xprt;
#[path = "../rust/kext/mod.rs"]
pub mod kext;
#[path = "../rust/smbproto/src/proto/mod.rs"]
pub mod proto;
/// Safe wrapper over `include/smb/crypto.h` (see rust/smb/README.md).
#[path = "../rust/smb/crypto.rs"]
pub mod smb_crypto;

mod acall;
mod conn;
mod credit_queue;
mod mid;
mod negotiate;
mod rx;
mod seal;
mod stats;
mod xprt;

mod crypto_kunit;
mod iter_kunit;
mod kext_kunit;
mod proto_kunit;
mod rx_kunit;

use kernel::debugfs::{Dir, File};
use kernel::str::CString;
use kernel::sync::{new_mutex, Arc, Mutex};
use kext::global::Global;
use kext::net::ns::NetMap;
use kext::workqueue::{OwnedQueue, WQ_MEM_RECLAIM, WQ_UNBOUND};
use stats::XprtStats;
use xprt::{Tunables, Xprt};

module! {
    type: SmbXprt,
    name: "smbxprt",
    authors: ["smbfs developers"],
    description: "SMB2/3 transport: sockets, credits, signing and encryption, reconnect",
    license: "GPL",
    params: {
        recv_mode: u32 {
            default: 0,
            description: "Default receive mode: 0 = place frames in sk_data_ready (softirq), 1 = read on the smbiod workqueue",
        },
        connect_timeout_ms: u32 {
            default: 15000,
            description: "Time allowed for TCP connect and NEGOTIATE, in milliseconds",
        },
        reconnect_min_ms: u32 {
            default: 100,
            description: "First reconnect delay after a failure, in milliseconds (doubles up to reconnect_max_ms)",
        },
        reconnect_max_ms: u32 {
            default: 10000,
            description: "Longest reconnect delay, in milliseconds",
        },
        max_credits: u32 {
            default: 512,
            description: "Credits a connection asks the server for and keeps at most (1-512)",
        },
        timeo_ms: u32 {
            default: 30000,
            description: "Request timer in milliseconds (at least 1000): an unanswered request makes the transport probe the server with ECHO; soft transports then fail it with ETIMEDOUT",
        },
        hard: u32 {
            default: 0,
            description: "Default for transports that do not choose: 1 = hard (wait while the server answers probes, reconnect when it does not), 0 = soft",
        },
    },
}

/// Debugfs entries of one transport.
struct XprtDebugfs {
    id: u32,
    _stats: Pin<KBox<File<Arc<XprtStats>>>>,
    _info: Pin<KBox<File<Arc<Xprt>>>>,
    _dir: Dir,
}

/// Module-wide state, reachable from exported functions through
/// [`GLOBALS`].
#[pin_data]
pub(crate) struct Globals {
    #[pin]
    pub(crate) registry: NetMap<Xprt>,
    /// `smbiod`: connect, receive and disconnect work; `WQ_MEM_RECLAIM`
    /// because writeback waits on it.
    pub(crate) smbiod: OwnedQueue,
    debugfs: Dir,
    #[pin]
    debugfs_entries: Mutex<KVec<XprtDebugfs>>,
}

pub(crate) static GLOBALS: Global<Globals> = Global::new();

impl Globals {
    /// The tunables new transports get, from the module parameters.
    pub(crate) fn tunables() -> Tunables {
        Tunables {
            connect_timeout_ms: (module_parameters::connect_timeout_ms.value()).max(100),
            reconnect_min_ms: (module_parameters::reconnect_min_ms.value()).max(1),
            reconnect_max_ms: (module_parameters::reconnect_max_ms.value()).max(1),
            max_credits: (module_parameters::max_credits.value()).clamp(1, 512),
        }
    }

    /// The default request timer and mode.
    pub(crate) fn default_timer() -> xprt::Timer {
        xprt::Timer {
            timeo_ms: module_parameters::timeo_ms.value().max(1000),
            hard: module_parameters::hard.value() != 0,
        }
    }

    /// The default receive mode.
    pub(crate) fn default_recv_mode() -> xprt::RecvMode {
        if module_parameters::recv_mode.value() == 1 {
            xprt::RecvMode::Workqueue
        } else {
            xprt::RecvMode::Softirq
        }
    }

    /// Adds `/sys/kernel/debug/smbxprt/<id>/{stats,info}`. Failure only
    /// loses the debugfs view.
    pub(crate) fn add_debugfs(&self, x: &Arc<Xprt>) {
        let Ok(name) = CString::try_from_fmt(fmt!("{}", x.id)) else {
            return;
        };
        let dir = self.debugfs.subdir(&name);
        let stats = KBox::pin_init(
            dir.read_callback_file(c"stats", x.stats.clone(), &|s: &Arc<XprtStats>, f| {
                s.show(f)
            }),
            GFP_KERNEL,
        );
        let info = KBox::pin_init(
            dir.read_callback_file(c"info", x.clone(), &|x: &Arc<Xprt>, f| x.show_info(f)),
            GFP_KERNEL,
        );
        if let (Ok(stats), Ok(info)) = (stats, info) {
            let entry = XprtDebugfs {
                id: x.id,
                _stats: stats,
                _info: info,
                _dir: dir,
            };
            let _ = self.debugfs_entries.lock().push(entry, GFP_KERNEL);
        }
    }

    pub(crate) fn remove_debugfs(&self, x: &Xprt) {
        let gone = {
            let mut e = self.debugfs_entries.lock();
            e.iter()
                .position(|d| d.id == x.id)
                .and_then(|i| e.remove(i).ok())
        };
        drop(gone);
    }
}

struct SmbXprt;

impl kernel::Module for SmbXprt {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let globals = Arc::pin_init(
            try_pin_init!(Globals {
                registry <- NetMap::new(),
                smbiod: OwnedQueue::new(c"smbiod", WQ_MEM_RECLAIM | WQ_UNBOUND)?,
                debugfs: Dir::new(c"smbxprt"),
                debugfs_entries <- new_mutex!(KVec::new(), "Globals::debugfs_entries"),
            }),
            GFP_KERNEL,
        )?;
        GLOBALS.install(globals)?;
        let mode = match Globals::default_recv_mode() {
            xprt::RecvMode::Softirq => "softirq",
            xprt::RecvMode::Workqueue => "workqueue",
        };
        pr_info!("loaded (receive mode: {})\n", mode);
        Ok(SmbXprt)
    }
}

impl Drop for SmbXprt {
    fn drop(&mut self) {
        if let Some(g) = GLOBALS.remove() {
            // Users hold module references while they hold transports, so
            // none is left; drain smbiod, then free everything.
            if !g.registry.is_empty() {
                pr_warn!(
                    "{} transports still registered at unload\n",
                    g.registry.len()
                );
            }
            g.smbiod.flush();
            drop(g);
        }
        pr_info!("unloaded\n");
    }
}
