// SPDX-License-Identifier: GPL-2.0
//! Compile-time checks that Rust definitions of exported C functions match
//! their declarations in `include/smb/*.h`.

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
