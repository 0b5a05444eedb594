// SPDX-License-Identifier: GPL-2.0
//! smbclient's counters, in debugfs (`/sys/kernel/debug/smbclient/stats`):
//! what it asked of servers on its own, which tests assert on.
#![forbid(unsafe_code)]

use core::fmt;
use core::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// What smbclient counts, module-wide.
pub(crate) struct ClntStats {
    /// SESSION_SETUP exchanges that set a session up, first or again.
    pub(crate) session_setups: AtomicU64,
    /// Sessions set up again after a reconnect (or the server forgot them).
    pub(crate) reauths: AtomicU64,
    pub(crate) tree_connects: AtomicU64,
    pub(crate) tree_disconnects: AtomicU64,
    pub(crate) logoffs: AtomicU64,
    /// Requests sent again after their connection was lost.
    pub(crate) replays: AtomicU64,
    /// Opens closed because their CREATE's task had left.
    pub(crate) late_closes: AtomicU64,
    /// Oplock breaks nobody watched, acknowledged by smbclient.
    pub(crate) default_acks: AtomicU64,
    /// Asynchronous tasks parked while their session was set up again
    /// (resumed when it was; no worker waited for it).
    pub(crate) parked: AtomicU64,
}

/// The module's counters.
pub(crate) static STATS: ClntStats = ClntStats {
    session_setups: AtomicU64::new(0),
    reauths: AtomicU64::new(0),
    tree_connects: AtomicU64::new(0),
    tree_disconnects: AtomicU64::new(0),
    logoffs: AtomicU64::new(0),
    replays: AtomicU64::new(0),
    late_closes: AtomicU64::new(0),
    default_acks: AtomicU64::new(0),
    parked: AtomicU64::new(0),
};

impl ClntStats {
    /// Counts one event.
    pub(crate) fn inc(c: &AtomicU64) {
        c.fetch_add(1, Relaxed);
    }

    /// Writes the counters as `name value` lines.
    pub(crate) fn show(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rows: [(&str, &AtomicU64); 9] = [
            ("session_setups", &self.session_setups),
            ("reauths", &self.reauths),
            ("tree_connects", &self.tree_connects),
            ("tree_disconnects", &self.tree_disconnects),
            ("logoffs", &self.logoffs),
            ("replays", &self.replays),
            ("late_closes", &self.late_closes),
            ("default_acks", &self.default_acks),
            ("parked", &self.parked),
        ];
        for (name, c) in rows {
            writeln!(f, "{name} {}", c.load(Relaxed))?;
        }
        Ok(())
    }
}
