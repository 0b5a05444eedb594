// SPDX-License-Identifier: GPL-2.0
//! Synchronisation the `kernel` crate of Linux 7.3 lacks: wait queues with
//! killable and timed waits ([`wait`]), bottom-half spinlocks ([`bh`]), a
//! killable mutex ([`kmutex`]), the signal mask around a send
//! ([`signal`]) and execution-context queries ([`context`]).
//!
//! Owned workqueues and work cancellation are in [`super::workqueue`],
//! `timer_list` timers in [`super::timer`] and GFP_NOFS scopes in
//! [`super::nofs`]; they are re-exported here so that either path works.

pub mod bh;
pub mod context;
pub mod kmutex;
pub mod live;
pub mod signal;
pub mod wait;

pub use super::nofs;
pub use super::timer;
pub use super::workqueue;

/// Waits until every RCU read-side critical section in progress has ended
/// (`synchronize_rcu()`): softirq handlers that were running included.
/// Process context; sleeps.
pub fn synchronize_rcu() {
    // SAFETY: no preconditions beyond process context.
    unsafe { super::super::bindings::synchronize_rcu() }
}
