// SPDX-License-Identifier: GPL-2.0
//! A reference on a callback table's owner module, held while the table may
//! be called (Documentation/abi.rst, "Callback tables and owner-module
//! pinning").

use super::super::bindings;
use kernel::error::{code::ENODEV, Result};

/// A reference taken with `try_module_get()`, dropped with `module_put()`.
pub struct ModuleRef(*mut bindings::module);

// SAFETY: a module reference may be taken and dropped from any task.
unsafe impl Send for ModuleRef {}
// SAFETY: `&ModuleRef` allows nothing.
unsafe impl Sync for ModuleRef {}

impl ModuleRef {
    /// Pins `owner` (NULL, built-in code, needs nothing); `ENODEV` if it is
    /// being unloaded.
    ///
    /// # Safety
    ///
    /// `owner` is NULL or a module still allocated (the owner of a table
    /// the caller was given and may still use).
    pub unsafe fn get(owner: *mut bindings::module) -> Result<Self> {
        // SAFETY: the caller's contract.
        if unsafe { bindings::smb_helper_try_module_get(owner) } {
            Ok(Self(owner))
        } else {
            Err(ENODEV)
        }
    }
}

impl Drop for ModuleRef {
    fn drop(&mut self) {
        // SAFETY: the reference taken in `get` is given back once
        // (`module_put` accepts NULL).
        unsafe { bindings::module_put(self.0) };
    }
}
