// SPDX-License-Identifier: GPL-2.0
//! A module's fault-injection point (Documentation/fault-injection/): the
//! kernel's `should_fail()` on a `struct fault_attr` of the module's own,
//! with the usual debugfs knobs (`probability`, `interval`, `times`,
//! `task-filter`, ...), for tests of what the module does when one
//! particular allocation fails. One per module; it never fails in a
//! kernel without `CONFIG_FAULT_INJECTION`.

use super::super::bindings;
use kernel::str::{CStr, CStrExt};

/// The knobs of the module's fault point, in debugfs while this lives.
pub struct FaultPoint {
    dir: *mut bindings::dentry,
}

// SAFETY: a debugfs dentry pointer, only given back to debugfs on drop.
unsafe impl Send for FaultPoint {}
// SAFETY: shared access touches nothing.
unsafe impl Sync for FaultPoint {}

impl FaultPoint {
    /// Puts the knobs in `/sys/kernel/debug/<name>/` (nothing if debugfs or
    /// fault injection is missing).
    pub fn register(name: &'static CStr) -> Self {
        // SAFETY: `name` is a NUL-terminated string that outlives the
        // directory (static).
        let dir = unsafe { bindings::smb_helper_fault_debugfs(name.as_char_ptr()) };
        Self { dir }
    }

    /// Whether the operation at hand (of `size` bytes) must fail now, as
    /// the knobs say.
    pub fn should_fail(size: usize) -> bool {
        // SAFETY: reads the module's static fault attribute.
        unsafe { bindings::smb_helper_fault_should_fail(size) }
    }
}

impl Drop for FaultPoint {
    fn drop(&mut self) {
        // SAFETY: `dir` is NULL or the directory `register` made, removed
        // once.
        unsafe { bindings::smb_helper_fault_debugfs_remove(self.dir) };
    }
}
