// SPDX-License-Identifier: GPL-2.0
//! smbxprt.ko: the SMB2/3 transport, modelled on sunrpc's.
//!
//! - `xprt`: the shared transport object;
//! - `connect`: connecting, reconnecting with backoff, losing a connection;
//! - `credits`: the credit window and the line of requests waiting for it;
//! - `rqst`, `call`: a request's life (charge, send, result, cancel) and
//!   its timer; `reply`: where a reply's bytes go;
//! - `send`: the transmit path (signing, sealing, the transmit lock);
//! - `bounce`: the buffers sealed requests go out in, and their reserve;
//! - `conn`: one connection's socket callbacks and receive work;
//! - `place`: where each received frame goes; `rx`: the resumable
//!   receive state machine; `mid`: requests in flight by MessageId;
//! - `keys`, `seal`, `verify`: the sessions' keys, encryption, and reply
//!   signatures;
//! - `probe`: one ECHO probe per transport;
//! - `negotiate`: NEGOTIATE and what it settles;
//! - `notify`: events and messages for the layers above;
//! - `stats`, `debugfs`: counters and state in debugfs.
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

mod bounce;
mod call;
mod conn;
mod connect;
mod credits;
mod debugfs;
mod keys;
mod mid;
mod negotiate;
mod notify;
mod place;
mod probe;
mod reply;
mod rqst;
mod rx;
mod seal;
mod send;
mod stats;
mod verify;
mod xprt;

mod crypto_kunit;
mod iter_kunit;
mod kext_kunit;
mod proto_kunit;
mod rx_kunit;

use kernel::debugfs::Dir;
use kernel::sync::{new_mutex, Arc, Mutex};
use kext::global::Global;
use kext::net::ns::NetMap;
use kext::sync::live::LiveCount;
use kext::workqueue::{OwnedQueue, WQ_MEM_RECLAIM, WQ_UNBOUND};
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

/// Module-wide state, reachable from exported functions through
/// [`GLOBALS`].
#[pin_data]
pub(crate) struct Globals {
    #[pin]
    pub(crate) registry: NetMap<Xprt>,
    /// `smbiod`: connect, receive and disconnect work; `WQ_MEM_RECLAIM`
    /// because writeback waits on it.
    pub(crate) smbiod: OwnedQueue,
    pub(crate) debugfs: Dir,
    #[pin]
    pub(crate) debugfs_entries: Mutex<KVec<debugfs::XprtDebugfs>>,
    /// Transports and requests alive: the module's exit waits for them.
    pub(crate) live_xprts: Arc<LiveCount>,
    pub(crate) live_rqsts: Arc<LiveCount>,
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
}

struct SmbXprt {
    /// The fault point of sealed sends' bounce buffers (tests).
    _bounce_fault: kext::fault::FaultPoint,
}

impl kernel::Module for SmbXprt {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let globals = Arc::pin_init(
            try_pin_init!(Globals {
                registry <- NetMap::new(),
                smbiod: OwnedQueue::new(c"smbiod", WQ_MEM_RECLAIM | WQ_UNBOUND)?,
                debugfs: Dir::new(c"smbxprt"),
                debugfs_entries <- new_mutex!(KVec::new(), "Globals::debugfs_entries"),
                live_xprts: Arc::pin_init(LiveCount::new(), GFP_KERNEL)?,
                live_rqsts: Arc::pin_init(LiveCount::new(), GFP_KERNEL)?,
            }),
            GFP_KERNEL,
        )?;
        GLOBALS.install(globals)?;
        let mode = match Globals::default_recv_mode() {
            xprt::RecvMode::Softirq => "softirq",
            xprt::RecvMode::Workqueue => "workqueue",
        };
        pr_info!("loaded (receive mode: {})\n", mode);
        Ok(SmbXprt {
            _bounce_fault: kext::fault::FaultPoint::register(c"fail_smbxprt_bounce"),
        })
    }
}

impl Drop for SmbXprt {
    fn drop(&mut self) {
        if let Some(g) = GLOBALS.remove() {
            // Users hold module references while they hold transports, so
            // none is registered any more. A transport may still be closing
            // (its socket from smbiod), a request waiting for a late reply:
            // nothing of this module may run once its text is gone, so wait
            // for every one of them, then for softirq handlers still inside
            // (an RCU grace period) and for smbiod.
            if !g.registry.is_empty() {
                pr_warn!(
                    "{} transports still registered at unload\n",
                    g.registry.len()
                );
            }
            g.smbiod.flush();
            g.live_rqsts.wait_zero("requests");
            g.live_xprts.wait_zero("transports");
            kext::sync::synchronize_rcu();
            g.smbiod.flush();
            drop(g);
        }
        pr_info!("unloaded\n");
    }
}
