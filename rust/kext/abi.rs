// SPDX-License-Identifier: GPL-2.0
//! Compile-time checks that Rust definitions of exported C functions match
//! their declarations in `include/smb/*.h`, and the conversions every C ABI
//! entry point needs.

use super::super::bindings;
use kernel::error::Result;
use kernel::ffi::{c_int, c_long};

/// A C timeout in jiffies (`MAX_SCHEDULE_TIMEOUT`, or anything negative:
/// none) as milliseconds.
pub fn timeout_ms(t: c_long) -> Option<u32> {
    if t < 0 || t == c_long::MAX {
        return None;
    }
    // SAFETY: a pure conversion.
    Some(unsafe { bindings::smb_helper_jiffies_to_msecs(t as kernel::ffi::c_ulong) })
}

/// The other way: milliseconds (`None`: no limit) as a C timeout in
/// jiffies (`MAX_SCHEDULE_TIMEOUT` for none).
pub fn jiffies(timeout_ms: Option<u32>) -> c_long {
    match timeout_ms {
        None => c_long::MAX,
        Some(ms) => c_long::try_from(kernel::time::msecs_to_jiffies(ms)).unwrap_or(c_long::MAX),
    }
}

/// A result as the C convention has it: 0 or a negative errno.
pub fn errno(r: Result) -> c_int {
    match r {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// Asserts, at compile time, that each named function defined in the current
/// scope has exactly the type of the declaration bindgen generated from the C
/// header (`bindings::NAME`). A mismatch in any parameter or the return type
/// is a type error, so the C ABI and its Rust implementation cannot drift.
///
/// ```ignore
/// kext::abi_check!(bindings; smb_md4, smb_arc4);
/// ```
#[macro_export]
macro_rules! abi_check {
    ($bindings:path; $($name:ident),+ $(,)?) => {
        $(
            const _: () = {
                use $bindings as b;
                // Both arms must coerce to one function-pointer type, which
                // exists only if the signatures are identical.
                let _ = if true { b::$name } else { $name };
            };
        )+
    };
}
