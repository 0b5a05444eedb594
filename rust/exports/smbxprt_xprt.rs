// SPDX-License-Identifier: GPL-2.0
//! The C ABI of `include/smb/xprt.h`, defined by smbxprt.ko over its
//! modules and exported in the "SMB" namespace by `smbxprt/exports.c`.
//! Only smbxprt includes this file. It converts pointers and errors and
//! holds no state of its own (Documentation/abi.rst).
//!
//! A `struct smb_xprt *` handed to C is an `Arc<Xprt>` turned into a raw
//! pointer by `smb_xprt_get` and given back by `smb_xprt_put`. A request
//! attempt's `priv` is an `Arc<Rqst>` turned into a raw pointer by the
//! first `smb_xprt_charge` and given back when the attempt ends.

use super::bindings;
use super::call::Finished;
use super::kext::abi::{errno, timeout_ms};
use super::kext::iter::{kvec_slices, Direction, KernelIter};
use super::kext::module::ModuleRef;
use super::kext::net::addr::SockAddr;
use super::kext::net::ns::Net;
use super::keys::NewKeys;
use super::negotiate::valid_range;
use super::notify::{Handler, MsgKind, XprtEvent};
use super::proto::credits::{ChargeClass, Reservation};
use super::rqst::{CallOwner, CallParams, Rqst};
use super::send::{pdu_layout, MAX_PARTS};

use super::xprt::{RecvMode, Xprt, XprtKey};
use super::{Globals, GLOBALS};
use kernel::alloc::{flags::GFP_KERNEL, KBox};
use kernel::error::{code::*, Result};
use kernel::ffi::{c_int, c_long, c_uint, c_void};
use kernel::sync::{Arc, ArcBorrow};

// The transport's limit is the header's.
const _: () = assert!(MAX_PARTS == bindings::SMB_XPRT_MAX_IOV as usize);

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
    if cfg.is_null() {
        return EINVAL.to_ptr();
    }
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
    errno(x.wait_connected(timeout_ms(timeout)))
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

/// How a request with these `SMB_XPRT_CALL_*` flags is sent.
fn params_of(flags: u32, reply_size: usize) -> Result<CallParams> {
    let known = bindings::SMB_XPRT_CALL_PRIORITY
        | bindings::SMB_XPRT_CALL_SEAL
        | bindings::SMB_XPRT_CALL_SIGN;
    if flags & !known != 0 {
        return Err(EINVAL);
    }
    Ok(CallParams {
        class: if flags & bindings::SMB_XPRT_CALL_PRIORITY != 0 {
            ChargeClass::Priority
        } else {
            ChargeClass::Normal
        },
        seal: flags & bindings::SMB_XPRT_CALL_SEAL != 0,
        sign: flags & bindings::SMB_XPRT_CALL_SIGN != 0,
        reply_capacity: reply_size,
        only_on: None,
    })
}

/// A C caller's request, as the owner the transport wakes.
struct CCall {
    call: *mut bindings::smb_xprt_call,
    ops: *const bindings::smb_xprt_call_ops,
    /// The ops' owner, pinned while the request may call them.
    _owner: ModuleRef,
}

// SAFETY: the caller's struct and table are valid until the attempt is
// finished or cancelled, and the transport calls the owner only until then
// (`Rqst::drop_owner`); the header makes the callbacks callable from the
// contexts the transport uses.
unsafe impl Send for CCall {}
// SAFETY: as above; the callbacks take the struct by pointer.
unsafe impl Sync for CCall {}

impl CallOwner for CCall {
    fn wakes_atomically(&self) -> bool {
        // SAFETY: the table is valid while the owner lives (see above).
        unsafe { (*self.ops).flags & bindings::SMB_XPRT_WAKE_ATOMIC != 0 }
    }

    fn wake(&self) {
        // SAFETY: as above; `wake` was checked non-NULL when the owner was
        // made.
        if let Some(f) = unsafe { (*self.ops).wake } {
            // SAFETY: the header's contract for `wake`.
            unsafe { f(self.call) };
        }
    }

    fn split_head(&self) -> usize {
        // SAFETY: as above.
        let ops = unsafe { &*self.ops };
        if ops.split.is_some() {
            ops.split_head as usize
        } else {
            0
        }
    }

    fn split(&self, head: &[u8], frame_len: usize) -> Option<(usize, usize)> {
        // SAFETY: as above.
        let f = unsafe { (*self.ops).split }?;
        let (mut off, mut len) = (0u32, 0u32);
        // SAFETY: `head` is readable for its length during the call; the
        // outputs are writable; the header says `split` may run here.
        let yes = unsafe {
            f(
                self.call,
                head.as_ptr().cast(),
                head.len(),
                frame_len,
                &mut off,
                &mut len,
            )
        };
        yes.then_some((off as usize, len as usize))
    }
}

/// The attempt `call` is on, if one is (`priv`).
///
/// # Safety
///
/// `call` is valid; its `priv` is NULL or came from `Arc::into_raw` here.
unsafe fn attempt<'a>(call: &bindings::smb_xprt_call) -> Option<ArcBorrow<'a, Rqst>> {
    let p = call.priv_.cast::<Rqst>().cast_const();
    // SAFETY: the caller's contract: a reference is held in `priv`.
    (!p.is_null()).then(|| unsafe { ArcBorrow::from_raw(p) })
}

/// Ends the attempt: `priv`'s reference is dropped and the struct idle.
///
/// # Safety
///
/// As for [`attempt`].
unsafe fn end_attempt(call: &mut bindings::smb_xprt_call) {
    let p = core::mem::replace(&mut call.priv_, core::ptr::null_mut());
    if !p.is_null() {
        // SAFETY: `priv` held the reference `Arc::into_raw` made.
        drop(unsafe { Arc::from_raw(p.cast::<Rqst>().cast_const()) });
    }
}

/// The request's parts, as slices over the caller's kvecs.
///
/// # Safety
///
/// `call.iov` describes `nr_iov` writable buffers the caller does not touch
/// while the slices live.
unsafe fn parts_of<'a>(
    call: &bindings::smb_xprt_call,
    out: &mut [&'a mut [u8]; MAX_PARTS],
) -> Result<usize> {
    // SAFETY: the caller's contract.
    unsafe { kvec_slices(call.iov, call.nr_iov as usize, out) }
}

/// See `include/smb/xprt.h`.
///
/// # Safety
///
/// `x` is a transport the caller holds; `call` is valid as the header says.
#[no_mangle]
pub unsafe extern "C" fn smb_xprt_charge(
    x: *mut bindings::smb_xprt,
    call: *mut bindings::smb_xprt_call,
) -> c_int {
    if call.is_null() {
        return EINVAL.to_errno();
    }
    // SAFETY: the header's contract.
    let (x, c) = unsafe { (borrow(x), &mut *call) };
    let mut parts: [&mut [u8]; MAX_PARTS] = Default::default();
    // SAFETY: the header's contract for the kvecs.
    let count = match unsafe { parts_of(c, &mut parts) }.and_then(|n| pdu_layout(&parts[..n])) {
        Ok((_, count)) => count,
        Err(e) => return e.to_errno(),
    };
    // SAFETY: `priv` is the transport's (the header's contract).
    let rqst = match unsafe { attempt(c) } {
        Some(r) => Arc::<Rqst>::from(r),
        None => {
            let made = (|| -> Result<Arc<Rqst>> {
                // SAFETY: `ops` is NULL or a valid `'static` table.
                let ops = unsafe { c.ops.as_ref() }.ok_or(EINVAL)?;
                ops.wake.ok_or(EINVAL)?;
                // SAFETY: `owner` is NULL or a live module.
                let owner = unsafe { ModuleRef::get(ops.owner) }?;
                let params = params_of(c.flags, c.reply_size)?;
                let owner: Arc<dyn CallOwner> = Arc::new(
                    CCall {
                        call,
                        ops: c.ops,
                        _owner: owner,
                    },
                    GFP_KERNEL,
                )?;
                let x: Arc<Xprt> = x.into();
                Rqst::new(&x, owner, params)
            })();
            match made {
                Ok(r) => {
                    c.priv_ = Arc::into_raw(r.clone()).cast_mut().cast();
                    r
                }
                Err(e) => return e.to_errno(),
            }
        }
    };
    // The caller's reservation, as the codec counts it, and back.
    let mut reserved = (!c.credits.is_null()).then(|| {
        // SAFETY: a non-NULL `credits` is valid for the call (the header's
        // contract).
        let r = unsafe { &*c.credits };
        Reservation {
            credits: r.credits,
            generation: r.generation,
        }
    });
    let charged = rqst.charge(count, reserved.as_mut());
    if let Some(r) = reserved {
        // SAFETY: as above.
        unsafe { (*c.credits).credits = r.credits };
    }
    match charged {
        Ok(true) => 0,
        Ok(false) => EAGAIN.to_errno(),
        Err(e) => {
            if rqst.is_idle() {
                drop(rqst.cancel());
                // SAFETY: as above.
                unsafe { end_attempt(c) };
            }
            e.to_errno()
        }
    }
}

/// See `include/smb/xprt.h`.
///
/// # Safety
///
/// `x` is a live transport; `res` writable.
#[no_mangle]
pub unsafe extern "C" fn smb_xprt_reserve(
    x: *mut bindings::smb_xprt,
    want: u16,
    res: *mut bindings::smb_xprt_credits,
) -> c_uint {
    if res.is_null() {
        return 0;
    }
    // SAFETY: the header's contract.
    let x = unsafe { borrow(x) };
    let r = x.reserve(want);
    // SAFETY: the header's contract.
    unsafe {
        res.write(bindings::smb_xprt_credits {
            generation: r.generation,
            credits: r.credits,
            pad: 0,
        })
    };
    c_uint::from(r.credits)
}

/// See `include/smb/xprt.h`.
///
/// # Safety
///
/// `x` is a live transport; `res` valid.
#[no_mangle]
pub unsafe extern "C" fn smb_xprt_unreserve(
    x: *mut bindings::smb_xprt,
    res: *mut bindings::smb_xprt_credits,
) {
    if res.is_null() {
        return;
    }
    // SAFETY: the header's contract.
    let (x, r) = unsafe { (borrow(x), &mut *res) };
    let mut held = Reservation {
        credits: r.credits,
        generation: r.generation,
    };
    x.unreserve(&mut held);
    r.credits = 0;
}

/// See `include/smb/xprt.h`.
///
/// # Safety
///
/// `x` is a transport the caller holds; `call` is valid as the header says
/// and charged.
#[no_mangle]
pub unsafe extern "C" fn smb_xprt_send(
    x: *mut bindings::smb_xprt,
    call: *mut bindings::smb_xprt_call,
) -> c_int {
    if call.is_null() {
        return EINVAL.to_errno();
    }
    // SAFETY: the header's contract.
    let (_x, c) = unsafe { (borrow(x), &mut *call) };
    // SAFETY: `priv` is the transport's.
    let Some(rqst) = (unsafe { attempt(c) }) else {
        return EINVAL.to_errno();
    };
    let rqst: Arc<Rqst> = rqst.into();
    let r = (|| -> Result {
        let mut parts: [&mut [u8]; MAX_PARTS] = Default::default();
        // SAFETY: the header's contract for the kvecs.
        let n = unsafe { parts_of(c, &mut parts) }?;
        // SAFETY: NULL or a kernel-backed iterator over memory valid
        // until the attempt ends (the header's contract).
        let mut send = unsafe { KernelIter::from_raw_opt(c.send_data, Direction::Source) }?;
        // SAFETY: as above; `'static` stands for "until the attempt
        // ends", when the transport has given the cursor back.
        let recv = unsafe { KernelIter::<'static>::from_raw_opt(c.recv_data, Direction::Dest) }?;
        let recv = recv.map(|i| KBox::new(i, GFP_KERNEL)).transpose()?;
        rqst.send(&mut parts[..n], send.as_mut(), recv)?;
        if let Some(i) = &send {
            // SAFETY: the cursor was made from the caller's iterator.
            unsafe { i.write_back(c.send_data) };
        }
        Ok(())
    })();
    if let Err(e) = r {
        drop(rqst.cancel());
        // SAFETY: `priv` is the transport's.
        unsafe { end_attempt(c) };
        return e.to_errno();
    }
    0
}

/// Hands a finished attempt's result to the caller's struct.
///
/// # Safety
///
/// `c` is the caller's valid struct; its `reply` is writable for
/// `reply_size` bytes.
unsafe fn deliver(c: &mut bindings::smb_xprt_call, f: Finished) -> c_int {
    if let Some(i) = &f.recv {
        // SAFETY: the cursor was made from the caller's iterator.
        unsafe { i.write_back(c.recv_data) };
    }
    let r = f.result.and_then(|()| {
        if f.reply.len() > c.reply_size {
            return Err(EMSGSIZE);
        }
        // SAFETY: the header's contract for `reply`.
        unsafe {
            core::ptr::copy_nonoverlapping(f.reply.as_ptr(), c.reply.cast::<u8>(), f.reply.len())
        };
        c.reply_len = f.reply.len();
        Ok(())
    });
    errno(r)
}

/// See `include/smb/xprt.h`.
///
/// # Safety
///
/// `x` is a transport the caller holds; `call` is valid as the header says.
#[no_mangle]
pub unsafe extern "C" fn smb_xprt_finish(
    x: *mut bindings::smb_xprt,
    call: *mut bindings::smb_xprt_call,
) -> c_int {
    if call.is_null() {
        return EINVAL.to_errno();
    }
    // SAFETY: the header's contract.
    let (_x, c) = unsafe { (borrow(x), &mut *call) };
    // SAFETY: `priv` is the transport's.
    let Some(rqst) = (unsafe { attempt(c) }) else {
        return EINVAL.to_errno();
    };
    let rqst: Arc<Rqst> = rqst.into();
    let f = match rqst.finish() {
        Ok(f) => f,
        Err(e) => return e.to_errno(),
    };
    // SAFETY: `priv` is the transport's; the caller's struct is valid.
    unsafe {
        end_attempt(c);
        deliver(c, f)
    }
}

/// See `include/smb/xprt.h`.
///
/// # Safety
///
/// `x` is a transport the caller holds; `call` is valid as the header says.
#[no_mangle]
pub unsafe extern "C" fn smb_xprt_cancel(
    x: *mut bindings::smb_xprt,
    call: *mut bindings::smb_xprt_call,
) {
    if call.is_null() {
        return;
    }
    // SAFETY: the header's contract.
    let (_x, c) = unsafe { (borrow(x), &mut *call) };
    // SAFETY: `priv` is the transport's.
    let Some(rqst) = (unsafe { attempt(c) }) else {
        return;
    };
    if let Some(i) = Arc::<Rqst>::from(rqst).cancel_ordered() {
        // SAFETY: the cursor was made from the caller's iterator.
        unsafe { i.write_back(c.recv_data) };
    }
    // SAFETY: `priv` is the transport's.
    unsafe { end_attempt(c) };
}

/// See `include/smb/xprt.h`.
///
/// # Safety
///
/// `x` is a transport the caller holds; `call` is valid as the header says.
#[no_mangle]
pub unsafe extern "C" fn smb_xprt_call(
    x: *mut bindings::smb_xprt,
    call: *mut bindings::smb_xprt_call,
) -> c_int {
    if call.is_null() {
        return EINVAL.to_errno();
    }
    // SAFETY: the header's contract.
    let (x, c) = unsafe { (borrow(x), &mut *call) };
    if !c.ops.is_null() || !c.priv_.is_null() {
        return EINVAL.to_errno();
    }
    let x: Arc<Xprt> = x.into();
    let r = (|| -> Result<Finished> {
        let params = params_of(c.flags, c.reply_size)?;
        let mut parts: [&mut [u8]; MAX_PARTS] = Default::default();
        // SAFETY: the header's contract for the kvecs.
        let n = unsafe { parts_of(c, &mut parts) }?;
        // SAFETY: NULL or a kernel-backed iterator over memory valid until
        // we return.
        let mut send = unsafe { KernelIter::from_raw_opt(c.send_data, Direction::Source) }?;
        // SAFETY: as above; the transport gives the cursor back before
        // `call_sync` returns.
        let recv = unsafe { KernelIter::<'static>::from_raw_opt(c.recv_data, Direction::Dest) }?;
        let recv = recv.map(|i| KBox::new(i, GFP_KERNEL)).transpose()?;
        let (r, recv) = x.call_sync(
            &mut parts[..n],
            send.as_mut(),
            recv,
            params,
            timeout_ms(c.timeout),
        );
        if let Some(i) = &send {
            // SAFETY: the cursor was made from the caller's iterator.
            unsafe { i.write_back(c.send_data) };
        }
        Ok(Finished {
            result: r.as_ref().map(|_| ()).map_err(|e| *e),
            reply: r.unwrap_or_default(),
            recv,
        })
    })();
    match r {
        // SAFETY: the caller's struct is valid; `reply` writable.
        Ok(f) => unsafe { deliver(c, f) },
        Err(e) => e.to_errno(),
    }
}

/// See `include/smb/xprt.h`.
///
/// # Safety
///
/// `x` is a transport the caller holds.
#[no_mangle]
pub unsafe extern "C" fn smb_xprt_echo(x: *mut bindings::smb_xprt, timeout: c_long) -> c_int {
    // SAFETY: the header's contract.
    let x: Arc<Xprt> = unsafe { borrow(x) }.into();
    errno(x.echo(timeout_ms(timeout)))
}

/// An upper layer's handler: a C ops table and its context. Its owner
/// module is pinned from registration until the handler is dropped.
struct CHandler {
    ops: *const bindings::smb_xprt_handler_ops,
    ctx: *mut c_void,
    _owner: ModuleRef,
}

// SAFETY: the ops table is `'static` and immutable; what `ctx` points to is
// the registrant's, and the header makes the callbacks callable from
// smbiod, one at a time per transport (under `Xprt::handlers`).
unsafe impl Send for CHandler {}
// SAFETY: as above; `&CHandler` only allows calling the callbacks, which
// the transport serialises.
unsafe impl Sync for CHandler {}

impl Handler for CHandler {
    fn event(&self, ev: XprtEvent, generation: u64) {
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

    fn message(&self, kind: MsgKind, frame: &[u8], request: &[u8]) -> bool {
        let kind = match kind {
            MsgKind::Unsolicited => bindings::smb_xprt_msg_kind_SMB_XPRT_MSG_UNSOLICITED,
            MsgKind::LateReply => bindings::smb_xprt_msg_kind_SMB_XPRT_MSG_LATE_REPLY,
        };
        // SAFETY: `ops` is valid while registered (the owner is pinned).
        match unsafe { (*self.ops).message } {
            // SAFETY: `frame` is valid for the call, as the header says.
            // `request` is empty or a whole header.
            Some(f) => unsafe {
                f(
                    self.ctx,
                    kind,
                    frame.as_ptr().cast(),
                    frame.len(),
                    if request.is_empty() {
                        core::ptr::null()
                    } else {
                        request.as_ptr().cast()
                    },
                )
            },
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
    let h: KBox<dyn Handler> = match KBox::new(
        CHandler {
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
    drop(x.unregister_handler(h as usize));
}

/// See `include/smb/xprt.h`.
///
/// # Safety
///
/// `x` is a transport the caller holds; `keys` is valid.
#[no_mangle]
pub unsafe extern "C" fn smb_xprt_set_session_keys(
    x: *mut bindings::smb_xprt,
    keys: *const bindings::smb_xprt_session_keys,
) -> c_int {
    if keys.is_null() {
        return EINVAL.to_errno();
    }
    // SAFETY: the header's contract.
    let (x, k) = unsafe { (borrow(x), &*keys) };
    let key_len = k.key_len as usize;
    let (Some(enc), Some(dec)) = (k.enc.get(..key_len), k.dec.get(..key_len)) else {
        return EINVAL.to_errno();
    };
    let new = NewKeys {
        signing: (k.signing_algorithm != bindings::SMB_XPRT_SIGN_NONE as u16)
            .then_some((k.signing_algorithm, &k.signing_key)),
        cipher_id: k.cipher,
        enc,
        dec,
    };
    errno(x.set_session_keys(k.generation, k.session_id, k.owner, &new))
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
    owner: u64,
) {
    // SAFETY: the header's contract.
    let x = unsafe { borrow(x) };
    x.keyring.lock().clear(generation, session_id, owner);
}

crate::abi_check!(bindings;
    smb_xprt_get, smb_xprt_put, smb_xprt_wait_connected, smb_xprt_negotiated,
    smb_xprt_charge, smb_xprt_reserve, smb_xprt_unreserve, smb_xprt_send, smb_xprt_finish,
    smb_xprt_cancel, smb_xprt_call,
    smb_xprt_echo, smb_xprt_register_handler, smb_xprt_unregister_handler,
    smb_xprt_set_session_keys, smb_xprt_clear_session_keys,
);
