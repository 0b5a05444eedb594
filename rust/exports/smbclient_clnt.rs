// SPDX-License-Identifier: GPL-2.0
//! The C ABI of `include/smb/clnt.h`, defined by smbclient.ko over its
//! `clnt` and `session` modules and exported in the "SMB" namespace by
//! `smbclient/exports.c`. Only smbclient includes this file.
//!
//! A `struct smb_clnt *` handed to C is a `KBox<Clnt>` turned into a raw
//! pointer by `smb_clnt_create` and given back by `smb_clnt_release`.

use super::bindings;
use super::clnt::{Clnt, ClntArgs, SessionEntry};
use super::kext::abi::{errno, timeout_ms};
use super::kext::iter::{Direction, KernelIter};
use super::kext::module::ModuleRef;
use super::kext::net::addr::SockAddr;
use super::ops::FileInfo;
use super::session::{Credentials, Secret, Session};
use super::smb_xprt::{Config, Signer, Transport};
use super::task::{emit_headers, request_parts, split_reply, Op, Phase, MAX_OPS};
use super::SESSIONS;
use core::sync::atomic::{AtomicU32, Ordering};
use kernel::alloc::{flags::GFP_KERNEL, KBox, KVec};
use kernel::error::Result;
use kernel::ffi::{c_char, c_int, c_long, c_uint, c_void};
use kernel::prelude::*;
use kernel::sync::{Arc, ArcBorrow, SpinLock};
use kernel::workqueue::{impl_has_work, new_work, Work, WorkItem};

/// Signs a request for the session `ctx` (a `*const Session`).
///
/// # Safety
///
/// Called by smbxprt as the header says: `ctx` is the session the signer
/// was made for, alive for the call; `iov` describes `nr` writable buffers.
unsafe extern "C" fn session_sign(
    ctx: *mut c_void,
    iov: *mut bindings::kvec,
    nr: c_uint,
    data: *mut bindings::iov_iter,
) -> c_int {
    let mut parts: [&mut [u8]; 8] = Default::default();
    // SAFETY: the caller's contract: `iov` describes `nr` writable buffers.
    let n = match unsafe { super::kext::iter::kvec_slices(iov, nr as usize, &mut parts) } {
        Ok(n) => n,
        Err(e) => return e.to_errno(),
    };
    // SAFETY: the caller's contract for `ctx`.
    let session = unsafe { &*ctx.cast::<Session>().cast_const() };
    // SAFETY: the caller's contract: NULL or a copy of the call's
    // kernel-backed payload cursor, the signer's to advance, valid for the
    // call.
    match unsafe { KernelIter::from_raw_opt(data, Direction::Source) } {
        Ok(data) => errno(session.sign(&mut parts[..n], data)),
        Err(e) => e.to_errno(),
    }
}

/// The signer table, shareable between threads.
struct SignerTable(bindings::smb_xprt_signer);

// SAFETY: the table is immutable; its NULL owner and function pointer may
// be read from any thread.
unsafe impl Sync for SignerTable {}

static SESSION_SIGNER: SignerTable = SignerTable(bindings::smb_xprt_signer {
    // smbclient's own code: a module using a session holds smbclient.
    owner: core::ptr::null_mut(),
    sign: Some(session_sign),
});

/// The signer for `session`.
fn signer_for(session: &Session) -> Signer {
    // SAFETY: the table is static; the session outlives every call made
    // with this signer (it is used only while the caller holds it).
    unsafe {
        Signer::new(
            &SESSION_SIGNER.0,
            core::ptr::from_ref(session).cast_mut().cast(),
        )
    }
}

/// Transport events for a session: a new connection queues its
/// re-authentication.
///
/// # Safety
///
/// Called by smbxprt as the header says; `ctx` is the `SessionEntry` the
/// handler was registered for, alive until it is unregistered.
unsafe extern "C" fn session_event(
    ctx: *mut c_void,
    ev: bindings::smb_xprt_event,
    generation: u64,
) {
    if ev != bindings::smb_xprt_event_SMB_XPRT_EV_CONNECTED {
        return;
    }
    // SAFETY: the caller's contract: the entry is alive (the list holds it
    // until the handler is unregistered).
    let e = unsafe { ArcBorrow::from_raw(ctx.cast::<SessionEntry>().cast_const()) };
    let e: Arc<SessionEntry> = e.into();
    e.on_connected(generation);
}

/// The handler table, shareable between threads.
struct HandlerTable(bindings::smb_xprt_handler_ops);

// SAFETY: immutable: the module pointer and function pointers.
unsafe impl Sync for HandlerTable {}

static SESSION_HANDLER: HandlerTable = HandlerTable(bindings::smb_xprt_handler_ops {
    // smbclient itself: the transport pins it while a session's handler is
    // registered, so smbclient cannot be unloaded under a live session (a
    // consumer that leaked a handle keeps it loaded rather than leaving
    // the transport a dangling table).
    owner: <crate::LocalModule as kernel::ModuleMetadata>::THIS_MODULE.as_ptr(),
    event: Some(session_event),
    message: Some(session_message),
});

/// Messages for a session (on smbiod): a break goes to the owner that
/// watches its FileId or LeaseKey, on smbclient's workqueue (the owner may
/// wait for replies there: its acknowledgement's). Orphaned CREATEs are
/// left to the transport, which closes them.
///
/// # Safety
///
/// As `session_event`; `frame` is readable for `len` bytes.
unsafe extern "C" fn session_message(
    ctx: *mut c_void,
    kind: bindings::smb_xprt_msg_kind,
    frame: *const c_void,
    len: usize,
    _tree_id: u32,
) -> bool {
    if kind != bindings::smb_xprt_msg_kind_SMB_XPRT_MSG_UNSOLICITED || frame.is_null() {
        return false;
    }
    // SAFETY: the caller's contract.
    let frame = unsafe { core::slice::from_raw_parts(frame.cast::<u8>(), len) };
    let Some(info) = crate::breaks::parse(frame) else {
        return false;
    };
    let (Some(watches), Some(q)) = (WATCHES.get(), TASKQ.get()) else {
        return false;
    };
    let Some(w) = watches.route(ctx as usize, &info) else {
        pr_debug!(
            "a break nobody watches ({:?}); the server times it out\n",
            info.key
        );
        return false;
    };
    if !w.post(info) {
        pr_warn!(
            "dropping a break ({:?}): too many wait for their owner\n",
            info.key
        );
        return true;
    }
    // A no-op if the watch's work is queued already: it delivers all.
    let _ = q.0.enqueue::<Arc<crate::breaks::Watch>, 0>(w);
    true
}

/// Every break watch (`smb_clnt_watch_*`).
pub(crate) static WATCHES: super::kext::global::Global<crate::breaks::Watches> =
    super::kext::global::Global::new();

/// A C owner's break callback, with its module pinned while the watch
/// lives.
struct CBreakSink {
    ops: *const bindings::smb_break_ops,
    ctx: *mut c_void,
    _owner: ModuleRef,
}

// SAFETY: the table is static and the context is the owner's, which the
// header says may be used from smbclient's workqueue.
unsafe impl Send for CBreakSink {}
// SAFETY: as above; the callback is called one break at a time per watch.
unsafe impl Sync for CBreakSink {}

impl crate::breaks::BreakSink for CBreakSink {
    fn deliver(&self, info: &crate::breaks::BreakInfo) {
        let mut b = bindings::smb_break {
            kind: 0,
            oplock_level: info.oplock_level,
            fid: bindings::smb_fid {
                persistent: 0,
                volatile_id: 0,
            },
            lease_key: [0; 16],
            current_state: info.current_state,
            new_state: info.new_state,
            flags: info.flags,
            epoch: info.epoch,
        };
        match info.key {
            crate::breaks::BreakKey::File(f) => {
                b.kind = bindings::SMB_BREAK_OPLOCK;
                b.fid = bindings::smb_fid {
                    persistent: f.persistent,
                    volatile_id: f.volatile,
                };
            }
            crate::breaks::BreakKey::Lease(k) => {
                b.kind = bindings::SMB_BREAK_LEASE;
                b.lease_key = k;
            }
        }
        // SAFETY: the table is valid while the watch lives (its module is
        // pinned).
        if let Some(f) = unsafe { (*self.ops).brk } {
            // SAFETY: the callback takes the owner's context and a break
            // valid for the call, in process context (the header's rules).
            unsafe { f(self.ctx, &b) };
        }
    }
}

/// # Safety
///
/// `c` is a live handle; `ops` a valid `'static` table.
unsafe fn watch(
    c: *mut bindings::smb_clnt,
    key: crate::breaks::BreakKey,
    ops: *const bindings::smb_break_ops,
    ctx: *mut c_void,
) -> *mut bindings::smb_break_watch {
    // SAFETY: the header's contract.
    let clnt = unsafe { borrow(c) };
    // SAFETY: `ops` is NULL or valid (the header's contract).
    if ops.is_null() || unsafe { (*ops).brk }.is_none() {
        return EINVAL.to_ptr();
    }
    let Some(watches) = WATCHES.get() else {
        return ENODEV.to_ptr();
    };
    // SAFETY: `owner` is NULL or a module (the header's contract).
    let owner = match unsafe { ModuleRef::get((*ops).owner) } {
        Ok(o) => o,
        Err(e) => return e.to_ptr(),
    };
    let sink = match KBox::new(
        CBreakSink {
            ops,
            ctx,
            _owner: owner,
        },
        GFP_KERNEL,
    ) {
        Ok(s) => s,
        Err(_) => return ENOMEM.to_ptr(),
    };
    match watches.add(clnt.entry_id(), key, sink) {
        Ok(w) => Arc::into_raw(w).cast_mut().cast(),
        Err(e) => e.to_ptr(),
    }
}

/// See `include/smb/clnt.h`.
///
/// # Safety
///
/// `c` is a live handle; `fid` valid; `ops` a valid `'static` table.
#[no_mangle]
pub unsafe extern "C" fn smb_clnt_watch_fid(
    c: *mut bindings::smb_clnt,
    fid: *const bindings::smb_fid,
    ops: *const bindings::smb_break_ops,
    ctx: *mut c_void,
) -> *mut bindings::smb_break_watch {
    if fid.is_null() {
        return EINVAL.to_ptr();
    }
    // SAFETY: the header's contract.
    let f = unsafe { fid_of(&*fid) };
    // SAFETY: the header's contract.
    unsafe { watch(c, crate::breaks::BreakKey::File(f), ops, ctx) }
}

/// See `include/smb/clnt.h`.
///
/// # Safety
///
/// `c` is a live handle; `key` readable for 16 bytes; `ops` a valid
/// `'static` table.
#[no_mangle]
pub unsafe extern "C" fn smb_clnt_watch_lease(
    c: *mut bindings::smb_clnt,
    key: *const u8,
    ops: *const bindings::smb_break_ops,
    ctx: *mut c_void,
) -> *mut bindings::smb_break_watch {
    if key.is_null() {
        return EINVAL.to_ptr();
    }
    let mut k = [0u8; 16];
    // SAFETY: the header's contract.
    k.copy_from_slice(unsafe { core::slice::from_raw_parts(key, 16) });
    // SAFETY: the header's contract.
    unsafe { watch(c, crate::breaks::BreakKey::Lease(k), ops, ctx) }
}

/// See `include/smb/clnt.h`.
///
/// # Safety
///
/// `w` came from `smb_clnt_watch_*` and is given back once, not from its
/// own callback.
#[no_mangle]
pub unsafe extern "C" fn smb_clnt_unwatch(w: *mut bindings::smb_break_watch) {
    if w.is_null() {
        return;
    }
    // SAFETY: the reference `watch` gave out comes back.
    let w = unsafe { Arc::from_raw(w.cast::<crate::breaks::Watch>().cast_const()) };
    if let Some(watches) = WATCHES.get() {
        watches.remove(&w);
    }
}

/// A C owner's re-authentication callback (`struct smb_clnt_events`), with
/// its module pinned while set.
struct CReconnectSink {
    clnt: *const Clnt,
    ops: *const bindings::smb_clnt_events,
    ctx: *mut c_void,
    _owner: ModuleRef,
}

// SAFETY: the table is static, the handle outlives its listener (release
// removes it first, waiting for a running callback), and the context is
// the owner's, usable from smbclient's workqueue (the header's rules).
unsafe impl Send for CReconnectSink {}
// SAFETY: as above; called from one worker at a time (under the session's
// listener lock).
unsafe impl Sync for CReconnectSink {}

impl crate::clnt::ReconnectSink for CReconnectSink {
    fn reconnected(&self, result: Result) {
        // SAFETY: the handle is alive while its listener is set.
        let clnt = unsafe { &*self.clnt };
        // Connect the tree again now, so that the owner can reopen files
        // from its callback without a round trip of its own first.
        let result = result.and_then(|()| clnt.current(Some(30_000), &signer_for).map(|_| ()));
        // SAFETY: the table is valid while set (its owner is pinned).
        if let Some(f) = unsafe { (*self.ops).reconnected } {
            // SAFETY: process context (smbclient's workqueue), the owner's
            // context and its handle, as the header says.
            unsafe { f(self.ctx, self.clnt.cast_mut().cast(), errno(result)) };
        }
    }
}

/// See `include/smb/clnt.h`.
///
/// # Safety
///
/// `c` is a live handle; `ev` NULL or a valid `'static` table.
#[no_mangle]
pub unsafe extern "C" fn smb_clnt_set_events(
    c: *mut bindings::smb_clnt,
    ev: *const bindings::smb_clnt_events,
    ctx: *mut c_void,
) -> c_int {
    // SAFETY: the header's contract.
    let clnt = unsafe { borrow(c) };
    if ev.is_null() {
        return errno(clnt.set_listener(None));
    }
    // SAFETY: `owner` is NULL or a module (the header's contract).
    let owner = match unsafe { ModuleRef::get((*ev).owner) } {
        Ok(o) => o,
        Err(e) => return e.to_errno(),
    };
    let sink = CReconnectSink {
        clnt: core::ptr::from_ref(clnt),
        ops: ev,
        ctx,
        _owner: owner,
    };
    match KBox::new(sink, GFP_KERNEL) {
        Ok(b) => {
            let b: KBox<dyn crate::clnt::ReconnectSink> = b;
            errno(clnt.set_listener(Some(b)))
        }
        Err(_) => ENOMEM.to_errno(),
    }
}

/// See `include/smb/clnt.h`.
///
/// # Safety
///
/// `c` is a live handle; `fid` valid.
#[no_mangle]
pub unsafe extern "C" fn smb_clnt_oplock_ack(
    c: *mut bindings::smb_clnt,
    fid: *const bindings::smb_fid,
    level: u8,
) -> c_int {
    // SAFETY: the header's contract.
    let (clnt, fid) = unsafe { (borrow(c), fid_of(&*fid)) };
    errno(clnt.oplock_ack(fid, level, &signer_for))
}

/// See `include/smb/clnt.h`.
///
/// # Safety
///
/// `c` is a live handle; `args` valid with a NUL-terminated path; `fid`
/// and `out` (or NULL) writable.
#[no_mangle]
pub unsafe extern "C" fn smb_clnt_open_ex(
    c: *mut bindings::smb_clnt,
    args: *const bindings::smb_open_args,
    fid: *mut bindings::smb_fid,
    out: *mut bindings::smb_open_info,
) -> c_int {
    if args.is_null() || fid.is_null() {
        return EINVAL.to_errno();
    }
    // SAFETY: the header's contract.
    let (clnt, a) = unsafe { (borrow(c), &*args) };
    // SAFETY: the header's contract.
    let path = match unsafe { cstr(a.path, 4096) } {
        Ok(p) => p,
        Err(e) => return e.to_errno(),
    };
    let Ok(path) = core::str::from_utf8(path) else {
        return EINVAL.to_errno();
    };
    match clnt.open(
        path,
        a.desired_access,
        a.disposition,
        a.create_options,
        a.oplock_level,
        &signer_for,
    ) {
        Ok((f, info)) => {
            // SAFETY: the header's contract.
            unsafe {
                fid.write(bindings::smb_fid {
                    persistent: f.persistent,
                    volatile_id: f.volatile,
                });
                if !out.is_null() {
                    out.write(bindings::smb_open_info {
                        end_of_file: info.end_of_file,
                        oplock_level: info.oplock_level,
                    });
                }
            }
            0
        }
        Err(e) => e.to_errno(),
    }
}

/// Registers `e` for its transport's events; returns the handle.
pub(crate) fn watch_transport(e: &Arc<SessionEntry>) -> Result<usize> {
    let s = e.session();
    // SAFETY: the table is static; the entry outlives the registration
    // (unregistered while the list still holds it).
    let h = kernel::error::from_err_ptr(unsafe {
        bindings::smb_xprt_register_handler(
            s.xprt.as_ptr(),
            &SESSION_HANDLER.0,
            Arc::as_ptr(e).cast_mut().cast(),
        )
    })?;
    Ok(h as usize)
}

/// Undoes [`watch_transport`]; no callback for `e` runs afterwards.
pub(crate) fn unwatch_transport(e: &Arc<SessionEntry>, h: usize) {
    let s = e.session();
    // SAFETY: `h` came from registering on this transport, once.
    unsafe { bindings::smb_xprt_unregister_handler(s.xprt.as_ptr(), h as *mut _) };
}

/// A NUL-terminated C string as UTF-8 bytes, at most `max` of them.
///
/// # Safety
///
/// `p` is NULL or a valid NUL-terminated string.
unsafe fn cstr<'a>(p: *const c_char, max: usize) -> Result<&'a [u8]> {
    if p.is_null() {
        return Err(EINVAL);
    }
    // SAFETY: the caller's contract.
    let s = unsafe { <kernel::str::CStr as kernel::str::CStrExt>::from_char_ptr(p) };
    let b = s.to_bytes();
    if b.len() > max || core::str::from_utf8(b).is_err() {
        return Err(EINVAL);
    }
    Ok(b)
}

fn copy(b: &[u8]) -> Result<KVec<u8>> {
    let mut v = KVec::with_capacity(b.len(), GFP_KERNEL)?;
    v.extend_from_slice(b, GFP_KERNEL)?;
    Ok(v)
}

/// # Safety
///
/// `args` is valid, as the header says.
unsafe fn create(args: &bindings::smb_clnt_args) -> Result<KBox<Clnt>> {
    // SAFETY: the header's contract for `addr`.
    let mut addr = unsafe { SockAddr::from_raw(args.addr.cast(), args.addrlen) }?;
    if addr.port == 0 {
        addr.port = 445;
    }
    // SAFETY: the header's contract for the strings.
    let (unc, user, domain) = unsafe {
        (
            cstr(args.unc, 512)?,
            cstr(args.user, 256)?,
            cstr(args.domain, 256)?,
        )
    };
    if args.nt_hash.is_null()
        || args.flags & !(bindings::SMB_CLNT_SIGN | bindings::SMB_CLNT_SEAL) != 0
    {
        return Err(EINVAL);
    }
    let mut h = [0u8; 16];
    // SAFETY: the header's contract: 16 readable bytes.
    unsafe { core::ptr::copy_nonoverlapping(args.nt_hash, h.as_mut_ptr(), 16) };
    let nt_hash = Secret::new(h);
    super::kext::crypto::memzero_explicit(&mut h);
    let creds = Credentials {
        user: copy(user)?,
        domain: copy(domain)?,
        nt_hash: nt_hash?,
    };
    let cfg = Config {
        addr,
        dialect_min: args.dialect_min,
        dialect_max: args.dialect_max,
        recv_mode: 0,
        timeo_ms: args.timeo_ms,
        flags: args.xprt_flags,
    };
    let xprt = Arc::new(Transport::get(&cfg)?, GFP_KERNEL)?;
    let sessions = SESSIONS.get().ok_or(ENODEV)?;
    let unc = core::str::from_utf8(unc).map_err(|_| EINVAL)?;
    let clnt = Clnt::create(
        &sessions,
        ClntArgs {
            xprt,
            unc,
            creds,
            flags: args.flags,
        },
        &signer_for,
    )?;
    match KBox::new(clnt, GFP_KERNEL) {
        Ok(b) => Ok(b),
        Err(e) => Err(e.into()),
    }
}

/// See `include/smb/clnt.h`.
///
/// # Safety
///
/// `args` is valid as the header says.
#[no_mangle]
pub unsafe extern "C" fn smb_clnt_create(
    args: *const bindings::smb_clnt_args,
) -> *mut bindings::smb_clnt {
    if args.is_null() {
        return EINVAL.to_ptr();
    }
    // SAFETY: the header's contract.
    match unsafe { create(&*args) } {
        Ok(b) => KBox::into_raw(b).cast(),
        Err(e) => e.to_ptr(),
    }
}

/// # Safety
///
/// `c` came from `smb_clnt_create` and was not released.
unsafe fn borrow<'a>(c: *mut bindings::smb_clnt) -> &'a Clnt {
    // SAFETY: the caller's contract.
    unsafe { &*c.cast::<Clnt>().cast_const() }
}

/// See `include/smb/clnt.h`.
///
/// # Safety
///
/// `c` came from `smb_clnt_create` and is released once.
#[no_mangle]
pub unsafe extern "C" fn smb_clnt_release(c: *mut bindings::smb_clnt) {
    if c.is_null() {
        return;
    }
    // SAFETY: the caller's contract: ownership comes back.
    let b = unsafe { KBox::from_raw(c.cast::<Clnt>()) };
    // The events' callback uses the handle where it is: remove them (and
    // wait for one running) before the handle moves out of its box.
    let _ = b.set_listener(None);
    match SESSIONS.get() {
        Some(s) => KBox::into_inner(b).release(&s),
        None => drop(b),
    }
}

/// See `include/smb/clnt.h`.
///
/// # Safety
///
/// `c` is a live handle; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn smb_clnt_info(
    c: *mut bindings::smb_clnt,
    out: *mut bindings::smb_clnt_info,
) -> c_int {
    // SAFETY: the header's contract.
    let clnt = unsafe { borrow(c) };
    let s = clnt.session();
    let v = bindings::smb_clnt_info {
        dialect: s.dialect,
        signing: u8::from(s.signs()),
        guest: u8::from(s.guest),
        tree_id: clnt.tree_id(),
        session_id: s.session_id,
        share_flags: clnt.share_flags(),
        encrypted: u8::from(clnt.seals()),
    };
    // SAFETY: the header's contract.
    unsafe { out.write(v) };
    0
}

/// See `include/smb/clnt.h`.
///
/// # Safety
///
/// `c` is a live handle.
#[no_mangle]
pub unsafe extern "C" fn smb_clnt_echo(c: *mut bindings::smb_clnt, timeout: c_long) -> c_int {
    // SAFETY: the header's contract.
    let clnt = unsafe { borrow(c) };
    let timeout_ms = timeout_ms(timeout);
    let r: Result = (|| {
        let mut req = [0u8; 64 + 4];
        let h = super::proto::header::Header::request(super::proto::header::Command::Echo);
        super::proto::message::encode(&h, &super::proto::echo::EchoRequest, &mut req)
            .map_err(|_| EINVAL)?;
        let mut reply = [0u8; 128];
        let n = clnt.call(
            &mut [&mut req[..]],
            bindings::SMB_XPRT_CALL_REPLAYABLE,
            &mut reply,
            timeout_ms,
            super::smb_xprt::CallData::default(),
            &signer_for,
        )?;
        let status = super::proto::header::Header::parse(&reply[..n])
            .map_err(|_| EPROTO)?
            .status;
        if status != 0 {
            return Err(super::session::status_errno(status));
        }
        Ok(())
    })();
    errno(r)
}

fn fid_of(f: &bindings::smb_fid) -> super::proto::message::FileId {
    super::proto::message::FileId {
        persistent: f.persistent,
        volatile: f.volatile_id,
    }
}

/// See `include/smb/clnt.h`.
///
/// # Safety
///
/// `c` is a live handle; `path` a NUL-terminated string; `fid` writable;
/// `size` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn smb_clnt_open(
    c: *mut bindings::smb_clnt,
    path: *const c_char,
    desired_access: u32,
    disposition: u32,
    create_options: u32,
    fid: *mut bindings::smb_fid,
    size: *mut u64,
) -> c_int {
    let args = bindings::smb_open_args {
        path,
        desired_access,
        disposition,
        create_options,
        oplock_level: 0,
    };
    let mut info = bindings::smb_open_info::default();
    // SAFETY: the header's contract, which is `smb_clnt_open_ex`'s.
    let r = unsafe { smb_clnt_open_ex(c, &args, fid, &mut info) };
    if r == 0 && !size.is_null() {
        // SAFETY: the header's contract.
        unsafe { size.write(info.end_of_file) };
    }
    r
}

/// See `include/smb/clnt.h`.
///
/// # Safety
///
/// `c` is a live handle; `fid` valid.
#[no_mangle]
pub unsafe extern "C" fn smb_clnt_close(
    c: *mut bindings::smb_clnt,
    fid: *const bindings::smb_fid,
) -> c_int {
    // SAFETY: the header's contract.
    let (clnt, fid) = unsafe { (borrow(c), fid_of(&*fid)) };
    errno(clnt.close(fid, &signer_for))
}

/// # Safety
///
/// `c` is a live handle, `fid` valid, `iter` a valid kernel-backed
/// iterator of direction `dir`.
unsafe fn rw(
    c: *mut bindings::smb_clnt,
    fid: *const bindings::smb_fid,
    offset: u64,
    iter: *mut bindings::iov_iter,
    dir: Direction,
) -> isize {
    // SAFETY: the header's contract.
    let (clnt, fid) = unsafe { (borrow(c), fid_of(&*fid)) };
    // SAFETY: the header's contract for the iterator.
    let mut it = match unsafe { KernelIter::from_raw(iter, dir) } {
        Ok(i) => i,
        Err(e) => return e.to_errno() as isize,
    };
    let r = match dir {
        Direction::Dest => clnt.read(fid, offset, &mut it, &signer_for),
        Direction::Source => clnt.write(fid, offset, &mut it, &signer_for),
    };
    // SAFETY: `it` was made from `iter`; the C convention advances it.
    unsafe { it.write_back(iter) };
    match r {
        Ok(n) => n as isize,
        Err(e) => e.to_errno() as isize,
    }
}

/// See `include/smb/clnt.h`.
///
/// # Safety
///
/// As the header says.
#[no_mangle]
pub unsafe extern "C" fn smb_clnt_read(
    c: *mut bindings::smb_clnt,
    fid: *const bindings::smb_fid,
    offset: u64,
    dest: *mut bindings::iov_iter,
) -> isize {
    // SAFETY: the header's contract.
    unsafe { rw(c, fid, offset, dest, Direction::Dest) }
}

/// See `include/smb/clnt.h`.
///
/// # Safety
///
/// As the header says.
#[no_mangle]
pub unsafe extern "C" fn smb_clnt_write(
    c: *mut bindings::smb_clnt,
    fid: *const bindings::smb_fid,
    offset: u64,
    src: *mut bindings::iov_iter,
) -> isize {
    // SAFETY: the header's contract.
    unsafe { rw(c, fid, offset, src, Direction::Source) }
}

fn c_info(i: &FileInfo) -> bindings::smb_file_info {
    bindings::smb_file_info {
        creation_time: i.creation_time,
        last_access_time: i.last_access_time,
        last_write_time: i.last_write_time,
        change_time: i.change_time,
        allocation_size: i.allocation_size,
        end_of_file: i.end_of_file,
        attributes: i.attributes,
        nlink: i.nlink,
        delete_pending: u8::from(i.delete_pending),
        directory: u8::from(i.directory),
    }
}

/// See `include/smb/clnt.h`.
///
/// # Safety
///
/// `c` is a live handle; `fid` valid; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn smb_clnt_getattr(
    c: *mut bindings::smb_clnt,
    fid: *const bindings::smb_fid,
    out: *mut bindings::smb_file_info,
) -> c_int {
    // SAFETY: the header's contract.
    let (clnt, fid) = unsafe { (borrow(c), fid_of(&*fid)) };
    match clnt.getattr(fid, &signer_for) {
        Ok(i) => {
            // SAFETY: the header's contract.
            unsafe { out.write(c_info(&i)) };
            0
        }
        Err(e) => e.to_errno(),
    }
}

/// See `include/smb/clnt.h`.
///
/// # Safety
///
/// `c` is a live handle; `fid` valid; `new_path` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn smb_clnt_rename(
    c: *mut bindings::smb_clnt,
    fid: *const bindings::smb_fid,
    new_path: *const c_char,
    replace: bool,
) -> c_int {
    // SAFETY: the header's contract.
    let (clnt, fid) = unsafe { (borrow(c), fid_of(&*fid)) };
    // SAFETY: the header's contract.
    let path = match unsafe { cstr(new_path, 4096) } {
        Ok(p) => p,
        Err(e) => return e.to_errno(),
    };
    let Ok(path) = core::str::from_utf8(path) else {
        return EINVAL.to_errno();
    };
    errno(clnt.rename(fid, path, replace, &signer_for))
}

/// See `include/smb/clnt.h`.
///
/// # Safety
///
/// `c` is a live handle; `fid` valid.
#[no_mangle]
pub unsafe extern "C" fn smb_clnt_delete(
    c: *mut bindings::smb_clnt,
    fid: *const bindings::smb_fid,
) -> c_int {
    // SAFETY: the header's contract.
    let (clnt, fid) = unsafe { (borrow(c), fid_of(&*fid)) };
    errno(clnt.delete_on_close(fid, &signer_for))
}

/// See `include/smb/clnt.h`.
///
/// # Safety
///
/// `c` is a live handle; `fid` valid; `actor` callable with `ctx`.
#[no_mangle]
pub unsafe extern "C" fn smb_clnt_readdir(
    c: *mut bindings::smb_clnt,
    fid: *const bindings::smb_fid,
    actor: bindings::smb_dir_actor_t,
    ctx: *mut c_void,
) -> c_int {
    // SAFETY: the header's contract.
    let (clnt, fid) = unsafe { (borrow(c), fid_of(&*fid)) };
    let Some(actor) = actor else {
        return EINVAL.to_errno();
    };
    let mut name = KVec::<u8>::new();
    let mut bad = None;
    let r = clnt.readdir(fid, &signer_for, &mut |utf16, info, ino| {
        // UTF-16LE to UTF-8: at most 3 bytes per unit.
        name.clear();
        if name.reserve(utf16.len() / 2 * 3, GFP_KERNEL).is_err() {
            bad = Some(ENOMEM);
            return false;
        }
        name.resize(utf16.len() / 2 * 3, 0, GFP_KERNEL).ok();
        let len = match super::proto::utf16::decode_utf16le(utf16, &mut name) {
            Ok(s) => s.len(),
            Err(_) => {
                bad = Some(EPROTO);
                return false;
            }
        };
        let ci = c_info(info);
        // SAFETY: the header's contract for `actor`; the name and the
        // info are valid for the call.
        unsafe { actor(ctx, name.as_ptr().cast(), len, &ci, ino) }
    });
    match (r, bad) {
        (_, Some(e)) | (Err(e), None) => e.to_errno(),
        (Ok(n), None) => c_int::try_from(n).unwrap_or(c_int::MAX),
    }
}

/// See `include/smb/clnt.h`.
///
/// # Safety
///
/// `c` is a live handle; `ops` points to `nr` valid operations whose
/// buffers are valid and not otherwise used during the call.
#[no_mangle]
pub unsafe extern "C" fn smb_call_sync(
    c: *mut bindings::smb_clnt,
    ops: *mut bindings::smb_task_op,
    nr: c_uint,
    flags: u32,
    timeout: c_long,
) -> c_int {
    let n = nr as usize;
    if ops.is_null() || n == 0 || n > MAX_OPS || flags & !bindings::SMB_TASK_REPLAYABLE != 0 {
        return EINVAL.to_errno();
    }
    let setup = bindings::smb_task_setup {
        clnt: c,
        ops,
        nr_ops: nr,
        recv_data: core::ptr::null_mut(),
        send_data: core::ptr::null_mut(),
        flags,
        timeout,
        callbacks: core::ptr::null(),
        data: core::ptr::null_mut(),
    };
    // SAFETY: the header's contract: a live handle, `nr` valid operations.
    let r = unsafe { run_setup(borrow(c), &setup) };
    errno(r)
}

/// See `include/smb/clnt.h`.
///
/// # Safety
///
/// `c` is a live handle; `fid` valid.
#[no_mangle]
pub unsafe extern "C" fn smb_clnt_flush(
    c: *mut bindings::smb_clnt,
    fid: *const bindings::smb_fid,
) -> c_int {
    // SAFETY: the header's contract.
    let (clnt, fid) = unsafe { (borrow(c), fid_of(&*fid)) };
    errno(clnt.flush(fid, &signer_for))
}

/// See `include/smb/clnt.h`.
///
/// # Safety
///
/// `c` is a live handle; `fid` valid.
#[no_mangle]
pub unsafe extern "C" fn smb_clnt_lock(
    c: *mut bindings::smb_clnt,
    fid: *const bindings::smb_fid,
    offset: u64,
    length: u64,
    flags: u32,
) -> c_int {
    // SAFETY: the header's contract.
    let (clnt, fid) = unsafe { (borrow(c), fid_of(&*fid)) };
    let known = bindings::SMB_LOCK_SHARED
        | bindings::SMB_LOCK_EXCLUSIVE
        | bindings::SMB_LOCK_UNLOCK
        | bindings::SMB_LOCK_FAIL_IMMEDIATELY;
    // Exactly one of shared, exclusive and unlock (MS-SMB2 2.2.26.1).
    let kind = flags
        & (bindings::SMB_LOCK_SHARED | bindings::SMB_LOCK_EXCLUSIVE | bindings::SMB_LOCK_UNLOCK);
    if flags & !known != 0 || kind.count_ones() != 1 {
        return EINVAL.to_errno();
    }
    errno(clnt.lock(fid, offset, length, flags, &signer_for))
}

/// See `include/smb/clnt.h`.
///
/// # Safety
///
/// `c` is a live handle; `fid` valid; `buf` writable for `size` bytes and
/// `len` writable.
#[no_mangle]
pub unsafe extern "C" fn smb_clnt_query_info(
    c: *mut bindings::smb_clnt,
    fid: *const bindings::smb_fid,
    info_type: u8,
    info_class: u8,
    additional: u32,
    buf: *mut c_void,
    size: usize,
    len: *mut usize,
) -> c_int {
    if buf.is_null() || len.is_null() {
        return EINVAL.to_errno();
    }
    // SAFETY: the header's contract.
    let (clnt, fid, out) = unsafe {
        (
            borrow(c),
            fid_of(&*fid),
            core::slice::from_raw_parts_mut(buf.cast::<u8>(), size),
        )
    };
    match clnt.query_info(fid, info_type, info_class, additional, out, &signer_for) {
        Ok(n) => {
            // SAFETY: the header's contract.
            unsafe { len.write(n) };
            0
        }
        Err(e) => e.to_errno(),
    }
}

/// See `include/smb/clnt.h`.
///
/// # Safety
///
/// `c` is a live handle; `fid` valid; `buf` readable for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn smb_clnt_set_info(
    c: *mut bindings::smb_clnt,
    fid: *const bindings::smb_fid,
    info_type: u8,
    info_class: u8,
    additional: u32,
    buf: *const c_void,
    len: usize,
) -> c_int {
    if buf.is_null() && len != 0 {
        return EINVAL.to_errno();
    }
    // SAFETY: the header's contract (an empty buffer may be NULL).
    let (clnt, fid, data) = unsafe {
        (
            borrow(c),
            fid_of(&*fid),
            if len == 0 {
                &[][..]
            } else {
                core::slice::from_raw_parts(buf.cast::<u8>(), len)
            },
        )
    };
    errno(clnt.set_info(fid, info_type, info_class, additional, data, &signer_for))
}

crate::abi_check!(bindings; smb_call_sync, smb_clnt_create, smb_clnt_release, smb_clnt_info, smb_clnt_echo,
    smb_clnt_open, smb_clnt_close, smb_clnt_read, smb_clnt_write, smb_clnt_getattr,
    smb_clnt_rename, smb_clnt_delete, smb_clnt_readdir, smb_clnt_flush, smb_clnt_lock,
    smb_clnt_query_info, smb_clnt_set_info, smb_clnt_watch_fid, smb_clnt_watch_lease,
    smb_clnt_unwatch, smb_clnt_oplock_ack, smb_clnt_open_ex, smb_clnt_set_events);

/// A task handed to C: the setup's raw pointers, its phase, and the work
/// item that runs it when asynchronous.
#[pin_data(PinnedDrop)]
pub(crate) struct Task {
    clnt: *const Clnt,
    /// The handle's task count: held (entered) while the task may touch
    /// the handle, so that releasing the handle waits.
    drain: Arc<super::clnt::Drain>,
    setup: bindings::smb_task_setup,
    /// The callbacks' owner, pinned until after `release` (fields drop
    /// after `drop`).
    _owner: Option<ModuleRef>,
    /// Attempts made so far (asynchronous tasks; see `Clnt::again`).
    attempts: AtomicU32,
    #[pin]
    phase: SpinLock<Phase>,
    #[pin]
    done: super::kext::sync::wait::WaitQueue,
    #[pin]
    work: Work<Task>,
}

// SAFETY: the raw pointers are the caller's, valid until `done` (the
// header's contract) and usable from any task; the handle outlives the
// task's use of it (`drain`).
unsafe impl Send for Task {}
// SAFETY: as above; shared access only reads the setup.
unsafe impl Sync for Task {}

impl_has_work! {
    impl HasWork<Self> for Task { self.work }
}

impl WorkItem for Task {
    type Pointer = Arc<Task>;

    fn run(this: Arc<Task>) {
        this.submit();
    }
}

#[pinned_drop]
impl PinnedDrop for Task {
    fn drop(self: core::pin::Pin<&mut Self>) {
        let cb = self.setup.callbacks;
        if cb.is_null() {
            return;
        }
        // SAFETY: the table is valid while the task lives (its owner is
        // pinned in `_owner`); `release` gets the setup's data.
        unsafe {
            if let Some(release) = (*cb).release {
                release(self.setup.data);
            }
        }
    }
}

impl Task {
    fn raw(self: &Arc<Self>) -> *mut bindings::smb_task {
        Arc::as_ptr(self).cast_mut().cast()
    }

    fn call_back(self: &Arc<Self>, prepare: bool) {
        let cb = self.setup.callbacks;
        if cb.is_null() {
            return;
        }
        // SAFETY: the table is valid and its owner pinned (see drop).
        let f = unsafe {
            if prepare {
                (*cb).prepare
            } else {
                (*cb).done
            }
        };
        if let Some(f) = f {
            // SAFETY: the header's contract: the task and the data.
            unsafe { f(self.raw(), self.setup.data) };
        }
    }

    /// Runs the operations, records the result, calls `done`, wakes
    /// waiters.
    fn execute(self: &Arc<Self>) {
        let started = self.phase.lock().start();
        let result = match started {
            Ok(()) => {
                self.call_back(true);
                // SAFETY: the handle is alive while `drain` is entered.
                let clnt = unsafe { &*self.clnt };
                // SAFETY: the setup's operations and iterators are valid
                // until `done` (the header's contract).
                unsafe { run_setup(clnt, &self.setup) }
            }
            Err(e) => Err(e),
        };
        self.finish(result);
    }

    /// Records the result, lets the handle go, calls `done`, wakes waiters.
    fn finish(self: &Arc<Self>, result: Result) {
        let _ = self.phase.lock().finish(result);
        self.drain.leave();
        self.call_back(false);
        self.done.wake_all();
    }

    /// An asynchronous task's next attempt, on smbclient's workqueue: the
    /// first one calls `prepare`. Getting the session may wait for a
    /// re-authentication; the request itself is then handed to the
    /// transport, which completes it on smbiod (`flight_done`), and this
    /// worker is free.
    fn submit(self: &Arc<Self>) {
        let n = self.attempts.fetch_add(1, Ordering::AcqRel) + 1;
        if n == 1 {
            let started = self.phase.lock().start();
            if let Err(e) = started {
                return self.finish(Err(e));
            }
            self.call_back(true);
        }
        // SAFETY: the handle is alive while `drain` is entered; the setup's
        // operations and iterators are valid until `done`.
        if let Err(e) = unsafe { self.launch() } {
            self.finish(Err(e));
        }
    }

    /// Builds one attempt's request (`Flight`) and starts it.
    ///
    /// # Safety
    ///
    /// The handle and the setup are valid (see `submit`).
    unsafe fn launch(self: &Arc<Self>) -> Result {
        // SAFETY: the caller's contract.
        let clnt = unsafe { &*self.clnt };
        let s = &self.setup;
        // SAFETY: the caller's contract.
        let mut list = unsafe { ops_of(s) }?;
        let rsp_total = emit_headers(&mut list)?;
        let (session, tree_id) = clnt.current(timeout_ms(s.timeout), &signer_for)?;
        let flags = clnt.flags_for(&session, s.flags & bindings::SMB_TASK_REPLAYABLE)?;
        let mut f = KBox::new(
            Flight {
                a: bindings::smb_xprt_async::default(),
                task: self.clone(),
                session: session.clone(),
                iov: [bindings::kvec::default(); 2 * MAX_OPS],
                pads: [[0; 8]; MAX_OPS],
                reply: KVec::from_elem(0u8, rsp_total, GFP_KERNEL)?,
                // SAFETY: the setup's iterators are valid (caller); the
                // copies are the transport's cursors, written back when
                // done.
                send: unsafe { copy_iter(s.send_data) },
                // SAFETY: as above.
                recv: unsafe { copy_iter(s.recv_data) },
                flags,
            },
            GFP_KERNEL,
        )?;
        let sign = {
            let fl = &mut *f;
            let mut parts: [&mut [u8]; 2 * MAX_OPS] = Default::default();
            let nr = request_parts(&mut list, &mut fl.pads, &mut parts);
            let sign = session.prepare(&mut parts[..nr], tree_id, flags)?;
            for (v, p) in fl.iov.iter_mut().zip(parts[..nr].iter_mut()) {
                v.iov_base = p.as_mut_ptr().cast();
                v.iov_len = p.len();
            }
            fl.a.call = bindings::smb_xprt_call {
                iov: fl.iov.as_mut_ptr(),
                nr_iov: nr as u32,
                send_data: fl
                    .send
                    .as_mut()
                    .map_or(core::ptr::null_mut(), core::ptr::from_mut),
                recv_data: fl
                    .recv
                    .as_mut()
                    .map_or(core::ptr::null_mut(), core::ptr::from_mut),
                flags,
                reply: fl.reply.as_mut_ptr().cast(),
                reply_size: fl.reply.len(),
                reply_len: 0,
                timeout: s.timeout,
                signer: core::ptr::null(),
                signer_ctx: core::ptr::null_mut(),
            };
            fl.a.ops = &FLIGHT_OPS.0;
            sign
        };
        if sign {
            f.a.call.signer = &SESSION_SIGNER.0;
            f.a.call.signer_ctx = Arc::as_ptr(&f.session).cast_mut().cast();
        }
        drop(list);
        let xprt = session.xprt.as_ptr();
        let raw = KBox::into_raw(f);
        // SAFETY: `raw` is a `Flight` whose first field is the call, valid
        // (and untouched by us) until `flight_done` takes it back; its
        // buffers are the setup's (valid until `done`) and its own.
        let r = unsafe { bindings::smb_xprt_call_async(xprt, raw.cast()) };
        if r < 0 {
            // SAFETY: not started: `done` will never be called, the box is
            // still ours.
            drop(unsafe { KBox::from_raw(raw) });
            return Err(Error::from_errno(r));
        }
        Ok(())
    }

    /// An attempt is over (on smbiod): go again on smbclient's workqueue if
    /// `Clnt::again` says so, or finish the task here.
    fn landed(self: &Arc<Self>, f: KBox<Flight>, result: c_int) {
        let r = if result < 0 {
            Err(Error::from_errno(result))
        } else {
            Ok(f.a.call.reply_len)
        };
        let n = self.attempts.load(Ordering::Acquire);
        if Clnt::again(f.flags, n, &r, &f.reply) {
            drop(f);
            let queued = match TASKQ.get() {
                Some(q) => q.0.enqueue::<Arc<Task>, 0>(self.clone()).is_ok(),
                None => false,
            };
            if !queued {
                self.finish(Err(ENODEV));
            }
            return;
        }
        let s = &self.setup;
        // SAFETY: the setup is valid until `done` (the header's contract);
        // the cursors were made from its iterators.
        let result = unsafe {
            if let (Some(i), false) = (&f.recv, s.recv_data.is_null()) {
                core::ptr::write(s.recv_data, core::ptr::read(i));
            }
            if let (Some(i), false) = (&f.send, s.send_data.is_null()) {
                core::ptr::write(s.send_data, core::ptr::read(i));
            }
            r.and_then(|len| {
                let mut list = ops_of(s)?;
                split_reply(f.reply.get(..len).ok_or(EPROTO)?, &mut list)?;
                store_results(s, &list);
                Ok(())
            })
        };
        // The session (and so the transport) before the handle may go.
        drop(f);
        self.finish(result);
    }
}

/// One attempt of an asynchronous task, handed to the transport: the call
/// (first, so that the transport's pointer is the box's), the kvecs over
/// the setup's requests and the padding between them, the reply, and
/// copies of the setup's iterators as the transport's cursors.
#[repr(C)]
struct Flight {
    a: bindings::smb_xprt_async,
    task: Arc<Task>,
    /// The session the request was stamped for; the signer's context.
    session: Arc<Session>,
    iov: [bindings::kvec; 2 * MAX_OPS],
    pads: [[u8; 8]; MAX_OPS],
    reply: KVec<u8>,
    send: Option<bindings::iov_iter>,
    recv: Option<bindings::iov_iter>,
    flags: u32,
}

/// The transport's completion of a `Flight`, on smbiod.
///
/// # Safety
///
/// Called by smbxprt once per started `Flight`, with its call.
unsafe extern "C" fn flight_done(a: *mut bindings::smb_xprt_async, result: c_int) {
    // SAFETY: the call is the first field of a `Flight` made by `launch`
    // with `KBox::into_raw`; the transport is done with it.
    let f = unsafe { KBox::from_raw(a.cast::<Flight>()) };
    let task = f.task.clone();
    task.landed(f, result);
}

/// The completion table of asynchronous tasks.
struct FlightTable(bindings::smb_xprt_async_ops);

// SAFETY: immutable: the module pointer and function pointer.
unsafe impl Sync for FlightTable {}

static FLIGHT_OPS: FlightTable = FlightTable(bindings::smb_xprt_async_ops {
    // smbclient: pinned by the transport until `flight_done` returns.
    owner: <crate::LocalModule as kernel::ModuleMetadata>::THIS_MODULE.as_ptr(),
    done: Some(flight_done),
});

/// A copy of the iterator `p` points to (NULL: none).
///
/// # Safety
///
/// `p` is NULL or a valid iterator.
unsafe fn copy_iter(p: *const bindings::iov_iter) -> Option<bindings::iov_iter> {
    // SAFETY: the caller's contract; an iov_iter is copied by value.
    unsafe { p.as_ref().map(|i| core::ptr::read(i)) }
}

/// The setup's operations as `Op`s over the caller's buffers.
///
/// # Safety
///
/// The setup's operations and their buffers are valid and unused by
/// others while the result lives.
unsafe fn ops_of<'a>(s: &bindings::smb_task_setup) -> Result<KVec<Op<'a>>> {
    let n = s.nr_ops as usize;
    // SAFETY: the caller's contract.
    let cops = unsafe { core::slice::from_raw_parts(s.ops, n) };
    let mut list: KVec<Op<'_>> = KVec::with_capacity(n, GFP_KERNEL)?;
    for o in cops.iter() {
        if o.req.is_null() || o.rsp.is_null() {
            return Err(EINVAL);
        }
        // SAFETY: the caller's contract: each buffer is valid for its
        // length.
        let (req, rsp) = unsafe {
            (
                core::slice::from_raw_parts_mut(o.req.cast::<u8>(), o.req_len),
                core::slice::from_raw_parts_mut(o.rsp.cast::<u8>(), o.rsp_size),
            )
        };
        list.push(
            Op {
                command: o.command,
                credit_charge: o.credit_charge,
                req,
                rsp,
                rsp_len: 0,
                status: 0,
            },
            GFP_KERNEL,
        )?;
    }
    Ok(list)
}

/// Runs a setup's operations on `clnt`.
///
/// # Safety
///
/// The setup's operations, buffers and iterators are valid and unused by
/// others for the call.
unsafe fn run_setup(clnt: &Clnt, s: &bindings::smb_task_setup) -> Result {
    // SAFETY: the caller's contract.
    let mut list = unsafe { ops_of(s) }?;
    // SAFETY: the caller's contract for the iterators.
    let mut recv = unsafe { KernelIter::from_raw_opt(s.recv_data, Direction::Dest) }?;
    // SAFETY: as above.
    let mut send = unsafe { KernelIter::from_raw_opt(s.send_data, Direction::Source) }?;
    let r = clnt.run_ops(
        &mut list,
        s.flags & bindings::SMB_TASK_REPLAYABLE,
        timeout_ms(s.timeout),
        super::smb_xprt::CallData {
            send: send.as_mut(),
            recv: recv.as_mut(),
        },
        &signer_for,
    );
    // SAFETY: each cursor was made from the setup's iterator.
    unsafe {
        if let Some(i) = &recv {
            i.write_back(s.recv_data);
        }
        if let Some(i) = &send {
            i.write_back(s.send_data);
        }
    }
    // SAFETY: the caller's contract.
    unsafe { store_results(s, &list) };
    r
}

/// Copies each operation's reply length and status back to the setup.
///
/// # Safety
///
/// The setup's operations are valid and the caller's to write.
unsafe fn store_results(s: &bindings::smb_task_setup, list: &[Op<'_>]) {
    // SAFETY: the caller's contract.
    let cops = unsafe { core::slice::from_raw_parts_mut(s.ops, s.nr_ops as usize) };
    for (o, l) in cops.iter_mut().zip(list.iter()) {
        o.rsp_len = l.rsp_len;
        o.status = l.status;
    }
}

/// The workqueue asynchronous tasks run on.
pub(crate) struct TaskQueue(pub(crate) super::kext::workqueue::OwnedQueue);

pub(crate) static TASKQ: super::kext::global::Global<TaskQueue> =
    super::kext::global::Global::new();

/// # Safety
///
/// `s` is a valid setup (the header's contract).
unsafe fn start(s: &bindings::smb_task_setup) -> Result<Arc<Task>> {
    let n = s.nr_ops as usize;
    let known = bindings::SMB_TASK_ASYNC | bindings::SMB_TASK_REPLAYABLE;
    if s.clnt.is_null() || s.ops.is_null() || n == 0 || n > MAX_OPS || s.flags & !known != 0 {
        return Err(EINVAL);
    }
    let cb = s.callbacks;
    let owner = if cb.is_null() {
        None
    } else {
        // SAFETY: `cb` is a valid table whose owner is NULL or a module.
        Some(unsafe { ModuleRef::get((*cb).owner) }?)
    };
    // SAFETY: the header's contract: a live handle.
    let clnt = unsafe { borrow(s.clnt) };
    let drain = clnt.tasks.clone();
    drain.enter();
    let for_task = drain.clone();
    // SAFETY: a plain C struct of pointers and integers, copied bitwise.
    let setup = unsafe { core::ptr::read(s) };
    let task = Arc::pin_init(
        pin_init!(Task {
            clnt: core::ptr::from_ref(clnt),
            drain: for_task,
            setup,
            _owner: owner,
            attempts: AtomicU32::new(0),
            phase <- kernel::new_spinlock!(Phase::Queued, "Task::phase"),
            done <- crate::new_wait_queue!("Task::done"),
            work <- new_work!("Task::work"),
        }),
        GFP_KERNEL,
    );
    match task {
        Ok(t) => Ok(t),
        Err(e) => {
            drain.leave();
            Err(e)
        }
    }
}

/// See `include/smb/clnt.h`.
///
/// # Safety
///
/// `setup` is valid as the header says.
#[no_mangle]
pub unsafe extern "C" fn smb_run_task(
    setup: *const bindings::smb_task_setup,
) -> *mut bindings::smb_task {
    if setup.is_null() {
        return EINVAL.to_ptr();
    }
    // SAFETY: the header's contract.
    let s = unsafe { &*setup };
    // SAFETY: as above.
    let task = match unsafe { start(s) } {
        Ok(t) => t,
        Err(e) => return e.to_ptr(),
    };
    if s.flags & bindings::SMB_TASK_ASYNC != 0 {
        let queued = match TASKQ.get() {
            Some(q) => q.0.enqueue::<Arc<Task>, 0>(task.clone()).is_ok(),
            None => false,
        };
        if !queued {
            // Never queued twice; only when smbclient is going away.
            let _ = task.phase.lock().finish(Err(ENODEV));
            task.drain.leave();
            task.call_back(false);
        }
    } else {
        task.execute();
    }
    Arc::into_raw(task).cast_mut().cast()
}

/// # Safety
///
/// `t` came from `smb_run_task` and was not put.
unsafe fn task_of<'a>(t: *mut bindings::smb_task) -> ArcBorrow<'a, Task> {
    // SAFETY: the caller's contract: the pointer holds a reference.
    unsafe { ArcBorrow::from_raw(t.cast::<Task>().cast_const()) }
}

fn result_of(p: Phase) -> c_int {
    match p {
        Phase::Done(r) => r,
        _ => EINPROGRESS.to_errno(),
    }
}

/// See `include/smb/clnt.h`.
///
/// # Safety
///
/// `t` is a task the caller holds.
#[no_mangle]
pub unsafe extern "C" fn smb_task_result(t: *mut bindings::smb_task) -> c_int {
    // SAFETY: the header's contract.
    let task = unsafe { task_of(t) };
    let p = *task.phase.lock();
    result_of(p)
}

/// See `include/smb/clnt.h`.
///
/// # Safety
///
/// `t` is a task the caller holds.
#[no_mangle]
pub unsafe extern "C" fn smb_task_wait(t: *mut bindings::smb_task) -> c_int {
    // SAFETY: the header's contract.
    let task = unsafe { task_of(t) };
    let done = || matches!(*task.phase.lock(), Phase::Done(_));
    match task.done.wait_killable_timeout(None, done) {
        super::kext::sync::wait::WaitOutcome::Killed => EINTR.to_errno(),
        _ => result_of(*task.phase.lock()),
    }
}

/// See `include/smb/clnt.h`.
///
/// # Safety
///
/// `t` came from `smb_run_task` and is put once.
#[no_mangle]
pub unsafe extern "C" fn smb_task_put(t: *mut bindings::smb_task) {
    if t.is_null() {
        return;
    }
    // SAFETY: the reference `smb_run_task` gave out comes back.
    drop(unsafe { Arc::from_raw(t.cast::<Task>().cast_const()) });
}

crate::abi_check!(bindings; smb_run_task, smb_task_result, smb_task_wait, smb_task_put);
