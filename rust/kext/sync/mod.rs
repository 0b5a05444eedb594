// SPDX-License-Identifier: GPL-2.0
//! Synchronisation the `kernel` crate of Linux 7.3 lacks: wait queues with
//! killable and timed waits ([`wait`]) and execution-context queries
//! ([`context`]).
//!
//! Owned workqueues and work cancellation are in [`super::workqueue`],
//! `timer_list` timers in [`super::timer`] and GFP_NOFS scopes in
//! [`super::nofs`]; they are re-exported here so that either path works.

pub mod context;
pub mod wait;

pub use super::nofs;
pub use super::timer;
pub use super::workqueue;
