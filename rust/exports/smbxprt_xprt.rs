// SPDX-License-Identifier: GPL-2.0
//! The C ABI of `include/smb/xprt.h`, defined by smbxprt.ko over its
//! `xprt` module and exported in the "SMB" namespace by
//! `smbxprt/exports.c`. Only smbxprt includes this file.
//!
//! A `struct smb_xprt *` handed to C is an `Arc<Xprt>` turned into a raw
//! pointer by `smb_xprt_get` and given back by `smb_xprt_put`.

use super::bindings;
use super::kext::abi::{errno, timeout_ms};
use super::kext::iter::{kvec_slices, Direction, KernelIter};
use super::kext::module::ModuleRef;
use super::kext::net::addr::SockAddr;
use super::kext::net::ns::Net;
use super::negotiate::valid_range;
use super::proto::credits::ChargeClass;
use super::xprt::{CallData, MsgKind, RecvMode, Xprt, XprtEvent, XprtKey};
use super::{Globals, GLOBALS};
use kernel::alloc::{flags::GFP_KERNEL, KBox};
use kernel::error::{code::*, Error, Result};
use kernel::ffi::{c_int, c_long, c_void};
use kernel::sync::{Arc, ArcBorrow};

/// # Safety
///
/// `x` came from `smb_xprt_get` and has not been put.
unsafe fn borrow<'a>(x: *mut bindings::smb_xprt) -> ArcBorrow<'a, Xprt> {
    // SAFETY: guaranteed by the caller: the pointer holds a reference.
    unsafe { ArcBorrow::from_raw(x.cast::<Xprt>().cast_const()) }
}

fn get(cfg: &bindings::smb_xprt_config, addr: SockAddr) -> Result<Arc<Xprt>> {
    if !valid_range(cfg.dialect_min, cfg.dialect_max) {
        return Err(EINVAL);
    }
    let recv_mode = match cfg.recv_mode {
        bindings::smb_xprt_recv_mode_SMB_XPRT_RECV_DEFAULT => Globals::default_recv_mode(),
        bindings::smb_xprt_recv_mode_SMB_XPRT_RECV_SOFTIRQ => RecvMode::Softirq,
        bindings::smb_xprt_recv_mode_SMB_XPRT_RECV_WORKQUEUE => RecvMode::Workqueue,
        _ => return Err(EINVAL),
    };
    let net = if cfg.net.is_null() {
        Net::current()
    } else {
        // SAFETY: the caller passes a live namespace it holds a reference on.
        unsafe { Net::from_raw_get(cfg.net) }
    };
    let globals = GLOBALS.get().ok_or(ENODEV)?;
    let mut timer = Globals::default_timer();
    if cfg.timeo_ms != 0 {
        timer.timeo_ms = cfg.timeo_ms.max(1000);
    }
    match cfg.flags & (bindings::SMB_XPRT_SOFT | bindings::SMB_XPRT_HARD) {
        0 => {}
        bindings::SMB_XPRT_SOFT => timer.hard = false,
        bindings::SMB_XPRT_HARD => timer.hard = true,
        _ => return Err(EINVAL),
    }
    if cfg.flags & !(bindings::SMB_XPRT_SOFT | bindings::SMB_XPRT_HARD) != 0 {
        return Err(EINVAL);
    }
    let key = XprtKey {
        addr,
        dialect_min: cfg.dialect_min,
        dialect_max: cfg.dialect_max,
        recv_mode,
        timer,
    };
    Xprt::get(&globals, &net, key, Globals::tunables())
}

/// See `include/smb/xprt.h`.
///
/// # Safety
///
/// `cfg` points to a valid config whose `addr` is valid for `addrlen` bytes.
#[no_mangle]
pub unsafe extern "C" fn smb_xprt_get(
    cfg: *const bindings::smb_xprt_config,
) -> *mut bindings::smb_xprt {
    // SAFETY: the header's contract.
    let cfg = unsafe { &*cfg };
    // SAFETY: the header's contract for `addr`.
    let addr = match unsafe { SockAddr::from_raw(cfg.addr.cast(), cfg.addrlen) } {
        Ok(mut a) => {
            if a.port == 0 {
                a.port = 445;
            }
            a
        }
        Err(e) => return e.to_ptr(),
    };
    match get(cfg, addr) {
        Ok(x) => Arc::into_raw(x).cast_mut().cast(),
        Err(e) => e.to_ptr(),
    }
}

/// See `include/smb/xprt.h`.
///
/// # Safety
///
/// `x` came from `smb_xprt_get` and is put once.
#[no_mangle]
pub unsafe extern "C" fn smb_xprt_put(x: *mut bindings::smb_xprt) {
    if x.is_null() {
        return;
    }
    // SAFETY: the reference `smb_xprt_get` gave out comes back.
    Xprt::put(unsafe { Arc::from_raw(x.cast::<Xprt>().cast_const()) });
}

/// See `include/smb/xprt.h`.
///
/// # Safety
///
/// `x` is a transport the caller holds.
#[no_mangle]
pub unsafe extern "C" fn smb_xprt_wait_connected(
    x: *mut bindings::smb_xprt,
    timeout: c_long,
) -> c_int {
    // SAFETY: the header's contract.
    let x = unsafe { borrow(x) };
    errno(x.wait_connected(&super::xprt::Deadline::new(timeout_ms(timeout))))
}

/// See `include/smb/xprt.h`.
///
/// # Safety
///
/// `x` is a transport the caller holds; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn smb_xprt_negotiated(
    x: *mut bindings::smb_xprt,
    out: *mut bindings::smb_xprt_negotiated,
) -> c_int {
    // SAFETY: the header's contract.
    let x = unsafe { borrow(x) };
    let Some(n) = x.negotiated() else {
        return ENOTCONN.to_errno();
    };
    let v = bindings::smb_xprt_negotiated {
        dialect: n.dialect,
        security_mode: n.security_mode,
        capabilities: n.capabilities,
        max_transact_size: n.max_transact_size,
        max_read_size: n.max_read_size,
        max_write_size: n.max_write_size,
        cipher: n.cipher,
        signing_algorithm: n.signing_algorithm,
        server_guid: n.server_guid,
        preauth_hash: n.preauth_hash,
        generation: n.generation,
        client_guid: n.client_guid,
        client_capabilities: n.client_capabilities,
        client_security_mode: n.client_security_mode,
        dialect_count: n.dialect_count,
        dialects: n.dialects,
    };
    // SAFETY: the header's contract.
    unsafe { out.write(v) };
    0
}

/// Calls a C signer with kvecs rebuilt from `parts` (so the signer writes
/// through pointers derived from the Rust borrows, not around them),
/// pinning the signer's module for the call.
///
/// # Safety
///
/// `signer` points to a valid, `'static` signer table.
unsafe fn run_signer(
    signer: *const bindings::smb_xprt_signer,
    ctx: *mut kernel::ffi::c_void,
    parts: &mut [&mut [u8]],
    mut data: Option<KernelIter<'_>>,
) -> Result {
    let mut iov = [bindings::kvec {
        iov_base: core::ptr::null_mut(),
        iov_len: 0,
    }; 8];
    if parts.len() > iov.len() {
        return Err(EINVAL);
    }
    for (v, p) in iov.iter_mut().zip(parts.iter_mut()) {
        v.iov_base = p.as_mut_ptr().cast();
        v.iov_len = p.len();
    }
    // SAFETY: the table is valid (caller); `sign` may be NULL.
    let (owner, sign) = unsafe { ((*signer).owner, (*signer).sign) };
    let Some(sign) = sign else {
        return Err(EINVAL);
    };
    // SAFETY: `owner` is NULL or a module; pinning it keeps `sign` callable.
    let _owner = unsafe { ModuleRef::get(owner) }?;
    let data_ptr = data.as_mut().map_or(core::ptr::null_mut(), |d| d.as_raw());
    // SAFETY: the iovs describe the request parts, valid for the call;
    // `data_ptr` is NULL or a cursor the signer may advance, over memory
    // valid for the call.
    let r = unsafe { sign(ctx, iov.as_mut_ptr(), parts.len() as u32, data_ptr) };
    if r < 0 {
        Err(Error::from_errno(r))
    } else {
        Ok(())
    }
}

/// Runs `f` with the call's C signer as the transport's (`None` without
/// one).
///
/// # Safety
///
/// `call.signer` is NULL or a valid, `'static` signer table, and
/// `call.signer_ctx` is valid for it while `f` runs.
unsafe fn with_c_signer<R>(
    call: &bindings::smb_xprt_call,
    f: impl FnOnce(Option<super::xprt::Signer<'_>>) -> R,
) -> R {
    let (signer, ctx) = (call.signer, call.signer_ctx);
    let mut sign_fn = |parts: &mut [&mut [u8]], data: Option<KernelIter<'_>>| -> Result {
        // SAFETY: the caller's contract.
        unsafe { run_signer(signer, ctx, parts, data) }
    };
    f(if signer.is_null() {
        None
    } else {
        Some(&mut sign_fn)
    })
}

/// The request side of an asynchronous call, over the caller's
/// `struct smb_xprt_async` (see `include/smb/xprt.h`).
struct CSource {
    a: *mut bindings::smb_xprt_async,
    /// Where the last attempt's payload cursor ended, written back to the
    /// caller's iterator when the call is over.
    send_end: Option<KernelIter<'static>>,
    /// The owner of `done`, pinned until it has returned (fields drop after
    /// `finish`).
    _owner: ModuleRef,
}

// SAFETY: the caller's structure is valid, and not touched by the caller,
// until `done` (the header's contract), from whichever task runs the call's
// steps; they run one at a time.
unsafe impl Send for CSource {}

impl super::acall::AsyncSource for CSource {
    fn with_request(&mut self, f: &mut super::acall::RequestFn<'_>) -> Result {
        // SAFETY: the header's contract: valid and the transport's until
        // `done`.
        let call = unsafe { &(*self.a).call };
        let mut parts: [&mut [u8]; 7] = Default::default();
        let (iov, nr) = (call.iov, call.nr_iov as usize);
        // SAFETY: as above: `iov` describes `nr_iov` writable buffers.
        let n = unsafe { kvec_slices(iov, nr, &mut parts) }?;
        // A fresh cursor each attempt: the caller's iterator is only
        // written at the end.
        let raw = call.send_data;
        // SAFETY: as above: NULL or a kernel-backed iterator over memory
        // valid until `done`.
        let send = unsafe { KernelIter::<'static>::from_raw_opt(raw, Direction::Source) };
        let mut send = send?;
        // SAFETY: the header's contract for `signer`.
        let r = unsafe { with_c_signer(call, |sign| f(&mut parts[..n], send.as_mut(), sign)) };
        if send.as_ref().is_some_and(|i| i.consumed() > 0) {
            self.send_end = send;
        }
        r
    }

    fn recv_cursor(&mut self) -> Result<Option<KBox<KernelIter<'static>>>> {
        // SAFETY: as in `with_request`.
        let raw = unsafe { (*self.a).call.recv_data };
        // SAFETY: as above: NULL or a kernel-backed iterator over memory
        // valid until `done`.
        let it = unsafe { KernelIter::<'static>::from_raw_opt(raw, Direction::Dest) };
        let it = it?;
        it.map(|i| KBox::new(i, GFP_KERNEL))
            .transpose()
            .map_err(Error::from)
    }

    fn finish(
        &mut self,
        result: Result<kernel::alloc::KVec<u8>>,
        recv: Option<KBox<KernelIter<'static>>>,
    ) {
        // SAFETY: as in `with_request`; after `done` we touch nothing.
        let a = unsafe { &mut *self.a };
        let call = &mut a.call;
        // SAFETY: each cursor was made from the caller's iterator.
        unsafe {
            if let Some(i) = &self.send_end {
                i.write_back(call.send_data);
            }
            if let Some(i) = &recv {
                i.write_back(call.recv_data);
            }
        }
        let r = result.and_then(|reply| {
            if reply.len() > call.reply_size {
                return Err(EMSGSIZE);
            }
            // SAFETY: the header's contract for `reply`.
            unsafe {
                core::ptr::copy_nonoverlapping(reply.as_ptr(), call.reply.cast::<u8>(), reply.len())
            };
            call.reply_len = reply.len();
            Ok(())
        });
        // SAFETY: checked non-NULL when the call started; the table is
        // const and its owner pinned.
        let done = unsafe { (*a.ops).done };
        if let Some(done) = done {
            // SAFETY: the header's contract: `done` gets its structure
            // back, and may free it.
            unsafe { done(self.a, errno(r)) };
        }
    }
}

/// See `include/smb/xprt.h`.
///
/// # Safety
///
/// `x` is a transport the caller holds; `a` is valid as the header says,
/// until its `done` is called.
#[no_mangle]
pub unsafe extern "C" fn smb_xprt_call_async(
    x: *mut bindings::smb_xprt,
    a: *mut bindings::smb_xprt_async,
) -> c_int {
    if a.is_null() {
        return EINVAL.to_errno();
    }
    // SAFETY: the header's contract.
    let (x, ar) = unsafe { (borrow(x), &*a) };
    // SAFETY: `ops` is NULL or a valid, const table.
    let Some(ops) = (unsafe { ar.ops.as_ref() }) else {
        return EINVAL.to_errno();
    };
    if ops.done.is_none() {
        return EINVAL.to_errno();
    }
    // SAFETY: `owner` is NULL or a module.
    let owner = match unsafe { ModuleRef::get(ops.owner) } {
        Ok(o) => o,
        Err(e) => return e.to_errno(),
    };
    let call = &ar.call;
    let params = super::acall::AsyncParams {
        class: if call.flags & bindings::SMB_XPRT_CALL_PRIORITY != 0 {
            ChargeClass::Priority
        } else {
            ChargeClass::Normal
        },
        replayable: call.flags & bindings::SMB_XPRT_CALL_REPLAYABLE != 0,
        seal: call.flags & bindings::SMB_XPRT_CALL_SEAL != 0,
        reply_capacity: call.reply_size,
        timeout_ms: timeout_ms(call.timeout),
        only_on: None,
    };
    let src = KBox::new(
        CSource {
            a,
            send_end: None,
            _owner: owner,
        },
        GFP_KERNEL,
    );
    let x: Arc<Xprt> = x.into();
    errno(
        src.map_err(Error::from)
            .and_then(|s| super::acall::AsyncCall::start(&x, s, params)),
    )
}

/// See `include/smb/xprt.h`.
///
/// # Safety
///
/// `x` is a transport the caller holds; `call` is valid, its `iov` array
/// describes `nr_iov` writable buffers and `reply` is writable for
/// `reply_size` bytes.
#[no_mangle]
pub unsafe extern "C" fn smb_xprt_call(
    x: *mut bindings::smb_xprt,
    call: *mut bindings::smb_xprt_call,
) -> c_int {
    // SAFETY: the header's contract.
    let (x, call) = unsafe { (borrow(x), &mut *call) };
    let mut parts: [&mut [u8]; 7] = Default::default();
    let nr = call.nr_iov as usize;
    // SAFETY: the header's contract: `iov` describes `nr_iov` writable
    // buffers the caller does not touch during the call.
    let slices = unsafe { super::kext::iter::kvec_slices(call.iov, nr, &mut parts) };
    let n = match slices {
        Ok(n) => n,
        Err(e) => return e.to_errno(),
    };
    let class = if call.flags & bindings::SMB_XPRT_CALL_PRIORITY != 0 {
        ChargeClass::Priority
    } else {
        ChargeClass::Normal
    };
    // SAFETY: the header's contract: NULL or a valid kernel-backed
    // iterator over memory valid until we return.
    let send = match unsafe { KernelIter::from_raw_opt(call.send_data, Direction::Source) } {
        Ok(i) => i,
        Err(e) => return e.to_errno(),
    };
    // SAFETY: as above.
    let recv = match unsafe { KernelIter::from_raw_opt(call.recv_data, Direction::Dest) } {
        Ok(i) => i,
        Err(e) => return e.to_errno(),
    };
    let (mut send, mut recv) = (send, recv);
    let replayable = call.flags & bindings::SMB_XPRT_CALL_REPLAYABLE != 0;
    let seal = call.flags & bindings::SMB_XPRT_CALL_SEAL != 0;
    let mut data = CallData {
        send: send.as_mut(),
        recv: recv.as_mut(),
    };
    // SAFETY: the header's contract for `signer`.
    let result = unsafe {
        with_c_signer(call, |sign| {
            x.call(
                &mut parts[..n],
                &mut data,
                class,
                call.reply_size,
                timeout_ms(call.timeout),
                replayable,
                seal,
                sign,
            )
        })
    };
    // The C convention: iterators come back advanced by what was used.
    // SAFETY: each is the caller's iterator the cursor was made from.
    unsafe {
        if let Some(i) = &send {
            i.write_back(call.send_data);
        }
        if let Some(i) = &recv {
            i.write_back(call.recv_data);
        }
    }
    let reply = match result {
        Ok(r) => r,
        Err(e) => return e.to_errno(),
    };
    if reply.len() > call.reply_size {
        return EMSGSIZE.to_errno();
    }
    // SAFETY: the header's contract for `reply`.
    unsafe { core::ptr::copy_nonoverlapping(reply.as_ptr(), call.reply.cast::<u8>(), reply.len()) };
    call.reply_len = reply.len();
    0
}

/// See `include/smb/xprt.h`.
///
/// # Safety
///
/// `x` is a transport the caller holds.
#[no_mangle]
pub unsafe extern "C" fn smb_xprt_echo(x: *mut bindings::smb_xprt, timeout: c_long) -> c_int {
    // SAFETY: the header's contract.
    let x = unsafe { borrow(x) };
    errno(x.echo(timeout_ms(timeout)))
}

/// An upper layer's handler: a C ops table and its context. Its owner
/// module is pinned from registration until the handler is dropped.
pub(crate) struct Handler {
    ops: *const bindings::smb_xprt_handler_ops,
    ctx: *mut c_void,
    _owner: ModuleRef,
}

// SAFETY: the ops table is `'static` and immutable; what `ctx` points to is
// the registrant's, and the header makes the callbacks callable from
// smbiod, one at a time per transport (under `Xprt::handlers`).
unsafe impl Send for Handler {}
// SAFETY: as above; `&Handler` only allows calling the callbacks, which
// the transport serialises.
unsafe impl Sync for Handler {}

impl Handler {
    /// Tells the handler about the connection.
    pub(crate) fn event(&self, ev: XprtEvent, generation: u64) {
        let ev = match ev {
            XprtEvent::Disconnected => bindings::smb_xprt_event_SMB_XPRT_EV_DISCONNECTED,
            XprtEvent::Connected => bindings::smb_xprt_event_SMB_XPRT_EV_CONNECTED,
        };
        // SAFETY: `ops` is valid while registered (the owner is pinned).
        if let Some(f) = unsafe { (*self.ops).event } {
            // SAFETY: the header's contract: process context, no lock of
            // ours held but `handlers`.
            unsafe { f(self.ctx, ev, generation) };
        }
    }

    /// Hands the handler a message; true if it took care of it.
    pub(crate) fn message(&self, kind: MsgKind, frame: &[u8], tree_id: u32) -> bool {
        let kind = match kind {
            MsgKind::Unsolicited => bindings::smb_xprt_msg_kind_SMB_XPRT_MSG_UNSOLICITED,
            MsgKind::OrphanCreate => bindings::smb_xprt_msg_kind_SMB_XPRT_MSG_ORPHAN_CREATE,
        };
        // SAFETY: `ops` is valid while registered (the owner is pinned).
        match unsafe { (*self.ops).message } {
            // SAFETY: `frame` is valid for the call, as the header says.
            Some(f) => unsafe { f(self.ctx, kind, frame.as_ptr().cast(), frame.len(), tree_id) },
            None => false,
        }
    }
}

/// See `include/smb/xprt.h`.
///
/// # Safety
///
/// `x` is a transport the caller holds; `ops` is a `'static` table.
#[no_mangle]
pub unsafe extern "C" fn smb_xprt_register_handler(
    x: *mut bindings::smb_xprt,
    ops: *const bindings::smb_xprt_handler_ops,
    ctx: *mut c_void,
) -> *mut bindings::smb_xprt_handler {
    // SAFETY: the header's contract.
    let x = unsafe { borrow(x) };
    if ops.is_null() {
        return EINVAL.to_ptr();
    }
    // SAFETY: `ops` is valid (the header's contract); its owner is NULL or
    // a live module.
    let owner = match unsafe { ModuleRef::get((*ops).owner) } {
        Ok(o) => o,
        Err(e) => return e.to_ptr(),
    };
    let h = match KBox::new(
        Handler {
            ops,
            ctx,
            _owner: owner,
        },
        GFP_KERNEL,
    ) {
        Ok(h) => h,
        Err(_) => return ENOMEM.to_ptr(),
    };
    match x.register_handler(h) {
        Ok(id) => id as *mut bindings::smb_xprt_handler,
        Err(e) => e.to_ptr(),
    }
}

/// See `include/smb/xprt.h`.
///
/// # Safety
///
/// `x` is a transport the caller holds; `h` came from registering on it.
#[no_mangle]
pub unsafe extern "C" fn smb_xprt_unregister_handler(
    x: *mut bindings::smb_xprt,
    h: *mut bindings::smb_xprt_handler,
) {
    // SAFETY: the header's contract.
    let x = unsafe { borrow(x) };
    if let Some(handler) = x.unregister_handler(h as usize) {
        drop(handler);
    }
}

/// See `include/smb/xprt.h`.
///
/// # Safety
///
/// `x` is a transport the caller holds; `enc` and `dec` are readable for
/// `key_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn smb_xprt_set_session_keys(
    x: *mut bindings::smb_xprt,
    generation: u64,
    session_id: u64,
    enc: *const u8,
    dec: *const u8,
    key_len: usize,
) -> c_int {
    // SAFETY: the header's contract.
    let x = unsafe { borrow(x) };
    if enc.is_null() || dec.is_null() || key_len > super::seal::MAX_KEY_LEN {
        return EINVAL.to_errno();
    }
    // SAFETY: the header's contract: both are readable for `key_len`.
    let (enc, dec) = unsafe {
        (
            core::slice::from_raw_parts(enc, key_len),
            core::slice::from_raw_parts(dec, key_len),
        )
    };
    errno(x.set_session_keys(generation, session_id, enc, dec))
}

/// See `include/smb/xprt.h`.
///
/// # Safety
///
/// `x` is a transport the caller holds.
#[no_mangle]
pub unsafe extern "C" fn smb_xprt_clear_session_keys(
    x: *mut bindings::smb_xprt,
    generation: u64,
    session_id: u64,
) {
    // SAFETY: the header's contract.
    let x = unsafe { borrow(x) };
    x.keyring.lock().clear(generation, session_id);
}

crate::abi_check!(bindings;
    smb_xprt_get, smb_xprt_put, smb_xprt_wait_connected, smb_xprt_negotiated,
    smb_xprt_call, smb_xprt_echo, smb_xprt_register_handler, smb_xprt_unregister_handler,
    smb_xprt_set_session_keys, smb_xprt_clear_session_keys, smb_xprt_call_async,
);
