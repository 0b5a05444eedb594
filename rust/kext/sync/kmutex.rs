// SPDX-License-Identifier: GPL-2.0
//! A mutex whose waiters can be killed (`mutex_lock_killable()`), which the
//! `kernel` crate's `Mutex` does not offer. It guards no data of its own:
//! it orders an activity (one sender on a socket at a time), and a task
//! stuck behind a holder that waits for the network can still be SIGKILLed.

use super::super::super::bindings;
use core::marker::PhantomPinned;
use core::pin::Pin;
use kernel::error::{code::EINTR, Result};
use kernel::str::{CStr, CStrExt};
use kernel::sync::LockClassKey;
use kernel::types::Opaque;
use pin_init::{pin_data, pin_init, PinInit};

/// Creates a [`KillableMutex`] initialiser named after its call site, with a
/// lock class of its own.
#[macro_export]
macro_rules! new_killable_mutex {
    ($($name:literal)?) => {
        $crate::kext::sync::kmutex::KillableMutex::new(
            ::kernel::optional_name!($($name)?),
            ::kernel::static_lock_class!(),
        )
    };
}
pub use new_killable_mutex;

/// A `struct mutex` taken killably.
///
/// # Invariants
///
/// `m` was initialised by `__mutex_init` and is never moved.
#[pin_data]
pub struct KillableMutex {
    #[pin]
    m: Opaque<bindings::mutex>,
    #[pin]
    _pin: PhantomPinned,
}

// SAFETY: a `struct mutex` may be locked and unlocked from any task (by the
// same task for one lock/unlock pair, which the guard ensures).
unsafe impl Send for KillableMutex {}
// SAFETY: all access goes through the mutex's own synchronisation.
unsafe impl Sync for KillableMutex {}

impl KillableMutex {
    /// An initialiser; prefer [`new_killable_mutex!`].
    pub fn new(name: &'static CStr, key: Pin<&'static LockClassKey>) -> impl PinInit<Self> {
        pin_init!(Self {
            // SAFETY: `slot` is valid, pinned storage for the mutex; `name`
            // and `key` are `'static`.
            m <- Opaque::ffi_init(|slot| unsafe {
                bindings::smb_helper_mutex_init(slot, name.as_char_ptr(), key.as_ptr())
            }),
            _pin: PhantomPinned,
        })
    }

    /// Sleeps until the mutex is free and takes it; `EINTR` if a fatal
    /// signal came first. Process context, no spinlock held.
    pub fn lock_killable(&self) -> Result<KillableGuard<'_>> {
        // SAFETY: the mutex is initialised (type invariant).
        match unsafe { bindings::smb_helper_mutex_lock_killable(self.m.get()) } {
            0 => Ok(KillableGuard {
                lock: self,
                _not_send: kernel::types::NotThreadSafe,
            }),
            _ => Err(EINTR),
        }
    }
}

/// Holds a [`KillableMutex`]; unlocks it when dropped (in the task that
/// locked it: the guard is not `Send`).
pub struct KillableGuard<'a> {
    lock: &'a KillableMutex,
    _not_send: kernel::types::NotThreadSafe,
}

impl Drop for KillableGuard<'_> {
    fn drop(&mut self) {
        // SAFETY: this task holds the mutex (it made this guard).
        unsafe { bindings::smb_helper_mutex_unlock(self.lock.m.get()) }
    }
}
