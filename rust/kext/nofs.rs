// SPDX-License-Identifier: GPL-2.0
//! GFP_NOFS allocation scopes (`memalloc_nofs_save()` /
//! `memalloc_nofs_restore()`, include/linux/sched/mm.h).
//!
//! The `kernel` crate cannot build `GFP_NOFS` flags. Inside a scope, every
//! allocation of the current task implicitly drops `__GFP_FS`, whatever
//! flags it passes (`GFP_KERNEL` included), so memory reclaim it triggers
//! cannot recurse into file system writeback, which may be waiting for this
//! very task. Use it on writeback and reconnect-for-writeback paths.

use super::super::bindings;
use core::marker::PhantomData;
use kernel::ffi::c_uint;

/// An open GFP_NOFS scope of the current task; closing it (drop) restores
/// the previous state. Scopes nest.
///
/// Close scopes in the reverse order of opening them (the natural order of
/// guards in nested blocks; [`scope`] guarantees it). Dropping an outer
/// scope while an inner one is open ends the NOFS protection of the inner
/// one early. The type is `!Send`: the scope belongs to the task that
/// opened it.
///
/// Use it in task context (process context or a kworker); it may be held
/// across sleeps.
#[must_use = "the scope ends when the guard is dropped"]
pub struct NofsScope {
    /// What `memalloc_nofs_save()` returned: the flag it set, if any.
    saved: c_uint,
    _not_send: PhantomData<*mut ()>,
}

impl NofsScope {
    /// Opens a scope: sets `PF_MEMALLOC_NOFS` on the current task.
    pub fn enter() -> Self {
        // SAFETY: sets a flag of `current`, which is always valid.
        let saved = unsafe { bindings::smb_helper_memalloc_nofs_save() };
        NofsScope {
            saved,
            _not_send: PhantomData,
        }
    }

    /// The same as [`NofsScope::enter`].
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Self::enter()
    }
}

impl Drop for NofsScope {
    fn drop(&mut self) {
        // SAFETY: `saved` is what the matching save returned, on this same
        // task (the guard is `!Send`); this clears the flag only if that
        // save set it.
        unsafe { bindings::smb_helper_memalloc_nofs_restore(self.saved) };
    }
}

/// Runs `f` in a GFP_NOFS scope.
pub fn scope<R>(f: impl FnOnce() -> R) -> R {
    let _scope = NofsScope::enter();
    f()
}

/// Whether the current task is in a GFP_NOFS scope (`PF_MEMALLOC_NOFS`).
pub fn is_active() -> bool {
    // SAFETY: reads the flags of `current`, which is always valid.
    let flags = unsafe { bindings::smb_helper_current_flags() };
    flags & bindings::PF_MEMALLOC_NOFS != 0
}
