// SPDX-License-Identifier: GPL-2.0
//! Queries about the current execution context (`include/linux/preempt.h`),
//! for assertions and tests. Each may be called in any context.

use super::super::super::bindings;

/// Whether a softirq handler is running on this CPU right now
/// (`in_serving_softirq()`): true in a `timer_list` callback and in the
/// network receive path, false in a task that merely disabled bottom halves.
pub fn in_serving_softirq() -> bool {
    // SAFETY: reads the preempt count of the current CPU; no preconditions.
    unsafe { bindings::smb_helper_in_serving_softirq() }
}

/// Whether the caller runs in process context (`in_task()`): a task or a
/// kworker, not an interrupt or softirq handler. Only process context may
/// sleep (and then only without spinlocks held).
pub fn in_task() -> bool {
    // SAFETY: reads the preempt count of the current CPU; no preconditions.
    unsafe { bindings::smb_helper_in_task() }
}
