// SPDX-License-Identifier: GPL-2.0
//! The C ABI of `include/smb/clnt.h`, defined by smbclient.ko over its
//! modules and exported in the "SMB" namespace by `smbclient/exports.c`.
//! Only smbclient includes this file. It converts pointers, buffers and
//! errors; the task state machine is `smbclient/task.rs`
//! (Documentation/abi.rst).
//!
//! A `struct smb_clnt *` handed to C is a `KBox<Clnt>` turned into a raw
//! pointer by `smb_clnt_create` and given back by `smb_clnt_release`.
//! Tasks and asynchronous I/O are in `smbclient_task.rs`.

use super::bindings;
use super::clnt::{Clnt, ClntArgs};
use super::kext::abi::{errno, timeout_ms};
use super::kext::iter::{Direction, KernelIter};
use super::kext::module::ModuleRef;
use super::kext::net::addr::SockAddr;
use super::kext::net::ns::Net;
use super::ops::FileInfo;
use super::session::{Credentials, Secret};
use super::smb_xprt::{Config, Transport};
use super::{SESSIONS, WATCHES};
use kernel::alloc::{flags::GFP_KERNEL, KBox, KVec};
use kernel::error::Result;
use kernel::ffi::{c_char, c_int, c_long, c_void};
use kernel::prelude::*;
use kernel::sync::Arc;

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
        let result = result.and_then(|()| clnt.core.current(Some(30_000)).map(|_| ()));
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
    errno(clnt.core.oplock_ack(fid, level))
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
    match clnt.core.open(
        path,
        a.desired_access,
        a.disposition,
        a.create_options,
        a.oplock_level,
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

/// A NUL-terminated C string as UTF-8 bytes, at most `max` of them.
///
/// # Safety
///
/// `p` is NULL or a valid NUL-terminated string.
pub(crate) unsafe fn cstr<'a>(p: *const c_char, max: usize) -> Result<&'a [u8]> {
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

pub(crate) fn copy(b: &[u8]) -> Result<KVec<u8>> {
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
    // SAFETY: the header's contract: `net` is NULL or a namespace the
    // caller holds a reference on for the call.
    let net = (!args.net.is_null()).then(|| unsafe { Net::from_raw_get(args.net) });
    let xprt = Arc::new(Transport::get_in(&cfg, net.as_ref())?, GFP_KERNEL)?;
    let sessions = SESSIONS.get().ok_or(ENODEV)?;
    let unc = core::str::from_utf8(unc).map_err(|_| EINVAL)?;
    // The box first: a handle, once made, is given up only by release.
    let slot = KBox::<Clnt>::new_uninit(GFP_KERNEL)?;
    let clnt = Clnt::create(
        &sessions,
        ClntArgs {
            xprt,
            unc,
            creds,
            flags: args.flags,
        },
    )?;
    Ok(KBox::write(slot, clnt))
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
pub(crate) unsafe fn borrow<'a>(c: *mut bindings::smb_clnt) -> &'a Clnt {
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
    let s = clnt.core.session();
    let (max_read, max_write) = (s.max_read, s.max_write);
    let v = bindings::smb_clnt_info {
        dialect: s.dialect,
        signing: u8::from(s.signs()),
        guest: u8::from(s.guest),
        tree_id: clnt.core.tree_id(),
        session_id: s.session_id,
        share_flags: clnt.core.share_flags(),
        encrypted: u8::from(clnt.core.seals()),
        max_read,
        max_write,
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
    let r = clnt.core.echo(timeout_ms(timeout));
    errno(r)
}

pub(crate) fn fid_of(f: &bindings::smb_fid) -> super::proto::message::FileId {
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
    errno(clnt.core.close(fid))
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
    // SAFETY: the header's contract for the iterator: valid, and its
    // memory valid until we return, which is after the task gave the
    // cursor back (`'static` stands for that).
    let it = match unsafe { KernelIter::<'static>::from_raw(iter, dir) } {
        Ok(i) => i,
        Err(e) => return e.to_errno() as isize,
    };
    let (r, it) = match dir {
        Direction::Dest => clnt.core.read(fid, offset, it),
        Direction::Source => clnt.core.write(fid, offset, it),
    };
    if let Some(it) = it {
        // SAFETY: `it` was made from `iter`; the C convention advances it.
        unsafe { it.write_back(iter) };
    }
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

pub(crate) fn c_info(i: &FileInfo) -> bindings::smb_file_info {
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
    match clnt.core.getattr(fid) {
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
    errno(clnt.core.rename(fid, path, replace))
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
    errno(clnt.core.delete_on_close(fid))
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
    let r = clnt.core.readdir(fid, &mut |utf16, info, ino| {
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
/// `c` is a live handle; `fid` valid; `buf` writable for `size` bytes.
#[no_mangle]
pub unsafe extern "C" fn smb_clnt_query_dir(
    c: *mut bindings::smb_clnt,
    fid: *const bindings::smb_fid,
    restart: bool,
    buf: *mut c_void,
    size: usize,
) -> isize {
    if buf.is_null() {
        return EINVAL.to_errno() as isize;
    }
    // SAFETY: the header's contract.
    let (clnt, fid) = unsafe { (borrow(c), fid_of(&*fid)) };
    // SAFETY: the header's contract: `buf` is writable for `size` bytes,
    // and nothing else uses it during the call.
    let out = unsafe { core::slice::from_raw_parts_mut(buf.cast::<u8>(), size) };
    match clnt.core.query_dir(
        fid,
        super::proto::query_dir::dir_info_class::ID_FULL_DIRECTORY,
        restart,
        out,
    ) {
        Ok(n) => n as isize,
        Err(e) => e.to_errno() as isize,
    }
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
    errno(clnt.core.flush(fid))
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
    errno(clnt.core.lock(fid, offset, length, flags))
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
    match clnt
        .core
        .query_info(fid, info_type, info_class, additional, out)
    {
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
    errno(
        clnt.core
            .set_info(fid, info_type, info_class, additional, data),
    )
}

crate::abi_check!(bindings; smb_clnt_create, smb_clnt_release, smb_clnt_info, smb_clnt_echo,
    smb_clnt_open, smb_clnt_close, smb_clnt_read, smb_clnt_write, smb_clnt_getattr,
    smb_clnt_rename, smb_clnt_delete, smb_clnt_readdir, smb_clnt_query_dir, smb_clnt_flush, smb_clnt_lock,
    smb_clnt_query_info, smb_clnt_set_info, smb_clnt_watch_fid, smb_clnt_watch_lease,
    smb_clnt_unwatch, smb_clnt_oplock_ack, smb_clnt_open_ex, smb_clnt_set_events);
