// SPDX-License-Identifier: GPL-2.0
//! `timer_list` timers embedded in `Arc`-owned objects.
//!
//! A [`Timer<T, ID>`] is a field of a `T` that implements [`HasTimer<ID>`]
//! (usually through [`impl_has_timer!`]) and [`TimerCallback<ID>`]. Arming
//! takes `&Arc<T>` (`Timer::arm_after(&obj, delay)`); stopping is a method
//! of the field (`obj.timer.delete_sync()`); the callback gets `&Arc<T>`.
//! With several timers in one type, name the id:
//! `Timer::<_, 1>::arm_after(&obj, delay)`.
//!
//! # Lifetime: the pending timer owns a reference
//!
//! As with the `kernel` crate's `Arc` work items, every *pending* period of
//! the timer holds one reference to its `T`: [`Timer::mod_timer`] leaks a
//! clone with `Arc::into_raw` when it starts a pending period, and gives it
//! back at once when the timer was already pending (only the expiry
//! changes). The reference is reclaimed by exactly one of:
//!
//! - the callback trampoline, which turns it back into an `Arc`, passes it
//!   to [`TimerCallback::run`] and drops it when `run` returns; or
//! - [`Timer::delete_sync`] / [`Timer::shutdown_sync`] (methods of the
//!   field: `obj.timer.delete_sync()`), when they deactivate a pending
//!   timer.
//!
//! So the object cannot be freed while the timer can fire, whatever order
//! the owner drops its references in; the owner need not stop the timer in
//! its drop path (it cannot: `Drop` runs only once no reference is left,
//! i.e. when the timer is idle). The price: **when the callback holds the
//! last reference, `T` is dropped in the callback, i.e. in softirq.** If
//! `T`'s drop may sleep (it owns a socket, an [`OwnedQueue`], ...), keep a
//! reference elsewhere and call [`Timer::shutdown_sync`] (or
//! [`Timer::delete_sync`]) before dropping it.
//!
//! [`OwnedQueue`]: super::workqueue::OwnedQueue
//!
//! # Contexts
//!
//! - [`TimerCallback::run`] runs in softirq (`TIMER_SOFTIRQ`): it must not
//!   sleep (no `Mutex`, no `GFP_KERNEL`); it may take spinlocks, wake wait
//!   queues, queue work and rearm this or other timers.
//! - [`Timer::mod_timer`] and [`Timer::arm_after`] may be called from any
//!   context, including the callback.
//! - [`Timer::delete_sync`] and [`Timer::shutdown_sync`] wait for a running
//!   callback: process context only, never from the timer's own callback,
//!   and not while holding a lock the callback takes.
//!
//! # Why `HasTimer` is a safe trait
//!
//! The kernel's `HasWork` is an `unsafe trait` implemented by a macro with
//! `container_of!`. A macro defined in this crate that expands to
//! `unsafe impl` cannot be used in module logic, which is
//! `#![forbid(unsafe_code)]`. So [`HasTimer`] is a safe accessor, and
//! instead of `container_of!` the timer records its owner's address when it
//! is armed, after checking that the timer lies inside that owner.

use super::super::bindings;
use core::ffi::CStr;
use core::marker::PhantomData;
use core::pin::Pin;
use kernel::new_spinlock_irq;
use kernel::str::CStrExt;
use kernel::sync::atomic::{Acquire, Atomic, Release};
use kernel::sync::{Arc, LockClassKey, SpinLockIrq};
use kernel::time::Jiffies;
use kernel::types::Opaque;
use pin_init::{pin_data, pin_init, PinInit};

/// The current time in jiffies (`jiffies`), for absolute expiry times.
/// Jiffies wrap around: add to it with `wrapping_add`, compare with
/// `wrapping_sub` cast to a signed type (as `time_after()` does).
pub fn jiffies() -> Jiffies {
    // SAFETY: `jiffies` is a global the timer interrupt updates; C declares
    // it volatile and reads it with a plain (volatile) load, as here.
    unsafe { core::ptr::read_volatile(&raw const bindings::jiffies) }
}

/// Creates a [`Timer`] initialiser with the given name (or one made of the
/// file and line) and a lockdep class of its own for this call site, as
/// `timer_setup()` does with its static key.
#[macro_export]
macro_rules! new_timer {
    ($($name:literal)?) => {
        $crate::kext::timer::Timer::new(
            ::kernel::optional_name!($($name)?),
            ::kernel::static_lock_class!(),
        )
    };
}
pub use new_timer;

/// Declares that `Self` contains the [`Timer<Self, ID>`] with id `ID`.
///
/// Implement it with [`impl_has_timer!`]. The accessor must return a timer
/// stored inside `self` (not behind a pointer); arming a timer that is not
/// inside the object it is armed for is refused with a warning.
pub trait HasTimer<const ID: u64 = 0>: Sized {
    /// The timer field.
    fn timer(&self) -> &Timer<Self, ID>;
}

/// Implements [`HasTimer`] for a struct field, like `impl_has_work!`:
///
/// ```ignore
/// impl_has_timer! {
///     impl HasTimer for Request { self.timeout }
///     impl HasTimer<1> for Request { self.retry }
///     impl{T: Send + Sync} HasTimer for Wrapper<T> { self.timer }
/// }
/// ```
#[macro_export]
macro_rules! impl_has_timer {
    ($(impl$({$($generics:tt)*})?
       HasTimer$(<$id:tt>)?
       for $self:ty
       { self.$field:ident }
    )*) => {$(
        impl$(<$($generics)+>)? $crate::kext::timer::HasTimer$(<$id>)? for $self {
            #[inline]
            fn timer(&self) -> &$crate::kext::timer::Timer<Self $(, $id)?> {
                &self.$field
            }
        }
    )*};
}
pub use impl_has_timer;

/// The callback of timer `ID` of `Self`.
pub trait TimerCallback<const ID: u64 = 0>: HasTimer<ID> + Send + Sync {
    /// Called in softirq when the timer expires, with a reference to the
    /// object (the one the pending timer held; it is dropped when `run`
    /// returns, so clone it to keep the object). Must not sleep. It may
    /// rearm the timer with [`Timer::mod_timer`] or [`Timer::arm_after`].
    fn run(this: &Arc<Self>);
}

/// A `timer_list` embedded in a `T`, whose expiry calls
/// `<T as TimerCallback<ID>>::run`. See the module documentation for the
/// reference counting and the contexts.
///
/// # Invariants
///
/// - `timer` was initialised by `timer_init_key` with
///   `run_callback::<T, ID>` and is never moved (it is pinned).
/// - While the timer is pending, `owner` holds a pointer from
///   `Arc::into_raw` of the `T` the timer lies in, and that pending period
///   owns the reference (it was leaked for it and nobody else reclaims
///   it).
/// - Once `shut_down` is true it stays true and `mod_timer` is never called
///   on `timer` again.
#[pin_data]
#[repr(C)]
pub struct Timer<T, const ID: u64 = 0> {
    /// First, so that the callback can cast its `timer_list` pointer.
    #[pin]
    timer: Opaque<bindings::timer_list>,
    /// Serialises arming against shutdown, so that a timer cannot be armed
    /// (and leak the reference it was armed with) after
    /// `timer_shutdown_sync` has made `mod_timer` a no-op.
    #[pin]
    shut_down: SpinLockIrq<bool>,
    owner: Atomic<*const T>,
    _t: PhantomData<T>,
}

// SAFETY: the timer is used through the timer API, which is thread-safe; the
// owner pointer is atomic. A `Timer<T>` holds no `T` of its own (the
// reference a pending timer holds is governed by `T: Send + Sync`, required
// for arming).
unsafe impl<T, const ID: u64> Send for Timer<T, ID> {}
// SAFETY: as above; `&Timer` only allows thread-safe operations.
unsafe impl<T, const ID: u64> Sync for Timer<T, ID> {}

impl<T: TimerCallback<ID>, const ID: u64> Timer<T, ID> {
    /// An initialiser for a timer called `name` in lockdep class `key`.
    /// Prefer [`new_timer!`], which supplies both.
    pub fn new(name: &'static CStr, key: Pin<&'static LockClassKey>) -> impl PinInit<Self> {
        pin_init!(Self {
            // SAFETY: `slot` is valid, pinned storage for a `timer_list`;
            // `name` and `key` are `'static`. `run_callback::<T, ID>` may be
            // the function of this timer: it is only ever armed through
            // `mod_timer` below, which upholds the invariants the callback
            // relies on. Flags 0: a plain (softirq, non-irqsafe) timer.
            timer <- Opaque::ffi_init(|slot| unsafe {
                bindings::timer_init_key(
                    slot,
                    Some(run_callback::<T, ID>),
                    0,
                    name.as_char_ptr(),
                    key.as_ptr(),
                )
            }),
            shut_down <- new_spinlock_irq!(false, "kext::timer::Timer::shut_down"),
            owner: Atomic::new(core::ptr::null()),
            _t: PhantomData,
        })
    }

    /// (Re)arms `this`'s timer `ID` to expire at the absolute time
    /// `expires` (in [`jiffies`]), like `mod_timer()`. Returns true if it
    /// was already pending (only its expiry changed); false if it was idle
    /// (it now holds a new reference to `this`), or if the timer has been
    /// shut down (then nothing happens).
    ///
    /// May be called from any context, including the callback.
    pub fn mod_timer(this: &Arc<T>, expires: Jiffies) -> bool {
        let timer = <T as HasTimer<ID>>::timer(this);
        // The accessor must return a timer inside `this` (see `HasTimer`).
        let inside = core::ptr::from_ref(timer)
            .addr()
            .checked_sub(Arc::as_ptr(this).addr())
            .and_then(|offset| offset.checked_add(size_of::<Self>()))
            .is_some_and(|end| end <= size_of::<T>());
        if kernel::warn_on!(!inside) {
            return false;
        }

        let guard = timer.shut_down.lock();
        if *guard {
            return false;
        }
        let leaked = Arc::into_raw(this.clone());
        // The same value on every arming: the timer lies inside `this`.
        timer.owner.store(leaked, Release);
        // SAFETY: `timer` is an initialised, pinned timer (type invariant).
        // If it was idle, this starts a pending period that owns `leaked`,
        // reclaimed by `run_callback` or a successful delete/shutdown; if it
        // was pending, the period already owns a reference.
        let was_pending = unsafe { bindings::mod_timer(timer.timer.get(), expires) } != 0;
        drop(guard);
        if was_pending {
            // SAFETY: `leaked` is from `Arc::into_raw` above and the timer
            // did not take it. `this` is another reference: not the last.
            drop(unsafe { Arc::from_raw(leaked) });
        }
        was_pending
    }

    /// (Re)arms `this`'s timer `ID` to expire `delay` jiffies from now; see
    /// [`Timer::mod_timer`]. Build `delay` with
    /// [`kernel::time::msecs_to_jiffies`].
    pub fn arm_after(this: &Arc<T>, delay: Jiffies) -> bool {
        Self::mod_timer(this, jiffies().wrapping_add(delay))
    }

    /// Deactivates the timer and waits for a running callback to finish
    /// (`timer_delete_sync()`). Returns true if the timer was pending; its
    /// reference is then dropped. A concurrent [`Timer::mod_timer`] (or the
    /// callback rearming itself) may arm it again right after; use
    /// [`Timer::shutdown_sync`] to prevent that.
    ///
    /// Call it on the field (`obj.timer.delete_sync()`, or through
    /// [`HasTimer::timer`]). Process context only; never from the timer's
    /// own callback, nor with a lock held that the callback takes.
    pub fn delete_sync(&self) -> bool {
        // SAFETY: the timer is initialised (type invariant).
        let was_pending = unsafe { bindings::timer_delete_sync(self.timer.get()) } != 0;
        if was_pending {
            // SAFETY: we deactivated a pending period, whose reference is
            // now ours (type invariant); `&self` borrows the object through
            // another reference.
            unsafe { self.drop_pending_ref() };
        }
        was_pending
    }

    /// Deactivates the timer for good (`timer_shutdown_sync()`): waits for a
    /// running callback, and makes every later arming a no-op (including
    /// one from the running callback). Returns true if the timer was
    /// pending; its reference is then dropped. On return the callback is
    /// not running and will never run again.
    ///
    /// Call it on the field, like [`Timer::delete_sync`]. Process context
    /// only; never from the timer's own callback, nor with a lock held that
    /// the callback takes.
    pub fn shutdown_sync(&self) -> bool {
        // From here on `mod_timer` refuses to arm; one that already holds
        // the lock finishes first, and its pending period is cancelled
        // below.
        *self.shut_down.lock() = true;
        // SAFETY: the timer is initialised (type invariant).
        let was_pending = unsafe { bindings::timer_shutdown_sync(self.timer.get()) } != 0;
        if was_pending {
            // SAFETY: as in `delete_sync`.
            unsafe { self.drop_pending_ref() };
        }
        was_pending
    }

    /// Drops the reference held by a pending period of this timer.
    ///
    /// # Safety
    ///
    /// The caller must just have deactivated a pending period of this timer
    /// (so it owns that period's reference), and the object it belongs to
    /// must be kept alive by another reference (whatever `&self` was
    /// borrowed from is one: a pending period's reference is not reachable
    /// as a reference).
    unsafe fn drop_pending_ref(&self) {
        let owner = self.owner.load(Acquire);
        // SAFETY: a pending period existed, so `mod_timer` stored `owner`
        // from `Arc::into_raw` before starting it (the store is ordered
        // before `mod_timer` and our deactivation after it, through the
        // timer base lock); the caller gives us that period's reference.
        drop(unsafe { Arc::from_raw(owner) });
    }
}

/// The `timer_list` function of `Timer<T, ID>`: runs in softirq.
///
/// # Safety
///
/// Only the timer code calls it, for the expiry of a pending period of a
/// `Timer<T, ID>` (`timer_init_key` installed it on such timers only).
unsafe extern "C" fn run_callback<T: TimerCallback<ID>, const ID: u64>(
    ptr: *mut bindings::timer_list,
) {
    // `Timer` is `repr(C)` with its `timer_list` (in a transparent `Opaque`)
    // first.
    let timer = ptr.cast::<Timer<T, ID>>();
    // SAFETY: `timer` is a live `Timer<T, ID>`: its pending period kept the
    // object alive until now, and its reference passes to us.
    let owner = unsafe { (*timer).owner.load(Acquire) };
    // SAFETY: the expiring period owns the reference leaked as `owner`
    // (type invariant of `Timer`); the timer code has detached the period,
    // so nobody else reclaims it.
    let this = unsafe { Arc::from_raw(owner) };
    T::run(&this);
    // May be the last reference: then `T` (and this timer) is freed here,
    // which the timer code allows (`call_timer_fn` touches neither after
    // the call).
    drop(this);
}
