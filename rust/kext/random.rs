// SPDX-License-Identifier: GPL-2.0
//! The kernel's cryptographically secure random bytes.

use super::super::bindings;

/// Fills `buf` with random bytes (`get_random_bytes`). Any context.
pub fn fill(buf: &mut [u8]) {
    // SAFETY: `buf` is writable for its length.
    unsafe { bindings::get_random_bytes(buf.as_mut_ptr().cast(), buf.len()) };
}
