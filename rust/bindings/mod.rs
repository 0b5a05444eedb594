// SPDX-License-Identifier: GPL-2.0
//! Raw bindings for the smbfs modules: the kernel's own `bindings` crate, plus
//! what bindgen generates from `bindings_helper.h` (types that are opaque or
//! missing there, lib/crypto, our C ABI) and the `smb_helper_*` wrappers of
//! static inline functions in `rust/helpers/`.
//!
//! Local items shadow the glob import, so e.g. `bindings::sock` is the full
//! `struct sock` while `bindings::socket` stays the kernel crate's type.

#![allow(
    dead_code,
    non_camel_case_types,
    non_upper_case_globals,
    non_snake_case,
    improper_ctypes,
    missing_docs,
    unreachable_pub,
    unsafe_op_in_unsafe_fn,
    clippy::all,
    clippy::undocumented_unsafe_blocks,
    clippy::ptr_as_ptr,
    clippy::ref_as_ptr,
    clippy::cast_lossless
)]

pub use kernel::bindings::*;

#[allow(unused_imports)]
use kernel::ffi;
#[allow(unused_imports)]
use pin_init::{MaybeZeroable, Zeroable};

include!(concat!(env!("SMB_BINDINGS_DIR"), "/bindings_generated.rs"));

pub use self::helpers::*;

mod helpers {
    #[allow(unused_imports)]
    use super::*;
    #[allow(unused_imports)]
    use kernel::ffi;
    include!(concat!(env!("SMB_BINDINGS_DIR"), "/helpers_generated.rs"));
}
