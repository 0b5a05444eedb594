// SPDX-License-Identifier: GPL-2.0
//! Wall-clock time, for protocol timestamps.

use super::super::bindings;

/// Nanoseconds since the Unix epoch (CLOCK_REALTIME). Any context.
pub fn real_time_ns() -> u64 {
    // SAFETY: a lockless read of the real-time clock, callable from any
    // context.
    unsafe { bindings::ktime_get_real_fast_ns() }
}

/// The current time as a Windows FILETIME: 100 ns units since 1601-01-01.
pub fn filetime_now() -> u64 {
    (real_time_ns() / 100).saturating_add(116_444_736_000_000_000)
}

/// Nanoseconds of the monotonic clock, for ageing caches. Any context.
pub fn mono_ns() -> u64 {
    // SAFETY: a lockless read of the monotonic clock, callable from any
    // context.
    unsafe { bindings::ktime_get_mono_fast_ns() }
}
