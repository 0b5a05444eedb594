// SPDX-License-Identifier: GPL-2.0
//! IPv4 and IPv6 socket addresses.

use super::super::super::bindings;
use core::fmt;
use kernel::error::{code::EINVAL, Result};

/// An IP address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IpAddr {
    /// IPv4, network byte order.
    V4([u8; 4]),
    /// IPv6, network byte order.
    V6([u8; 16]),
}

/// An IP address, a TCP port and, for IPv6, a scope id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SockAddr {
    /// The address.
    pub ip: IpAddr,
    /// The port, host byte order.
    pub port: u16,
    /// The IPv6 scope (interface) id; 0 for IPv4.
    pub scope_id: u32,
}

/// A `sockaddr_in` or `sockaddr_in6` laid out as the kernel expects it.
#[repr(C, align(8))]
pub struct RawSockAddr {
    bytes: [u8; 28],
    len: usize,
}

impl RawSockAddr {
    /// Pointer for `kernel_connect`.
    pub fn as_ptr(&self) -> *const u8 {
        self.bytes.as_ptr()
    }

    /// Length of the structure.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the structure is empty (never).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl SockAddr {
    /// Parses a numeric IPv4 (`a.b.c.d`) or IPv6 address (no brackets, no
    /// scope suffix). `EINVAL` for anything else.
    pub fn parse_ip(text: &[u8], port: u16) -> Result<Self> {
        let len = i32::try_from(text.len()).map_err(|_| EINVAL)?;
        let mut end: *const u8 = core::ptr::null();
        let mut v4 = [0u8; 4];
        // SAFETY: `text` is valid for `len` bytes; `v4` has the 4 bytes the
        // call writes; `end` receives a pointer into `text`. The delimiter
        // -1 means "parse all of `text`".
        if unsafe { bindings::in4_pton(text.as_ptr(), len, v4.as_mut_ptr(), -1, &mut end) } == 1 {
            return Ok(Self {
                ip: IpAddr::V4(v4),
                port,
                scope_id: 0,
            });
        }
        let mut v6 = [0u8; 16];
        // SAFETY: as above, with the 16 bytes of an IPv6 address.
        if unsafe { bindings::in6_pton(text.as_ptr(), len, v6.as_mut_ptr(), -1, &mut end) } == 1 {
            return Ok(Self {
                ip: IpAddr::V6(v6),
                port,
                scope_id: 0,
            });
        }
        Err(EINVAL)
    }

    /// The address family (`AF_INET` or `AF_INET6`).
    pub fn family(&self) -> i32 {
        match self.ip {
            IpAddr::V4(_) => bindings::SMB_CONST_AF_INET,
            IpAddr::V6(_) => bindings::SMB_CONST_AF_INET6,
        }
    }

    /// The kernel representation (`sockaddr_in` / `sockaddr_in6`).
    pub fn to_raw(&self) -> RawSockAddr {
        let mut b = [0u8; 28];
        // sa_family is host-endian; the port and address are big-endian.
        let family = self.family() as u16;
        b[0..2].copy_from_slice(&family.to_ne_bytes());
        b[2..4].copy_from_slice(&self.port.to_be_bytes());
        let len = match self.ip {
            IpAddr::V4(a) => {
                b[4..8].copy_from_slice(&a);
                16
            }
            IpAddr::V6(a) => {
                // sin6_flowinfo (4 bytes) stays zero.
                b[8..24].copy_from_slice(&a);
                b[24..28].copy_from_slice(&self.scope_id.to_ne_bytes());
                28
            }
        };
        RawSockAddr { bytes: b, len }
    }

    /// Reads a `sockaddr_in` or `sockaddr_in6` of `len` bytes.
    ///
    /// # Safety
    ///
    /// `ptr` must be valid for reads of `len` bytes.
    pub unsafe fn from_raw(ptr: *const u8, len: usize) -> Result<Self> {
        if ptr.is_null() || len < 16 {
            return Err(EINVAL);
        }
        // SAFETY: the caller guarantees `len` readable bytes.
        let b = unsafe { core::slice::from_raw_parts(ptr, len) };
        let family = i32::from(u16::from_ne_bytes([b[0], b[1]]));
        let port = u16::from_be_bytes([b[2], b[3]]);
        if family == bindings::SMB_CONST_AF_INET {
            let mut a = [0u8; 4];
            a.copy_from_slice(&b[4..8]);
            Ok(Self {
                ip: IpAddr::V4(a),
                port,
                scope_id: 0,
            })
        } else if family == bindings::SMB_CONST_AF_INET6 && len >= 28 {
            let mut a = [0u8; 16];
            a.copy_from_slice(&b[8..24]);
            let scope_id = u32::from_ne_bytes([b[24], b[25], b[26], b[27]]);
            Ok(Self {
                ip: IpAddr::V6(a),
                port,
                scope_id,
            })
        } else {
            Err(EINVAL)
        }
    }
}

impl kernel::fmt::Display for SockAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for SockAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.ip {
            IpAddr::V4(a) => write!(f, "{}.{}.{}.{}:{}", a[0], a[1], a[2], a[3], self.port),
            IpAddr::V6(a) => {
                f.write_str("[")?;
                for (i, pair) in a.chunks(2).enumerate() {
                    if i > 0 {
                        f.write_str(":")?;
                    }
                    write!(f, "{:x}", u16::from_be_bytes([pair[0], pair[1]]))?;
                }
                write!(f, "]:{}", self.port)
            }
        }
    }
}
