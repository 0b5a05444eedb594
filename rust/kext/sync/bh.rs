// SPDX-License-Identifier: GPL-2.0
//! A spinlock that disables bottom halves while held (`spin_lock_bh()`),
//! which the `kernel` crate of Linux 7.3 lacks.
//!
//! Data shared between the network receive path and tasks needs it: the
//! receive path runs in softirq, and in process context from
//! `release_sock()` with bottom halves disabled, so a task must keep
//! softirqs off while it holds such a lock, or the receive path could spin
//! on it forever on the same CPU. Unlike `SpinLockIrq`, hard interrupts stay
//! enabled, so a long critical section (a copy into a caller's pages) does
//! not add interrupt latency. Never take one in hard interrupt context.

use super::super::super::bindings;
use kernel::sync::lock::{Backend, Guard, Lock};

/// A spinlock taken with `spin_lock_bh()`; create it with [`new_spinlock_bh!`].
pub type SpinLockBh<T> = Lock<T, SpinLockBhBackend>;

/// A guard of a [`SpinLockBh`].
pub type SpinLockBhGuard<'a, T> = Guard<'a, T, SpinLockBhBackend>;

/// The `spin_lock_bh()` backend of [`SpinLockBh`].
pub struct SpinLockBhBackend;

/// Creates a [`SpinLockBh`] initialiser with the given name (or one made of
/// the file and line) and a lock class of its own for this call site.
#[macro_export]
macro_rules! new_spinlock_bh {
    ($inner:expr $(, $name:literal)? $(,)?) => {
        $crate::kext::sync::bh::SpinLockBh::new(
            $inner,
            ::kernel::optional_name!($($name)?),
            ::kernel::static_lock_class!(),
        )
    };
}
pub use new_spinlock_bh;

// SAFETY: `spin_lock_bh()` gives mutual exclusion, and while it is held no
// softirq runs on this CPU, so the receive path cannot interrupt a holder
// here; `relock` keeps the default (the same `lock`).
unsafe impl Backend for SpinLockBhBackend {
    type State = bindings::spinlock_t;
    type GuardState = ();

    unsafe fn init(
        ptr: *mut Self::State,
        name: *const kernel::ffi::c_char,
        key: *mut bindings::lock_class_key,
    ) {
        // SAFETY: `ptr` is valid for writes, `name` and `key` valid forever
        // (the trait's contract).
        unsafe { bindings::__spin_lock_init(ptr, name, key) }
    }

    unsafe fn lock(ptr: *mut Self::State) -> Self::GuardState {
        // SAFETY: `ptr` points to an initialised spinlock (the contract).
        unsafe { bindings::smb_helper_spin_lock_bh(ptr) }
    }

    unsafe fn try_lock(ptr: *mut Self::State) -> Option<Self::GuardState> {
        // SAFETY: as for `lock`.
        (unsafe { bindings::smb_helper_spin_trylock_bh(ptr) } != 0).then_some(())
    }

    unsafe fn unlock(ptr: *mut Self::State, _guard_state: &Self::GuardState) {
        // SAFETY: the caller holds the lock (the contract).
        unsafe { bindings::smb_helper_spin_unlock_bh(ptr) }
    }

    unsafe fn assert_is_held(ptr: *mut Self::State) {
        // SAFETY: `ptr` points to an initialised spinlock.
        unsafe { bindings::smb_helper_spin_assert_is_held(ptr) }
    }
}
