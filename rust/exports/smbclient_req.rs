// SPDX-License-Identifier: GPL-2.0
//! The typed-operation part of the C ABI of `include/smb/clnt.h`
//! (`smb_req_sync`, `smb_req_async`), over `smbclient/typed.rs` and
//! `smbclient/req.rs`. Shims only (Documentation/abi.rst): the C
//! operations become [`Op`]s when the request starts, and their results
//! are written back into the caller's `struct smb_op`s before it ends.

use super::bindings;
use super::exports_clnt::{borrow, c_info, copy, cstr, fid_of};
use super::kext::module::ModuleRef;
use super::proto::message::FileId;
use super::req::{ReqOutcome, ReqOwner};
use super::task::{Task, MAX_OPS};
use super::typed::{CreateArgs, Op, OpOut, MAX_DIR_BATCH, MAX_INFO};
use kernel::alloc::{flags::GFP_KERNEL, KBox, KVec};
use kernel::error::Result;
use kernel::prelude::*;
use kernel::sync::Arc;

/// `Op`s for the caller's operations.
///
/// # Safety
///
/// `req` is valid as the header says: `ops` points to `nr_ops` operations
/// whose strings and buffers are valid.
unsafe fn ops_of(req: &bindings::smb_req) -> Result<KVec<Op>> {
    let nr = req.nr_ops as usize;
    if req.clnt.is_null() || req.ops.is_null() || nr == 0 || nr > MAX_OPS {
        return Err(EINVAL);
    }
    // SAFETY: the caller's contract: `nr` valid operations.
    let cops = unsafe { core::slice::from_raw_parts(req.ops, nr) };
    // SAFETY: the header's contract: a live handle.
    let clnt = unsafe { borrow(req.clnt) };
    let mut ops = KVec::with_capacity(nr, GFP_KERNEL)?;
    for c in cops {
        let fid = fid_of(&c.fid);
        // SAFETY: `kind` says which member of the union the caller filled
        // in; each is plain data and pointers valid as the header says.
        let op = unsafe {
            match c.kind {
                bindings::SMB_OP_CREATE => {
                    let a = c.__bindgen_anon_1.create.as_ref();
                    let path = cstr(a.path, 4096)?;
                    let mut args: CreateArgs = clnt.core.create_args(
                        path,
                        a.desired_access,
                        a.disposition,
                        a.create_options,
                    )?;
                    args.file_attributes = a.file_attributes;
                    args.share_access = a.share_access;
                    args.oplock_level = a.oplock_level;
                    args.contexts = a.contexts;
                    args.lease_key = a.lease_key;
                    args.lease_state = a.lease_state;
                    Op::Create(KBox::new(args, GFP_KERNEL)?)
                }
                bindings::SMB_OP_CLOSE => Op::Close {
                    fid,
                    postquery: c.__bindgen_anon_1.close.as_ref().flags
                        & bindings::SMB_CLOSE_POSTQUERY_ATTRIB as u16
                        != 0,
                },
                bindings::SMB_OP_QUERY_INFO => {
                    let i = c.__bindgen_anon_1.info.as_ref();
                    if i.buf.is_null() {
                        return Err(EINVAL);
                    }
                    Op::QueryInfo {
                        fid,
                        info_type: i.info_type,
                        class: i.info_class,
                        additional: i.additional,
                        size: i.size.min(MAX_INFO),
                    }
                }
                bindings::SMB_OP_SET_INFO => {
                    let i = c.__bindgen_anon_1.info.as_ref();
                    if i.len > MAX_INFO || (i.buf.is_null() && i.len > 0) {
                        return Err(EINVAL);
                    }
                    let buf = if i.len == 0 {
                        KVec::new()
                    } else {
                        copy(core::slice::from_raw_parts(i.buf.cast::<u8>(), i.len))?
                    };
                    Op::SetInfo {
                        fid,
                        info_type: i.info_type,
                        class: i.info_class,
                        additional: i.additional,
                        buf,
                    }
                }
                bindings::SMB_OP_QUERY_DIR => {
                    let d = c.__bindgen_anon_1.dir.as_ref();
                    if d.buf.is_null() {
                        return Err(EINVAL);
                    }
                    Op::QueryDir {
                        fid,
                        class: d.info_class,
                        restart: d.restart != 0,
                        size: d.size.min(MAX_DIR_BATCH),
                    }
                }
                bindings::SMB_OP_FLUSH => Op::Flush { fid },
                bindings::SMB_OP_LOCK => {
                    let l = c.__bindgen_anon_1.lock.as_ref();
                    Op::Lock {
                        fid,
                        offset: l.offset,
                        length: l.length,
                        flags: l.flags,
                    }
                }
                bindings::SMB_OP_IOCTL => {
                    let i = c.__bindgen_anon_1.ioctl.as_ref();
                    if i.in_len > MAX_INFO
                        || (i.in_.is_null() && i.in_len > 0)
                        || (i.out.is_null() && i.out_size > 0)
                    {
                        return Err(EINVAL);
                    }
                    let input = if i.in_len == 0 {
                        KVec::new()
                    } else {
                        copy(core::slice::from_raw_parts(i.in_.cast::<u8>(), i.in_len))?
                    };
                    Op::Ioctl {
                        fid,
                        ctl_code: i.ctl_code,
                        flags: i.flags,
                        input,
                        max_output: i.out_size.min(MAX_INFO),
                    }
                }
                _ => return Err(EINVAL),
            }
        };
        ops.push(op, GFP_KERNEL)?;
    }
    Ok(ops)
}

fn c_fid(f: FileId) -> bindings::smb_fid {
    bindings::smb_fid {
        persistent: f.persistent,
        volatile_id: f.volatile,
    }
}

/// Copies `bytes` into the caller's buffer `buf` of `size` bytes.
///
/// # Safety
///
/// `buf` is valid for `size` bytes of writes.
unsafe fn put(bytes: &[u8], buf: *mut c_void, size: usize) -> Result<usize> {
    if bytes.len() > size {
        return Err(EMSGSIZE);
    }
    if !bytes.is_empty() {
        // SAFETY: the caller's contract; `bytes` is ours, no overlap.
        unsafe {
            core::ptr::copy_nonoverlapping(bytes.as_ptr(), buf.cast::<u8>(), bytes.len());
        }
    }
    Ok(bytes.len())
}

/// Writes the results of `out` into the caller's request.
///
/// # Safety
///
/// `req` is valid and writable as the header says, as are its operations
/// and their buffers; `kind`s are the ones `ops_of` accepted.
unsafe fn write_back(req: *mut bindings::smb_req, out: &ReqOutcome) {
    // SAFETY: the caller's contract.
    let r = unsafe { &mut *req };
    let nr = (r.nr_ops as usize).min(MAX_OPS);
    // SAFETY: as above: `nr` valid operations.
    let cops = unsafe { core::slice::from_raw_parts_mut(r.ops, nr) };
    let mut first: Result = out.result;
    for (i, c) in cops.iter_mut().enumerate() {
        // SAFETY: the member named by `kind` (checked by `ops_of`), plain
        // data; its buffers valid for their sizes.
        let res = out.out(i).and_then(|o| unsafe {
            let u = &mut c.__bindgen_anon_1;
            match o {
                OpOut::Create(cr) => {
                    c.fid = c_fid(cr.fid);
                    let a = u.create.as_mut();
                    a.granted_oplock = cr.oplock_level;
                    a.create_action = cr.create_action;
                    a.attrs = c_info(&cr.attrs);
                    a.contexts_found = cr.contexts;
                    a.maximal_access = cr.maximal_access;
                    a.disk_file_id = cr.disk_file_id;
                    a.volume_id = cr.volume_id;
                    a.granted_lease_state = cr.lease_state;
                    a.lease_flags = cr.lease_flags;
                    a.lease_epoch = cr.lease_epoch;
                    Ok(())
                }
                OpOut::Close(cl) => {
                    let a = u.close.as_mut();
                    a.attrs_valid = u8::from(cl.valid);
                    a.attrs = c_info(&cl.attrs);
                    Ok(())
                }
                OpOut::Bytes(_) => {
                    let bytes = out.bytes(i);
                    match c.kind {
                        bindings::SMB_OP_QUERY_INFO => {
                            let q = u.info.as_mut();
                            put(bytes, q.buf, q.size).map(|n| q.len = n)
                        }
                        bindings::SMB_OP_QUERY_DIR => {
                            let d = u.dir.as_mut();
                            put(bytes, d.buf, d.size).map(|n| d.len = n)
                        }
                        bindings::SMB_OP_IOCTL => {
                            let io = u.ioctl.as_mut();
                            put(bytes, io.out, io.out_size).map(|n| io.out_len = n)
                        }
                        _ => Err(EINVAL),
                    }
                }
                OpOut::Done => Ok(()),
            }
        });
        c.error = res.err().map_or(0, |e| e.to_errno());
        if first.is_ok() {
            first = res;
        }
    }
    r.error = first.err().map_or(0, |e| e.to_errno());
}

/// A C caller's asynchronous request, with the callbacks' module pinned
/// until the task goes.
struct CReq {
    req: *mut bindings::smb_req,
    _owner: Option<ModuleRef>,
}

// SAFETY: the `smb_req` is the caller's, valid until `done` has returned
// and usable from any task (the header's contract).
unsafe impl Send for CReq {}
// SAFETY: shared access touches nothing; only `done` writes, once.
unsafe impl Sync for CReq {}

impl ReqOwner for CReq {
    fn done(&self, _task: &Arc<Task>, out: ReqOutcome) {
        let req = self.req;
        // SAFETY: `req` is valid until `done` has returned (the header's
        // contract); `cb` was checked when it started.
        unsafe {
            write_back(req, &out);
            if let Some(done) = (*(*req).cb).done {
                done(req);
            }
        }
    }
}

/// See `include/smb/clnt.h`.
///
/// # Safety
///
/// As the header says.
#[no_mangle]
pub unsafe extern "C" fn smb_req_sync(req: *mut bindings::smb_req) -> c_int {
    if req.is_null() {
        return EINVAL.to_errno();
    }
    // SAFETY: the header's contract.
    let r = unsafe { &*req };
    // SAFETY: as above.
    let ops = match unsafe { ops_of(r) } {
        Ok(o) => o,
        Err(e) => {
            // SAFETY: as above.
            unsafe { (*req).error = e.to_errno() };
            return e.to_errno();
        }
    };
    // SAFETY: the header's contract: a live handle.
    let clnt = unsafe { borrow(r.clnt) };
    let out = clnt.core.run_ops(&ops);
    // SAFETY: as above.
    unsafe {
        write_back(req, &out);
        (*req).error
    }
}

/// See `include/smb/clnt.h`.
///
/// # Safety
///
/// As the header says.
#[no_mangle]
pub unsafe extern "C" fn smb_req_async(req: *mut bindings::smb_req) -> *mut bindings::smb_task {
    // SAFETY: the header's contract.
    match unsafe { start(req) } {
        Ok(t) => Arc::into_raw(t).cast_mut().cast(),
        Err(e) => e.to_ptr(),
    }
}

/// # Safety
///
/// As the header says.
unsafe fn start(req: *mut bindings::smb_req) -> Result<Arc<Task>> {
    if req.is_null() {
        return Err(EINVAL);
    }
    // SAFETY: the header's contract.
    let r = unsafe { &*req };
    if r.cb.is_null() {
        return Err(EINVAL);
    }
    // SAFETY: `cb` is a valid table whose owner is NULL or a module.
    let owner = unsafe { ModuleRef::get((*r.cb).owner) }?;
    // SAFETY: as above.
    let ops = unsafe { ops_of(r) }?;
    // SAFETY: the header's contract: a live handle.
    let clnt = unsafe { borrow(r.clnt) };
    let creq: KBox<dyn ReqOwner> = KBox::new(
        CReq {
            req,
            _owner: Some(owner),
        },
        GFP_KERNEL,
    )?;
    clnt.core.start_ops(ops, creq)
}

crate::abi_check!(bindings; smb_req_sync, smb_req_async);
