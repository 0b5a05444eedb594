// SPDX-License-Identifier: GPL-2.0
//! `/sys/kernel/debug/smbxprt/<id>/{stats,info}`: each transport's counters
//! (`stats.rs`) and state.
#![forbid(unsafe_code)]

use crate::stats::XprtStats;
use crate::xprt::Xprt;
use crate::Globals;
use core::sync::atomic::Ordering;
use kernel::alloc::{flags::GFP_KERNEL, KBox};
use kernel::debugfs::{Dir, File};
use kernel::prelude::*;
use kernel::str::CString;
use kernel::sync::Arc;

/// Debugfs entries of one transport.
pub(crate) struct XprtDebugfs {
    id: u32,
    _stats: Pin<KBox<File<Arc<XprtStats>>>>,
    _info: Pin<KBox<File<Arc<Xprt>>>>,
    _dir: Dir,
}

impl Globals {
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

    /// Removes a transport's entries.
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

impl Xprt {
    /// The debugfs `info` file.
    pub(crate) fn show_info(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        writeln!(f, "server {}", self.key.addr)?;
        writeln!(f, "state {:?}", self.state())?;
        writeln!(f, "users {}", self.users())?;
        writeln!(f, "recv_mode {:?}", self.key.recv_mode)?;
        writeln!(
            f,
            "timer {} ms {}",
            self.key.timer.timeo_ms,
            if self.key.timer.hard { "hard" } else { "soft" }
        )?;
        writeln!(
            f,
            "dialects {:#06x}..{:#06x}",
            self.key.dialect_min, self.key.dialect_max
        )?;
        writeln!(f, "generation {}", self.generation.load(Ordering::Relaxed))?;
        {
            let ctl = self.ctl.lock();
            if let Some(n) = &ctl.negotiated {
                writeln!(f, "dialect {:#06x}", n.dialect)?;
                writeln!(
                    f,
                    "max_read {} max_write {} max_transact {}",
                    n.max_read_size, n.max_write_size, n.max_transact_size
                )?;
                writeln!(
                    f,
                    "cipher {} signing {:#x} key_sets {}",
                    n.cipher,
                    n.signing_algorithm,
                    self.keyring.lock().len()
                )?;
            }
            writeln!(f, "last_error {}", ctl.last_error)?;
            writeln!(f, "backoff_ms {}", ctl.backoff_ms)?;
        }
        let (avail, in_flight, next, holes, lost, waiting) = {
            let c = self.credits.lock();
            (
                c.available(),
                c.in_flight(),
                c.next_message_id(),
                c.holes().len(),
                c.lost(),
                c.waiting(),
            )
        };
        writeln!(
            f,
            "credits {avail} in_flight {in_flight} next_message_id {next} holes {holes} lost {lost} credit_waiters {waiting}"
        )?;
        writeln!(f, "requests_waiting {}", self.mids.len())
    }
}
