// SPDX-License-Identifier: GPL-2.0
//! SMB2/3 protocol codec: framing, messages, NTLMSSP and SMB3 key and
//! signature math.
//!
//! Every decoder borrows its input and returns a typed error on bad input;
//! nothing here allocates or panics, whatever the bytes.

pub mod error;
pub mod wire;

pub use self::error::{Error, Result};
pub mod close;
pub mod compound;
pub mod create;
pub mod create_ctx;
pub mod credits;
pub mod crypto;
pub mod dispatch;
pub mod echo;
pub mod error_resp;
pub mod fast_path;
pub mod file_io;
pub mod framing;
pub mod header;
pub mod info;
pub mod info_class;
pub mod ioctl;
pub mod kdf;
pub mod lock;
pub mod message;
pub mod negotiate;
pub mod negotiate_ctx;
pub mod ntlmssp;
pub mod oplock;
pub mod preauth;
pub mod query_dir;
pub mod session;
pub mod signing;
pub mod status;
pub mod transform;
pub mod transform_crypt;
pub mod tree;
pub mod utf16;
