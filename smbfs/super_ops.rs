// SPDX-License-Identifier: GPL-2.0
//! The smbfs file system type: its mount options are parsed and checked
//! (`options.rs`), each error reported through the mount's log, which
//! mount(8) prints. Mounting itself is not implemented yet: a mount whose
//! options are right fails with a message saying so.
#![forbid(unsafe_code)]

use crate::kext::fs::{not_my_parameter, FileSystem, FsContext};
use crate::options::{self, Bad, MountOptions};
use core::ffi::CStr;
use kernel::prelude::*;
use kernel::str::CString;

pub(crate) struct SmbFs;

/// At most this much of a value is quoted in a message.
const QUOTE: usize = 64;

/// `v` for a message: UTF-8, cut short.
fn quote(v: &[u8]) -> &str {
    let v = &v[..v.len().min(QUOTE)];
    match core::str::from_utf8(v) {
        Ok(s) => s,
        Err(e) => core::str::from_utf8(&v[..e.valid_up_to()]).unwrap_or(""),
    }
}

/// Logs `args` to the mount's log.
fn log(fc: &mut FsContext, args: core::fmt::Arguments<'_>) {
    match CString::try_from_fmt(args) {
        Ok(msg) => fc.error(&msg),
        Err(_) => fc.error(c"bad mount option"),
    }
}

/// The message for option `key` (value `value`) refused as `bad`. A
/// password's value is never quoted.
fn report(fc: &mut FsContext, key: &[u8], value: Option<&[u8]>, bad: Bad) {
    let k = quote(key);
    let secret = matches!(key, b"password" | b"pass");
    let v = if secret {
        ""
    } else {
        quote(value.unwrap_or(&[]))
    };
    match bad {
        Bad::Unknown => log(fc, fmt!("unknown option '{k}'")),
        Bad::NeedsValue => log(fc, fmt!("option '{k}' needs a value")),
        Bad::TakesNone => log(fc, fmt!("option '{k}' takes no value")),
        Bad::Value if secret => log(fc, fmt!("bad value for option '{k}'")),
        Bad::Value => log(fc, fmt!("bad value '{v}' for option '{k}'")),
        Bad::Range(why) if secret => log(fc, fmt!("option '{k}': {why}")),
        Bad::Range(why) => log(fc, fmt!("option '{k}={v}' out of range: {why}")),
        Bad::Conflict(other) => log(fc, fmt!("options '{k}' and '{other}' conflict")),
        Bad::Unsupported(what) if value.is_some() && !secret => {
            log(fc, fmt!("option '{k}={v}': {what}"))
        }
        Bad::Unsupported(what) => log(fc, fmt!("option '{k}': {what}")),
    }
}

impl FileSystem for SmbFs {
    const NAME: &'static CStr = c"smbfs";

    type Context = MountOptions;

    fn parse_param(
        fc: &mut FsContext,
        ctx: &mut MountOptions,
        key: &CStr,
        value: Option<&CStr>,
    ) -> Result {
        // The VFS records the source.
        if key == c"source" {
            return Err(not_my_parameter());
        }
        let (k, v) = (key.to_bytes(), value.map(CStr::to_bytes));
        ctx.apply(k, v).map_err(|bad| {
            report(fc, k, v, bad);
            EINVAL
        })
    }

    fn get_tree(fc: &mut FsContext, ctx: &mut MountOptions) -> Result {
        let mut src = KVec::new();
        match fc.source() {
            Some(s) => src.extend_from_slice(s.to_bytes(), GFP_KERNEL)?,
            None => {
                fc.error(c"no source: mount -t smbfs //server/share /mountpoint");
                return Err(EINVAL);
            }
        }
        let source = match options::parse_source(&src) {
            Ok(s) => s,
            Err(why) => {
                log(fc, fmt!("{why} (not '{}')", quote(&src)));
                return Err(EINVAL);
            }
        };
        if ctx.addr.is_none() && !options::is_ip_literal(&source.host) {
            log(
                fc,
                fmt!(
                    "'{}' is a host name, which the kernel does not resolve: mount with the mount.smbfs helper, or give ip=",
                    quote(&source.host)
                ),
            );
            return Err(EINVAL);
        }
        if let Some(a) = ctx.addr.as_deref() {
            if !options::is_ip_literal(a) {
                log(
                    fc,
                    fmt!(
                        "bad value '{}' for option 'ip': a numeric address",
                        quote(a)
                    ),
                );
                return Err(EINVAL);
            }
        }
        if let Err(why) = options::check(ctx) {
            log(fc, fmt!("{why}"));
            return Err(EINVAL);
        }
        fc.error(c"mounting is not implemented yet; use cifs.ko for now (see README.md)");
        Err(EOPNOTSUPP)
    }
}
