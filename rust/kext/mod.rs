// SPDX-License-Identifier: GPL-2.0
//! Safe abstractions over kernel APIs that the `kernel` crate of Linux 7.3
//! does not provide, none of them specific to SMB. Each module crate includes
//! this tree as source (`#[path]`), so every `.ko` has its own private copy
//! and no Rust ABI crosses module boundaries.
//!
//! All `unsafe` of the project lives under `rust/`; each block states why it
//! is sound in a `// SAFETY:` comment.

pub mod abi;
pub mod clock;
pub mod crypto;
pub mod fault;
pub mod fs;
pub mod global;
pub mod hex;
pub mod iter;
pub mod layout;
pub mod module;
pub mod net;
pub mod nofs;
pub mod random;
pub mod sync;
pub mod timer;
pub mod workqueue;
