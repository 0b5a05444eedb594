// SPDX-License-Identifier: GPL-2.0
//! Safe Rust wrapper over the transport's C ABI (`include/smb/xprt.h`), for
//! in-kernel consumers written in Rust (smbclient.ko). Including this file
//! makes a module depend on smbxprt.ko.

use super::bindings;
use super::kext::abi::jiffies;
use super::kext::iter::KernelIter;
use super::kext::net::addr::SockAddr;
use core::ptr::NonNull;
use kernel::error::{code::*, to_result as check, Result};
use kernel::ffi::c_void;

/// What a transport is for: `smb_xprt_config` without the pointers.
#[derive(Clone, Copy, Debug)]
pub struct Config {
    /// Server address and port (0: 445).
    pub addr: SockAddr,
    /// `SMB_DIALECT_*` range.
    pub dialect_min: u16,
    /// Highest dialect offered.
    pub dialect_max: u16,
    /// `smb_xprt_recv_mode` (0: the module parameter).
    pub recv_mode: u32,
    /// Request timer in ms (0: the module parameter).
    pub timeo_ms: u32,
    /// `SMB_XPRT_SOFT` or `SMB_XPRT_HARD` (0: the module parameter).
    pub flags: u32,
}

/// What NEGOTIATE settled.
pub type Negotiated = bindings::smb_xprt_negotiated;

/// A call's bulk data (see `struct smb_xprt_call`): kernel-backed
/// iterators, advanced by what was sent or received.
#[derive(Default)]
pub struct CallData<'a, 'b> {
    /// A WRITE's payload, sent after the parts.
    pub send: Option<&'a mut KernelIter<'b>>,
    /// A READ's payload destination.
    pub recv: Option<&'a mut KernelIter<'b>>,
}

/// One reference on a shared transport (`smb_xprt_get`/`smb_xprt_put`).
pub struct Transport {
    ptr: NonNull<bindings::smb_xprt>,
}

// SAFETY: the transport is internally synchronised; the C ABI may be called
// from any task.
unsafe impl Send for Transport {}
// SAFETY: as above: every entry point takes a shared pointer.
unsafe impl Sync for Transport {}

impl Transport {
    /// Finds or creates the transport for `cfg` in the calling task's
    /// network namespace. Process context.
    pub fn get(cfg: &Config) -> Result<Self> {
        let raw = cfg.addr.to_raw();
        let c = bindings::smb_xprt_config {
            addr: raw.as_ptr().cast(),
            addrlen: raw.len(),
            net: core::ptr::null_mut(),
            dialect_min: cfg.dialect_min,
            dialect_max: cfg.dialect_max,
            recv_mode: cfg.recv_mode,
            timeo_ms: cfg.timeo_ms,
            flags: cfg.flags,
        };
        // SAFETY: `c` and the address it points to are valid for the call.
        let p = kernel::error::from_err_ptr(unsafe { bindings::smb_xprt_get(&c) })?;
        Ok(Self {
            ptr: NonNull::new(p).ok_or(ENOMEM)?,
        })
    }

    /// The raw handle, for the C ABI.
    pub fn as_ptr(&self) -> *mut bindings::smb_xprt {
        self.ptr.as_ptr()
    }

    /// Sleeps (killable) until connected and negotiated.
    pub fn wait_connected(&self, timeout_ms: Option<u32>) -> Result {
        // SAFETY: we hold a reference.
        check(unsafe { bindings::smb_xprt_wait_connected(self.as_ptr(), jiffies(timeout_ms)) })
    }

    /// What NEGOTIATE settled (`ENOTCONN` while disconnected).
    pub fn negotiated(&self) -> Result<Negotiated> {
        let mut n = core::mem::MaybeUninit::<Negotiated>::zeroed();
        // SAFETY: we hold a reference; `n` is writable.
        check(unsafe { bindings::smb_xprt_negotiated(self.as_ptr(), n.as_mut_ptr()) })?;
        // SAFETY: zeroed plain data, filled in by the call.
        Ok(unsafe { n.assume_init() })
    }

    /// Sends `parts` (the first begins with the 64-byte header) and copies
    /// the reply into `reply`; returns its length. `flags` are
    /// `SMB_XPRT_CALL_*`. Sleeps, killable.
    pub fn call(
        &self,
        parts: &mut [&mut [u8]],
        flags: u32,
        reply: &mut [u8],
        timeout_ms: Option<u32>,
        signer: Option<&Signer>,
        data: CallData<'_, '_>,
    ) -> Result<usize> {
        let mut iov = [bindings::kvec {
            iov_base: core::ptr::null_mut(),
            iov_len: 0,
        }; 7];
        if parts.is_empty() || parts.len() > iov.len() {
            return Err(EINVAL);
        }
        for (v, p) in iov.iter_mut().zip(parts.iter_mut()) {
            v.iov_base = p.as_mut_ptr().cast();
            v.iov_len = p.len();
        }
        let (table, ctx) = match signer {
            Some(s) => (s.table, s.ctx),
            None => (core::ptr::null(), core::ptr::null_mut()),
        };
        let mut call = bindings::smb_xprt_call {
            iov: iov.as_mut_ptr(),
            nr_iov: parts.len() as u32,
            send_data: data.send.map_or(core::ptr::null_mut(), |i| i.as_raw()),
            recv_data: data.recv.map_or(core::ptr::null_mut(), |i| i.as_raw()),
            flags,
            reply: reply.as_mut_ptr().cast(),
            reply_size: reply.len(),
            reply_len: 0,
            timeout: jiffies(timeout_ms),
            signer: table,
            signer_ctx: ctx,
        };
        // SAFETY: the kvecs describe `parts`, which stay borrowed (and
        // unused by anyone else) for the call, as do the iterators (kernel
        // memory, advanced in place by the call); `reply` is writable for
        // its length; the signer table is `'static` and its context valid
        // for the call (`Signer`'s contract).
        check(unsafe { bindings::smb_xprt_call(self.as_ptr(), &mut call) })?;
        Ok(call.reply_len)
    }

    /// Gives the transport a session's encryption keys for connection
    /// `generation` (`smb_xprt_set_session_keys`).
    pub fn set_session_keys(
        &self,
        generation: u64,
        session_id: u64,
        enc: &[u8],
        dec: &[u8],
    ) -> Result {
        if enc.len() != dec.len() {
            return Err(EINVAL);
        }
        // SAFETY: we hold a reference; both keys are readable for the length.
        check(unsafe {
            bindings::smb_xprt_set_session_keys(
                self.as_ptr(),
                generation,
                session_id,
                enc.as_ptr(),
                dec.as_ptr(),
                enc.len(),
            )
        })
    }

    /// Makes the transport forget a session's keys.
    pub fn clear_session_keys(&self, generation: u64, session_id: u64) {
        // SAFETY: we hold a reference.
        unsafe { bindings::smb_xprt_clear_session_keys(self.as_ptr(), generation, session_id) };
    }

    /// One ECHO round trip.
    pub fn echo(&self, timeout_ms: Option<u32>) -> Result {
        // SAFETY: we hold a reference.
        check(unsafe { bindings::smb_xprt_echo(self.as_ptr(), jiffies(timeout_ms)) })
    }
}

impl Drop for Transport {
    fn drop(&mut self) {
        // SAFETY: the reference this value holds is given back once.
        unsafe { bindings::smb_xprt_put(self.as_ptr()) };
    }
}

/// A signer for [`Transport::call`]: a C table and its context.
pub struct Signer {
    table: *const bindings::smb_xprt_signer,
    ctx: *mut c_void,
}

impl Signer {
    /// # Safety
    ///
    /// `table` is a `'static` signer table; `ctx` stays valid, and safe to
    /// pass to it, for as long as the `Signer` is used.
    pub unsafe fn new(table: *const bindings::smb_xprt_signer, ctx: *mut c_void) -> Self {
        Self { table, ctx }
    }
}
