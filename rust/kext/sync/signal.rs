// SPDX-License-Identifier: GPL-2.0
//! The current task's signal mask, for a send that must not be cut short.
//!
//! A blocking `sendmsg()` that waits for socket buffer space returns early
//! (a short count, or `-ERESTARTSYS`) when any signal is pending, and keeps
//! doing so until the signal is delivered on the way back to user space:
//! retrying would spin. A caller that must finish a record (an SMB frame
//! half on the wire cannot be taken back) blocks every signal but SIGKILL
//! for the rest of it, as cifs.ko's `__smb_send_rqst` does: a caught signal
//! (SIGALRM, SIGCHLD, ...) then waits until the send is done, and only a
//! fatal one interrupts it.

use super::super::super::bindings;

/// Whether any signal is pending for the current task (`signal_pending()`).
pub fn signal_pending() -> bool {
    // SAFETY: reads the current task's flags; no preconditions.
    unsafe { bindings::smb_helper_signal_pending() }
}

/// Every signal but SIGKILL (and SIGSTOP) blocked for the current task
/// while this lives; the old mask comes back when it is dropped. Process
/// context; not `Send` (the mask is the task's).
pub struct SignalsBlocked {
    old: bindings::sigset_t,
    active: bool,
    _not_send: kernel::types::NotThreadSafe,
}

impl SignalsBlocked {
    /// Blocks the signals. In a kernel thread (a kworker) nothing changes
    /// that matters, and nothing fails: the guard is then inert.
    pub fn enter() -> Self {
        // SAFETY: all-zero is a valid (empty) `sigset_t`.
        let mut old: bindings::sigset_t = unsafe { core::mem::zeroed() };
        // SAFETY: `old` is writable; the call changes only the current
        // task's blocked set.
        let r = unsafe { bindings::smb_helper_block_signals(&mut old) };
        Self {
            old,
            active: r == 0,
            _not_send: kernel::types::NotThreadSafe,
        }
    }
}

impl Drop for SignalsBlocked {
    fn drop(&mut self) {
        if self.active {
            // SAFETY: `old` is the mask `enter` saved for this task (the
            // guard is not `Send`).
            unsafe { bindings::smb_helper_restore_signals(&self.old) };
        }
    }
}
