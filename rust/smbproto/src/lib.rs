// SPDX-License-Identifier: GPL-2.0
//! SMB2/3 and NTLMSSP wire codec.
//!
//! The crate root holds only attributes and one module: the kernel modules
//! include `src/proto/mod.rs` directly with `#[path]`, so everything lives
//! there and uses only relative paths.
#![no_std]
#![forbid(unsafe_code)]

pub mod proto;
