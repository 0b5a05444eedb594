// SPDX-License-Identifier: GPL-2.0
//! Safe Rust wrapper over the transport's C ABI (`include/smb/xprt.h`), for
//! in-kernel consumers written in Rust (smbclient.ko). Including this file
//! makes a module depend on smbxprt.ko.
//!
//! - [`Transport`]: one reference on a shared transport.
//! - [`XprtCall`]: one request's attempts, driven by its owner `T` through
//!   [`CallOps`] (a `#[vtable]` trait: its table is built with a generic
//!   trampoline per callback, as `rust/kernel/miscdevice.rs` does).
//! - [`HandlerOps`] and [`HandlerReg`]: an upper layer's handler of events
//!   and server-initiated messages, unregistered on drop.

use super::bindings;
use super::kext::abi::jiffies;
use super::kext::iter::KernelIter;
use super::kext::net::addr::SockAddr;
use super::kext::net::ns::Net;
use core::marker::PhantomData;
use core::ptr::NonNull;

/// An SMB2 header's length (MS-SMB2 2.2.1).
const HEADER_LEN: usize = 64;
use kernel::alloc::{flags::GFP_KERNEL, KBox, KVVec};
use kernel::error::{code::*, to_result as check, Error, Result, VTABLE_DEFAULT_ERROR};
use kernel::ffi::c_void;
use kernel::prelude::*;
use kernel::sync::{Arc, ArcBorrow};

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

/// A session's keys for the transport (`struct smb_xprt_session_keys`).
pub type SessionKeys = bindings::smb_xprt_session_keys;

/// One reference on a shared transport (`smb_xprt_get`/`smb_xprt_put`).
pub struct Transport {
    ptr: NonNull<bindings::smb_xprt>,
}

// SAFETY: the transport is internally synchronised; the C ABI may be called
// from any task.
unsafe impl Send for Transport {}
// SAFETY: as above: every entry point takes a shared pointer.
unsafe impl Sync for Transport {}

/// Fills a kvec array with `parts`; `EINVAL` if there are more than it
/// holds.
fn describe(parts: &mut [&mut [u8]], iov: &mut [bindings::kvec]) -> Result<u32> {
    if parts.is_empty() || parts.len() > iov.len() {
        return Err(EINVAL);
    }
    for (v, p) in iov.iter_mut().zip(parts.iter_mut()) {
        v.iov_base = p.as_mut_ptr().cast();
        v.iov_len = p.len();
    }
    Ok(parts.len() as u32)
}

/// The most parts a request may have (`SMB_XPRT_MAX_IOV`).
pub const MAX_PARTS: usize = bindings::SMB_XPRT_MAX_IOV as usize;

/// Credits set aside on a transport (`smb_xprt_reserve`) for requests
/// built later; what no charge took goes back on drop.
pub struct Reserved {
    xprt: Arc<Transport>,
    raw: bindings::smb_xprt_credits,
}

impl Reserved {
    /// Credits still held.
    pub fn credits(&self) -> u16 {
        self.raw.credits
    }

    /// Moves up to `n` credits into a reservation of their own (for one
    /// request), leaving the rest here.
    pub fn split(&mut self, n: u16) -> Reserved {
        let take = n.min(self.raw.credits);
        self.raw.credits -= take;
        Reserved {
            xprt: self.xprt.clone(),
            raw: bindings::smb_xprt_credits {
                generation: self.raw.generation,
                credits: take,
                pad: 0,
            },
        }
    }
}

impl Drop for Reserved {
    fn drop(&mut self) {
        if self.raw.credits != 0 {
            // SAFETY: a live transport (held); the reservation is ours.
            unsafe { bindings::smb_xprt_unreserve(self.xprt.as_ptr(), &mut self.raw) };
        }
    }
}

impl Transport {
    /// Finds or creates the transport for `cfg` in the calling task's
    /// network namespace. Process context.
    pub fn get(cfg: &Config) -> Result<Self> {
        Self::get_in(cfg, None)
    }

    /// As [`Transport::get`], in namespace `net` (`None`: the calling
    /// task's).
    pub fn get_in(cfg: &Config, net: Option<&Net>) -> Result<Self> {
        let raw = cfg.addr.to_raw();
        let c = bindings::smb_xprt_config {
            addr: raw.as_ptr().cast(),
            addrlen: raw.len(),
            net: net.map_or(core::ptr::null_mut(), Net::as_ptr),
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
    /// the reply into `reply`, waiting for it (killable); returns its
    /// length. `flags` are `SMB_XPRT_CALL_*`. The transport does not send
    /// it again after a lost connection (`ECONNRESET`).
    pub fn call(
        &self,
        parts: &mut [&mut [u8]],
        flags: u32,
        reply: &mut [u8],
        timeout_ms: Option<u32>,
    ) -> Result<usize> {
        let mut iov = [bindings::kvec::default(); MAX_PARTS];
        let nr_iov = describe(parts, &mut iov)?;
        let mut call = bindings::smb_xprt_call {
            iov: iov.as_mut_ptr(),
            nr_iov,
            send_data: core::ptr::null_mut(),
            recv_data: core::ptr::null_mut(),
            flags,
            reply: reply.as_mut_ptr().cast(),
            reply_size: reply.len(),
            reply_len: 0,
            timeout: jiffies(timeout_ms),
            ops: core::ptr::null(),
            ctx: core::ptr::null_mut(),
            priv_: core::ptr::null_mut(),
            credits: core::ptr::null_mut(),
        };
        // SAFETY: the kvecs describe `parts`, which stay borrowed (and
        // unused by anyone else) for the call; `reply` is writable for its
        // length; the call waits until the transport is done with all.
        check(unsafe { bindings::smb_xprt_call(self.as_ptr(), &mut call) })?;
        Ok(call.reply_len)
    }

    /// Sets aside up to `want` credits (`smb_xprt_reserve`); the
    /// reservation may hold fewer, or none.
    pub fn reserve(self: &Arc<Self>, want: u16) -> Reserved {
        let mut raw = bindings::smb_xprt_credits::default();
        // SAFETY: a live transport; `raw` is writable.
        unsafe { bindings::smb_xprt_reserve(self.as_ptr(), want, &mut raw) };
        Reserved {
            xprt: self.clone(),
            raw,
        }
    }

    /// Gives the transport a session's keys (`smb_xprt_set_session_keys`).
    pub fn set_session_keys(&self, keys: &SessionKeys) -> Result {
        // SAFETY: we hold a reference; `keys` is valid for the call.
        check(unsafe { bindings::smb_xprt_set_session_keys(self.as_ptr(), keys) })
    }

    /// Makes the transport forget a session's keys.
    pub fn clear_session_keys(&self, generation: u64, session_id: u64, owner: u64) {
        // SAFETY: we hold a reference.
        unsafe {
            bindings::smb_xprt_clear_session_keys(self.as_ptr(), generation, session_id, owner)
        };
    }

    /// One ECHO round trip.
    pub fn echo(&self, timeout_ms: Option<u32>) -> Result {
        // SAFETY: we hold a reference.
        check(unsafe { bindings::smb_xprt_echo(self.as_ptr(), jiffies(timeout_ms)) })
    }

    /// Registers `h` for this transport's events and messages; it is
    /// unregistered when the returned value is dropped.
    pub fn register_handler<H: HandlerOps>(self: &Arc<Self>, h: Arc<H>) -> Result<HandlerReg<H>> {
        let ctx = Arc::into_raw(h).cast_mut();
        // SAFETY: the table is `'static`; `ctx` holds a reference that the
        // registration keeps until it is unregistered.
        let r = kernel::error::from_err_ptr(unsafe {
            bindings::smb_xprt_register_handler(
                self.as_ptr(),
                HandlerVTable::<H>::build(),
                ctx.cast(),
            )
        });
        match r {
            Ok(p) => Ok(HandlerReg {
                xprt: self.clone(),
                handle: p,
                ctx,
            }),
            Err(e) => {
                // SAFETY: not registered: the reference comes back.
                drop(unsafe { Arc::from_raw(ctx) });
                Err(e)
            }
        }
    }
}

impl Drop for Transport {
    fn drop(&mut self) {
        // SAFETY: the reference this value holds is given back once.
        unsafe { bindings::smb_xprt_put(self.as_ptr()) };
    }
}

/// A request's callbacks, implemented by the type that owns its
/// [`XprtCall`] (smbclient's task). The table is built from this trait
/// (`#[vtable]`), one trampoline per callback.
#[vtable]
pub trait CallOps: Send + Sync + Sized + 'static {
    /// Bytes of a reply [`CallOps::split`] needs to see.
    const SPLIT_HEAD: u32 = 0;

    /// The request may go on: charge again, or take the result. On
    /// smbiod, or in any context for a call made with `atomic_wake` (it
    /// may then only wake a task). `this` is a reference of the callback's
    /// own, so that the owner may end the attempt (which drops the one
    /// the attempt held) from within.
    fn wake(this: Arc<Self>);

    /// Where a reply's payload goes, given the reply's first bytes and its
    /// length: (offset, length) within the frame, or `None`. Any context,
    /// softirq included: must not sleep.
    fn split(_this: ArcBorrow<'_, Self>, _head: &[u8], _frame_len: usize) -> Option<(u32, u32)> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// The C tables of a [`CallOps`] type: one whose `wake` runs on smbiod,
/// one whose `wake` may run anywhere.
struct CallVTable<T: CallOps>(PhantomData<T>);

impl<T: CallOps> CallVTable<T> {
    /// # Safety
    ///
    /// Called by smbxprt with a call whose `ctx` holds a reference on a `T`
    /// (set by [`XprtCall`] for the attempt).
    unsafe extern "C" fn wake(call: *mut bindings::smb_xprt_call) {
        // SAFETY: the caller's contract: `ctx` is an `Arc<T>` kept alive
        // while the attempt lasts, which is while the transport may call.
        let this = unsafe { ArcBorrow::<T>::from_raw((*call).ctx.cast::<T>().cast_const()) };
        T::wake(this.into());
    }

    /// # Safety
    ///
    /// As for `wake`; `head` is readable for `len` bytes, the outputs are
    /// writable.
    unsafe extern "C" fn split(
        call: *mut bindings::smb_xprt_call,
        head: *const c_void,
        len: usize,
        frame_len: usize,
        data_off: *mut u32,
        data_len: *mut u32,
    ) -> bool {
        // SAFETY: as for `wake`.
        let this = unsafe { ArcBorrow::<T>::from_raw((*call).ctx.cast::<T>().cast_const()) };
        // SAFETY: the caller's contract for `head`.
        let head = unsafe { core::slice::from_raw_parts(head.cast::<u8>(), len) };
        match T::split(this, head, frame_len) {
            Some((off, n)) => {
                // SAFETY: the caller's contract for the outputs.
                unsafe {
                    *data_off = off;
                    *data_len = n;
                }
                true
            }
            None => false,
        }
    }

    const fn table(flags: u32) -> bindings::smb_xprt_call_ops {
        bindings::smb_xprt_call_ops {
            owner: <T::OwnerModule as kernel::ModuleMetadata>::THIS_MODULE.as_ptr(),
            flags,
            split_head: if T::HAS_SPLIT { T::SPLIT_HEAD } else { 0 },
            split: if T::HAS_SPLIT {
                Some(Self::split)
            } else {
                None
            },
            wake: Some(Self::wake),
        }
    }

    const SMBIOD: bindings::smb_xprt_call_ops = Self::table(0);
    const ATOMIC: bindings::smb_xprt_call_ops = Self::table(bindings::SMB_XPRT_WAKE_ATOMIC);

    fn build(atomic_wake: bool) -> &'static bindings::smb_xprt_call_ops {
        if atomic_wake {
            &Self::ATOMIC
        } else {
            &Self::SMBIOD
        }
    }
}

/// What the transport keeps pointers to while an attempt is out: the C
/// struct, the kvecs (read during charge and send only), and the cursor
/// of the destination iterator.
struct RawCall {
    call: bindings::smb_xprt_call,
    iov: [bindings::kvec; MAX_PARTS],
    recv: Option<KernelIter<'static>>,
}

/// A finished attempt.
pub struct Outcome {
    /// 0 and the reply's length, or the attempt's error.
    pub result: Result<usize>,
    /// The destination iterator, as the receive path left it.
    pub recv: Option<KernelIter<'static>>,
}

/// One request's attempts on a transport (`struct smb_xprt_call`), owned
/// by a `T` that the transport wakes. Each attempt is charged, sent, then
/// finished, or cancelled at any point (also when the value is dropped).
/// The C struct lives in a box of its own, so that the value may move.
pub struct XprtCall<T: CallOps> {
    raw: KBox<RawCall>,
    reply: KVVec<u8>,
    xprt: Arc<Transport>,
    /// The reference `ctx` holds on the owner while an attempt lasts.
    held: Option<*const T>,
    atomic_wake: bool,
}

// SAFETY: the raw pointers are the owner's reference (`held`, an `Arc<T>`
// with `T: Send + Sync`) and pointers into the box; the transport touches
// them only within this value's methods and from the callbacks, which
// only read `ctx`.
unsafe impl<T: CallOps> Send for XprtCall<T> {}
// SAFETY: `&XprtCall` allows only reading the reply.
unsafe impl<T: CallOps> Sync for XprtCall<T> {}

impl<T: CallOps> XprtCall<T> {
    /// A request on `xprt` with room for a `reply_capacity`-byte reply.
    /// `atomic_wake`: `T::wake` may be called in any context (it only
    /// wakes a task). Process context.
    pub fn new(xprt: Arc<Transport>, reply_capacity: usize, atomic_wake: bool) -> Result<Self> {
        let raw = KBox::new(
            RawCall {
                // SAFETY: all-zero is a valid idle `smb_xprt_call` (NULL
                // pointers, no attempt).
                call: unsafe { core::mem::zeroed() },
                iov: [bindings::kvec::default(); MAX_PARTS],
                recv: None,
            },
            GFP_KERNEL,
        )?;
        Ok(Self {
            raw,
            reply: KVVec::from_elem(0u8, reply_capacity, GFP_KERNEL)?,
            xprt,
            held: None,
            atomic_wake,
        })
    }

    /// The transport it goes through.
    pub fn transport(&self) -> &Arc<Transport> {
        &self.xprt
    }

    /// Makes room for a `len`-byte reply (between attempts).
    pub fn set_reply_capacity(&mut self, len: usize) -> Result {
        if self.attempt_active() {
            return Err(EBUSY);
        }
        if self.reply.len() < len {
            self.reply.resize(len, 0, GFP_KERNEL)?;
        }
        Ok(())
    }

    /// The reply of the last attempt that finished with one.
    pub fn reply(&self) -> &[u8] {
        let n = self.raw.call.reply_len.min(self.reply.len());
        self.reply.get(..n).unwrap_or(&[])
    }

    /// Takes the reply of the last attempt out (empty while an attempt
    /// is on); the next attempt needs [`Self::set_reply_capacity`].
    pub fn take_reply(&mut self) -> KVVec<u8> {
        if self.attempt_active() {
            return KVVec::new();
        }
        let n = self.raw.call.reply_len.min(self.reply.len());
        self.raw.call.reply_len = 0;
        let mut v = core::mem::take(&mut self.reply);
        v.truncate(n);
        v
    }

    fn attempt_active(&self) -> bool {
        !self.raw.call.priv_.is_null()
    }

    /// After a transport call: if the attempt ended, the owner's
    /// reference goes.
    fn settle(&mut self) {
        if !self.attempt_active() {
            if let Some(p) = self.held.take() {
                // SAFETY: `p` came from `Arc::into_raw` in `charge` and the
                // transport calls no callback of the ended attempt.
                drop(unsafe { Arc::from_raw(p) });
                self.raw.call.ctx = core::ptr::null_mut();
            }
        }
    }

    /// Takes credits and MessageIds for `parts` (`SMB_XPRT_CALL_*`
    /// `flags`): `Ok(true)` charged; `Ok(false)`: wait for `T::wake`, then
    /// charge again. Starts an attempt if none is on (its owner `owner`).
    /// Process context.
    pub fn charge(
        &mut self,
        owner: &Arc<T>,
        parts: &mut [&mut [u8]],
        flags: u32,
        reserved: Option<&mut Reserved>,
    ) -> Result<bool> {
        // First what can fail without the transport: an attempt begun
        // below holds a reference on the owner until it ends.
        let nr_iov = describe(parts, &mut self.raw.iov)?;
        if !self.attempt_active() {
            let p = Arc::into_raw(owner.clone());
            self.held = Some(p);
            let r = &mut *self.raw;
            r.call.ctx = p.cast_mut().cast();
            r.call.flags = flags;
            r.call.ops = CallVTable::<T>::build(self.atomic_wake);
            r.call.reply = self.reply.as_mut_ptr().cast();
            r.call.reply_size = self.reply.len();
            r.call.reply_len = 0;
            r.call.send_data = core::ptr::null_mut();
            r.call.recv_data = core::ptr::null_mut();
        }
        let r = &mut *self.raw;
        r.call.nr_iov = nr_iov;
        r.call.iov = r.iov.as_mut_ptr();
        // Credits reserved on this transport go first.
        r.call.credits = match reserved {
            Some(res) if res.xprt.as_ptr() == self.xprt.as_ptr() => &mut res.raw,
            _ => core::ptr::null_mut(),
        };
        // SAFETY: the call struct is valid and ours; the kvecs describe
        // `parts`, borrowed for this call (the transport reads them only
        // here), as is the reservation; `reply` is ours for as long as the
        // attempt lasts.
        let rc = unsafe { bindings::smb_xprt_charge(self.xprt.as_ptr(), &mut r.call) };
        r.call.credits = core::ptr::null_mut();
        self.settle();
        match rc {
            0 => Ok(true),
            e if e == EAGAIN.to_errno() => Ok(false),
            e => Err(Error::from_errno(e)),
        }
    }

    /// Sends the charged request: `parts`, `send` after them, and `recv`
    /// for a split reply's payload, held until the attempt ends. `T::wake`
    /// says when its result is there. On failure nothing went out, the
    /// attempt has ended, and `recv` comes back with the error.
    /// Process context.
    pub fn send(
        &mut self,
        parts: &mut [&mut [u8]],
        send: Option<&mut KernelIter<'_>>,
        recv: Option<KernelIter<'static>>,
    ) -> core::result::Result<(), (Error, Option<KernelIter<'static>>)> {
        let r = &mut *self.raw;
        r.call.nr_iov = match describe(parts, &mut r.iov) {
            Ok(n) => n,
            Err(e) => return Err((e, recv)),
        };
        r.call.iov = r.iov.as_mut_ptr();
        r.recv = recv;
        r.call.recv_data = r
            .recv
            .as_mut()
            .map_or(core::ptr::null_mut(), |i| i.as_raw());
        r.call.send_data = match send {
            Some(s) => s.as_raw(),
            None => core::ptr::null_mut(),
        };
        // SAFETY: as in `charge`; `send` is borrowed for this call (the
        // payload goes out within it), `recv` lives in the box until the
        // attempt ends.
        let rc = unsafe { bindings::smb_xprt_send(self.xprt.as_ptr(), &mut r.call) };
        r.call.send_data = core::ptr::null_mut();
        self.settle();
        if rc < 0 {
            self.raw.call.recv_data = core::ptr::null_mut();
            return Err((Error::from_errno(rc), self.raw.recv.take()));
        }
        Ok(())
    }

    /// The result of an attempt that is over (`EINPROGRESS` if it is not:
    /// wait for `T::wake`). Process context.
    pub fn finish(&mut self) -> Result<Outcome> {
        if !self.attempt_active() {
            return Err(EINVAL);
        }
        let r = &mut *self.raw;
        // SAFETY: the call struct is valid and ours.
        let rc = unsafe { bindings::smb_xprt_finish(self.xprt.as_ptr(), &mut r.call) };
        if rc == EINPROGRESS.to_errno() && self.attempt_active() {
            return Err(EINPROGRESS);
        }
        let recv = self.raw.recv.take();
        self.raw.call.recv_data = core::ptr::null_mut();
        self.settle();
        let result = if rc < 0 {
            Err(Error::from_errno(rc))
        } else {
            Ok(self.raw.call.reply_len)
        };
        Ok(Outcome { result, recv })
    }

    /// Gives up on the attempt (see `smb_xprt_cancel`); returns the
    /// destination iterator. A no-op without one. Process context.
    pub fn cancel(&mut self) -> Option<KernelIter<'static>> {
        if !self.attempt_active() {
            return None;
        }
        // SAFETY: the call struct is valid and ours.
        unsafe { bindings::smb_xprt_cancel(self.xprt.as_ptr(), &mut self.raw.call) };
        let recv = self.raw.recv.take();
        self.raw.call.recv_data = core::ptr::null_mut();
        self.settle();
        recv
    }
}

impl<T: CallOps> Drop for XprtCall<T> {
    fn drop(&mut self) {
        let _ = self.cancel();
    }
}

/// An upper layer's handler of a transport's events and server-initiated
/// messages (`struct smb_xprt_handler_ops`, built from this `#[vtable]`
/// trait). Called on smbiod, one at a time per transport; must not wait
/// for a reply.
#[vtable]
pub trait HandlerOps: Send + Sync + Sized + 'static {
    /// The connection was lost (`SMB_XPRT_EV_DISCONNECTED`) or is there
    /// (`SMB_XPRT_EV_CONNECTED`), with its generation.
    fn event(_this: ArcBorrow<'_, Self>, _ev: u32, _generation: u64) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// A message (`SMB_XPRT_MSG_*`); true if taken care of. `request`: a
    /// late reply's request header (64 bytes), else empty.
    fn message(_this: ArcBorrow<'_, Self>, _kind: u32, _frame: &[u8], _request: &[u8]) -> bool {
        build_error!(VTABLE_DEFAULT_ERROR)
    }
}

struct HandlerVTable<H: HandlerOps>(PhantomData<H>);

impl<H: HandlerOps> HandlerVTable<H> {
    /// # Safety
    ///
    /// Called by smbxprt with the context a [`HandlerReg`] registered (a
    /// reference on an `H`, held until unregistered).
    unsafe extern "C" fn event(ctx: *mut c_void, ev: bindings::smb_xprt_event, generation: u64) {
        // SAFETY: the caller's contract.
        let this = unsafe { ArcBorrow::<H>::from_raw(ctx.cast::<H>().cast_const()) };
        H::event(this, ev, generation);
    }

    /// # Safety
    ///
    /// As for `event`; `frame` is readable for `len` bytes, `request`
    /// (if not NULL) for 64.
    unsafe extern "C" fn message(
        ctx: *mut c_void,
        kind: bindings::smb_xprt_msg_kind,
        frame: *const c_void,
        len: usize,
        request: *const c_void,
    ) -> bool {
        if frame.is_null() {
            return false;
        }
        // SAFETY: the caller's contract.
        let this = unsafe { ArcBorrow::<H>::from_raw(ctx.cast::<H>().cast_const()) };
        // SAFETY: the caller's contract for `frame`.
        let frame = unsafe { core::slice::from_raw_parts(frame.cast::<u8>(), len) };
        let request = if request.is_null() {
            &[][..]
        } else {
            // SAFETY: the header's contract: a non-NULL `request` is a
            // 64-byte header, valid for the call.
            unsafe { core::slice::from_raw_parts(request.cast::<u8>(), HEADER_LEN) }
        };
        H::message(this, kind, frame, request)
    }

    const TABLE: bindings::smb_xprt_handler_ops = bindings::smb_xprt_handler_ops {
        owner: <H::OwnerModule as kernel::ModuleMetadata>::THIS_MODULE.as_ptr(),
        event: if H::HAS_EVENT {
            Some(Self::event)
        } else {
            None
        },
        message: if H::HAS_MESSAGE {
            Some(Self::message)
        } else {
            None
        },
    };

    fn build() -> &'static bindings::smb_xprt_handler_ops {
        &Self::TABLE
    }
}

/// A registered handler; dropping it unregisters it (waiting for a
/// callback in progress) and lets its reference go.
pub struct HandlerReg<H: HandlerOps> {
    xprt: Arc<Transport>,
    handle: *mut bindings::smb_xprt_handler,
    ctx: *mut H,
}

// SAFETY: the handle and context are only used to unregister, from any
// task; `H` is `Send + Sync`.
unsafe impl<H: HandlerOps> Send for HandlerReg<H> {}
// SAFETY: `&HandlerReg` allows nothing.
unsafe impl<H: HandlerOps> Sync for HandlerReg<H> {}

impl<H: HandlerOps> Drop for HandlerReg<H> {
    fn drop(&mut self) {
        // SAFETY: `handle` came from registering on this transport, once;
        // no callback runs after this returns.
        unsafe { bindings::smb_xprt_unregister_handler(self.xprt.as_ptr(), self.handle) };
        // SAFETY: the reference `register_handler` made comes back.
        drop(unsafe { Arc::from_raw(self.ctx.cast_const()) });
    }
}
