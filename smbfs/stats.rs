// SPDX-License-Identifier: GPL-2.0
//! Per-mount counters: the SMB2 requests a mount sent, per command, and
//! its round trips (a compound is one), shown in
//! `/sys/kernel/debug/smbfs/<major>:<minor>/stats`, named by the device
//! number that `/proc/self/mountinfo` gives the mount.
#![forbid(unsafe_code)]

use crate::kext::global::Global;
use crate::smb_clnt::req::Req;
use kernel::debugfs::{Dir, File};
use kernel::prelude::*;
use kernel::str::CString;
use kernel::sync::atomic::{Atomic, Relaxed};
use kernel::sync::Arc;

/// SMB2 commands (MS-SMB2 2.2.1.2) that smbfs sends outside a request
/// of typed operations.
pub(crate) const CLOSE: u16 = 6;
pub(crate) const QUERY_DIRECTORY: u16 = 14;

/// The names of the commands, by number (MS-SMB2 2.2.1.2).
const NAMES: [&str; 19] = [
    "NEGOTIATE",
    "SESSION_SETUP",
    "LOGOFF",
    "TREE_CONNECT",
    "TREE_DISCONNECT",
    "CREATE",
    "CLOSE",
    "FLUSH",
    "READ",
    "WRITE",
    "LOCK",
    "IOCTL",
    "CANCEL",
    "ECHO",
    "QUERY_DIRECTORY",
    "CHANGE_NOTIFY",
    "QUERY_INFO",
    "SET_INFO",
    "OPLOCK_BREAK",
];

/// The counters of one mount.
pub(crate) struct Stats {
    sent: [Atomic<u64>; NAMES.len()],
    round_trips: Atomic<u64>,
    failed: Atomic<u64>,
}

impl Stats {
    pub(crate) fn new() -> Self {
        Self {
            sent: [const { Atomic::new(0) }; NAMES.len()],
            round_trips: Atomic::new(0),
            failed: Atomic::new(0),
        }
    }

    /// One request of `cmd`, alone in its round trip.
    pub(crate) fn one(&self, cmd: u16) {
        self.round_trips.fetch_add(1, Relaxed);
        self.count(cmd);
    }

    fn count(&self, cmd: u16) {
        if let Some(c) = self.sent.get(usize::from(cmd)) {
            c.fetch_add(1, Relaxed);
        }
    }

    /// The requests of `r`, one round trip.
    pub(crate) fn req(&self, r: &Req) {
        self.round_trips.fetch_add(1, Relaxed);
        for i in 0..r.len() {
            if let Some(cmd) = r.command(i) {
                self.count(cmd);
            }
        }
    }

    /// A round trip that failed as a whole (its first error).
    pub(crate) fn failed(&self) {
        self.failed.fetch_add(1, Relaxed);
    }

    /// The debugfs `stats` file: `name count` lines, the commands never
    /// sent left out.
    fn show(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        writeln!(f, "round_trips {}", self.round_trips.load(Relaxed))?;
        writeln!(f, "failed {}", self.failed.load(Relaxed))?;
        for (name, c) in NAMES.iter().zip(self.sent.iter()) {
            let n = c.load(Relaxed);
            if n != 0 {
                writeln!(f, "{name} {n}")?;
            }
        }
        Ok(())
    }
}

/// `/sys/kernel/debug/smbfs`, while the module is loaded.
pub(crate) static DEBUGFS: Global<Dir> = Global::new();

/// A mount's debugfs directory; removed when dropped.
pub(crate) struct MountDebugfs {
    _stats: Pin<KBox<File<Arc<Stats>>>>,
    _dir: Dir,
}

impl MountDebugfs {
    /// `<major>:<minor>/stats` for the mount of device `dev`. `None` if
    /// debugfs could not take it: only the view is lost.
    pub(crate) fn new(dev: (u32, u32), stats: &Arc<Stats>) -> Option<Self> {
        let root = DEBUGFS.get()?;
        let name = CString::try_from_fmt(fmt!("{}:{}", dev.0, dev.1)).ok()?;
        let dir = root.subdir(&name);
        let file = KBox::pin_init(
            dir.read_callback_file(c"stats", stats.clone(), &|s: &Arc<Stats>, f| s.show(f)),
            GFP_KERNEL,
        )
        .ok()?;
        Some(Self {
            _stats: file,
            _dir: dir,
        })
    }
}
