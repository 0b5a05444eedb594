// SPDX-License-Identifier: GPL-2.0
//! A count of live objects that a module's exit waits for: nothing of the
//! module may run after its text is gone, and objects that outlive their
//! last user (a transport closing its socket from a work item, a request
//! waiting for a late reply) would.

use super::wait::WaitQueue;
use core::sync::atomic::{AtomicUsize, Ordering};
use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::time::msecs_to_jiffies;

/// Counts objects; [`LiveCount::wait_zero`] waits until none is left.
#[pin_data]
pub struct LiveCount {
    n: AtomicUsize,
    #[pin]
    idle: WaitQueue,
}

impl LiveCount {
    /// An initialiser for a count of zero.
    pub fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            n: AtomicUsize::new(0),
            idle <- crate::new_wait_queue!("LiveCount::idle"),
        })
    }

    /// One more object.
    pub fn enter(&self) {
        self.n.fetch_add(1, Ordering::AcqRel);
    }

    /// One more object, counted until the token is dropped: make it the
    /// object's last field, so that the count goes down after the rest of
    /// the object is gone.
    pub fn token(self: &Arc<Self>) -> LiveToken {
        self.enter();
        LiveToken(self.clone())
    }

    /// One fewer. Any context.
    pub fn leave(&self) {
        if self.n.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.idle.wake_all();
        }
    }

    /// How many are alive.
    pub fn count(&self) -> usize {
        self.n.load(Ordering::Acquire)
    }

    /// Waits (uninterruptibly: a module exit cannot stop half way) until
    /// the count is zero, logging `what` every ten seconds while it is
    /// not. Process context.
    pub fn wait_zero(&self, what: &str) {
        while !self
            .idle
            .wait_timeout(msecs_to_jiffies(10_000), || self.count() == 0)
        {
            pr_warn!("waiting for {} {} to go\n", self.count(), what);
        }
    }
}

/// Counts one object in a [`LiveCount`] while it lives.
pub struct LiveToken(Arc<LiveCount>);

impl Drop for LiveToken {
    fn drop(&mut self) {
        self.0.leave();
    }
}
