// SPDX-License-Identifier: GPL-2.0
//! A module-wide value for entry points that have no context pointer
//! (exported C functions, pernet callbacks).

use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::error::{code::EBUSY, Result};
use kernel::sync::{rcu, Arc, ArcBorrow};

/// An `Arc<T>` published in a `static`. Readers get their own counted
/// reference; [`Global::remove`] unpublishes it and waits (RCU) until no
/// reader can still be taking one, so the value is never freed under a
/// reader.
pub struct Global<T: Send + Sync> {
    ptr: AtomicPtr<T>,
}

// SAFETY: the pointer is only published and read atomically; `T` itself is
// `Send + Sync`.
unsafe impl<T: Send + Sync> Sync for Global<T> {}

impl<T: Send + Sync> Global<T> {
    /// An empty global, for a `static`.
    pub const fn new() -> Self {
        Self {
            ptr: AtomicPtr::new(core::ptr::null_mut()),
        }
    }

    /// Publishes `value`; `EBUSY` if something is already published.
    pub fn install(&self, value: Arc<T>) -> Result {
        let p = Arc::into_raw(value).cast_mut();
        if self
            .ptr
            .compare_exchange(
                core::ptr::null_mut(),
                p,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_err()
        {
            // SAFETY: `p` came from `Arc::into_raw` just above and was not
            // published.
            drop(unsafe { Arc::from_raw(p) });
            return Err(EBUSY);
        }
        Ok(())
    }

    /// A reference to the published value, if any. Any context.
    pub fn get(&self) -> Option<Arc<T>> {
        let _guard = rcu::read_lock();
        let p = self.ptr.load(Ordering::Acquire);
        if p.is_null() {
            return None;
        }
        // SAFETY: a published pointer holds a reference, which `remove`
        // drops only after an RCU grace period following unpublishing; we
        // are inside an RCU read-side section that began before that.
        Some(unsafe { ArcBorrow::from_raw(p) }.into())
    }

    /// Unpublishes the value and returns the published reference once no
    /// reader can be taking a new one. Process context (sleeps).
    pub fn remove(&self) -> Option<Arc<T>> {
        let p = self.ptr.swap(core::ptr::null_mut(), Ordering::AcqRel);
        if p.is_null() {
            return None;
        }
        rcu::synchronize_rcu();
        // SAFETY: `p` held the reference `install` published; it is no
        // longer reachable, and readers that saw it are done.
        Some(unsafe { Arc::from_raw(p) })
    }
}

impl<T: Send + Sync> Default for Global<T> {
    fn default() -> Self {
        Self::new()
    }
}
