// SPDX-License-Identifier: GPL-2.0
//! The task and asynchronous I/O part of the C ABI of `include/smb/clnt.h`
//! (`smb_run_task`, `smb_read_async`, `smb_write_async`,
//! `smb_task_cancel`, ...), over `smbclient/task.rs` and `smbclient/rw.rs`.
//! Shims only (Documentation/abi.rst).
//!
//! A `struct smb_task *` handed to C is an `Arc<Task>` turned into a raw
//! pointer, given back by `smb_task_put`.

use super::bindings;
use super::exports_clnt::{borrow, fid_of};
use super::kext::abi::{errno, timeout_ms};
use super::kext::iter::{Direction, KernelIter};
use super::kext::module::ModuleRef;
use super::rw::{IoOutcome, IoOwner};
use super::smb_xprt::Reserved;
use super::task::{Task, TaskArgs, TaskOp, TaskOwner, TaskResult, ASYNC, MAX_OPS, REPLAYABLE};
use kernel::alloc::{flags::GFP_KERNEL, KBox, KVec};
use kernel::error::Result;
use kernel::ffi::c_int;
use kernel::prelude::*;
use kernel::sync::{Arc, ArcBorrow};

/// A C caller's task: its setup (operations, iterators, callbacks), the
/// callbacks' module pinned until `release` has run.
struct CTask {
    setup: bindings::smb_task_setup,
    _owner: Option<ModuleRef>,
}

// SAFETY: the setup's pointers are the caller's, valid until `done` (the
// header's contract) and usable from any task; the callbacks may run on
// smbiod or smbclient's workqueue (the header says so).
unsafe impl Send for CTask {}
// SAFETY: as above; shared access only reads the setup.
unsafe impl Sync for CTask {}

impl CTask {
    fn call_back(&self, task: &Arc<Task>, prepare: bool) {
        let cb = self.setup.callbacks;
        if cb.is_null() {
            return;
        }
        // SAFETY: the table is valid while the task lives (its owner is
        // pinned).
        let f = unsafe {
            if prepare {
                (*cb).prepare
            } else {
                (*cb).done
            }
        };
        if let Some(f) = f {
            // SAFETY: the header's contract: the task and the data.
            unsafe { f(Arc::as_ptr(task).cast_mut().cast(), self.setup.data) };
        }
    }
}

impl TaskOwner for CTask {
    fn prepare(&self, task: &Arc<Task>) {
        self.call_back(task, true);
    }

    fn done(&self, task: &Arc<Task>, out: &mut Option<TaskResult>) {
        let s = &self.setup;
        // The operations' replies and statuses, then the iterators as the
        // C convention has them (advanced by what was used).
        if let Some(r) = out.take() {
            if r.result.is_ok() {
                // SAFETY: the setup's operations are valid and the
                // caller's to write until `done` (the header's contract).
                let cops = unsafe { core::slice::from_raw_parts_mut(s.ops, s.nr_ops as usize) };
                for (i, o) in cops.iter_mut().enumerate() {
                    let pdu = r.rsp(i);
                    let keep = pdu.len().min(o.rsp_size);
                    if keep > 0 {
                        // SAFETY: `rsp` is writable for `rsp_size` bytes.
                        unsafe {
                            core::ptr::copy_nonoverlapping(pdu.as_ptr(), o.rsp.cast::<u8>(), keep)
                        };
                    }
                    let op = r.ops.get(i);
                    o.rsp_len = op.map_or(0, |op| op.rsp_len);
                    o.status = op.map_or(0, |op| op.status);
                }
            }
            // SAFETY: each cursor was made from the setup's iterator.
            unsafe { write_back(s, r.send.as_ref(), r.recv.as_ref()) };
        }
        self.call_back(task, false);
    }
}

impl Drop for CTask {
    fn drop(&mut self) {
        let cb = self.setup.callbacks;
        if cb.is_null() {
            return;
        }
        // SAFETY: the table is valid until `_owner` goes (after this);
        // `release` gets the setup's data.
        unsafe {
            if let Some(release) = (*cb).release {
                release(self.setup.data);
            }
        }
    }
}

/// Writes the task's cursors back to the setup's iterators.
///
/// # Safety
///
/// The setup's iterators are valid and the cursors were made from them.
unsafe fn write_back(
    s: &bindings::smb_task_setup,
    send: Option<&KernelIter<'static>>,
    recv: Option<&KernelIter<'static>>,
) {
    // SAFETY: the caller's contract.
    unsafe {
        if let (Some(i), false) = (send, s.send_data.is_null()) {
            i.write_back(s.send_data);
        }
        if let (Some(i), false) = (recv, s.recv_data.is_null()) {
            i.write_back(s.recv_data);
        }
    }
}

/// The setup's operations, their requests copied (the caller's buffers
/// are then left alone until `done` writes the replies).
///
/// # Safety
///
/// The setup's operations and their buffers are valid.
unsafe fn ops_of(s: &bindings::smb_task_setup) -> Result<KVec<TaskOp>> {
    let n = s.nr_ops as usize;
    if s.ops.is_null() || n == 0 || n > MAX_OPS {
        return Err(EINVAL);
    }
    // SAFETY: the caller's contract.
    let cops = unsafe { core::slice::from_raw_parts(s.ops, n) };
    let mut list = KVec::with_capacity(n, GFP_KERNEL)?;
    for o in cops.iter() {
        if o.req.is_null() || o.rsp.is_null() {
            return Err(EINVAL);
        }
        // SAFETY: the caller's contract: `req` is valid for `req_len`.
        let req = unsafe { core::slice::from_raw_parts(o.req.cast::<u8>(), o.req_len) };
        let mut buf = KVec::with_capacity(req.len(), GFP_KERNEL)?;
        buf.extend_from_slice(req, GFP_KERNEL)?;
        list.push(
            TaskOp::new(o.command, o.credit_charge, buf, o.rsp_size),
            GFP_KERNEL,
        )?;
    }
    Ok(list)
}

/// Starts a task for `s`: a synchronous one is over when this returns.
///
/// # Safety
///
/// `s` is a valid setup (the header's contract).
unsafe fn start(s: &bindings::smb_task_setup) -> Result<Arc<Task>> {
    let known = bindings::SMB_TASK_ASYNC | bindings::SMB_TASK_REPLAYABLE;
    if s.clnt.is_null() || s.flags & !known != 0 {
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
    // SAFETY: the header's contract for the operations.
    let ops = unsafe { ops_of(s) }?;
    // SAFETY: NULL or kernel-backed iterators over memory valid until
    // `done` (the header's contract), which is what `'static` stands for.
    let (send, recv) = unsafe {
        (
            KernelIter::<'static>::from_raw_opt(s.send_data, Direction::Source)?,
            KernelIter::<'static>::from_raw_opt(s.recv_data, Direction::Dest)?,
        )
    };
    let mut flags = 0;
    if s.flags & bindings::SMB_TASK_ASYNC != 0 {
        flags |= ASYNC;
    }
    if s.flags & bindings::SMB_TASK_REPLAYABLE != 0 {
        flags |= REPLAYABLE;
    }
    let ctask: KBox<dyn TaskOwner> = KBox::new(
        CTask {
            // SAFETY: a plain C struct of pointers and integers.
            setup: unsafe { core::ptr::read(s) },
            _owner: owner,
        },
        GFP_KERNEL,
    )?;
    let task = Task::new(
        &clnt.core,
        TaskArgs {
            ops,
            send,
            recv,
            flags,
            timeout_ms: timeout_ms(s.timeout),
            credits: None,
        },
        ctask,
    )?;
    task.start();
    Ok(task)
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
    match unsafe { start(&*setup) } {
        Ok(t) => Arc::into_raw(t).cast_mut().cast(),
        Err(e) => e.to_ptr(),
    }
}

/// # Safety
///
/// `t` came from `smb_run_task` and was not put.
unsafe fn task_of<'a>(t: *mut bindings::smb_task) -> ArcBorrow<'a, Task> {
    // SAFETY: the caller's contract: the pointer holds a reference.
    unsafe { ArcBorrow::from_raw(t.cast::<Task>().cast_const()) }
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
    // Stored before `done` is called: a caller that learns of the end
    // from its `done` reads it right away.
    task.result().map_or(EINPROGRESS.to_errno(), errno)
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
    errno(task.wait())
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
    if flags & !bindings::SMB_TASK_REPLAYABLE != 0 {
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
    match unsafe { start(&setup) } {
        Ok(t) => t.result().map_or(EINVAL.to_errno(), errno),
        Err(e) => e.to_errno(),
    }
}

crate::abi_check!(bindings; smb_call_sync, smb_run_task, smb_task_result, smb_task_wait, smb_task_put);

/// See `include/smb/clnt.h`.
///
/// # Safety
///
/// `c` is a live handle.
#[no_mangle]
pub unsafe extern "C" fn smb_clnt_abort(c: *mut bindings::smb_clnt) -> c_int {
    // SAFETY: the header's contract.
    let clnt = unsafe { borrow(c) };
    errno(clnt.abort())
}

/// See `include/smb/clnt.h`.
///
/// # Safety
///
/// `t` is a task the caller holds.
#[no_mangle]
pub unsafe extern "C" fn smb_task_cancel(t: *mut bindings::smb_task) -> c_int {
    if t.is_null() {
        return EINVAL.to_errno();
    }
    // SAFETY: the header's contract.
    let task: Arc<Task> = unsafe { task_of(t) }.into();
    if task.cancel() {
        0
    } else {
        EALREADY.to_errno()
    }
}

/// A C caller's asynchronous READ or WRITE: its `struct smb_io`, with the
/// callbacks' module pinned until the task goes.
struct CIo {
    io: *mut bindings::smb_io,
    _owner: Option<ModuleRef>,
}

// SAFETY: the `smb_io` is the caller's, valid until `done` has returned
// and usable from any task (the header's contract).
unsafe impl Send for CIo {}
// SAFETY: shared access touches nothing; only `done` writes, once.
unsafe impl Sync for CIo {}

impl IoOwner for CIo {
    fn done(&self, _task: &Arc<Task>, out: IoOutcome) {
        let io = self.io;
        // SAFETY: `io` is valid and the caller's to read until `done` has
        // returned; `iter` is valid as the header says, and the cursor was
        // made from it.
        unsafe {
            if let Some(it) = out.iter.as_ref() {
                it.write_back((*io).iter);
            }
            (*io).error = errno(out.result.map(|_| ()));
            (*io).transferred = out.result.unwrap_or(0);
            (*io).eof = u8::from(out.eof);
            if let Some(done) = (*(*io).ops).done {
                done(io);
            }
        }
    }
}

/// Starts `io` in direction `dir`.
///
/// # Safety
///
/// `io` is valid as the header says.
unsafe fn start_io(io: *mut bindings::smb_io, dir: Direction) -> Result<Arc<Task>> {
    if io.is_null() {
        return Err(EINVAL);
    }
    // SAFETY: the header's contract.
    let r = unsafe { &*io };
    if r.clnt.is_null() || r.iter.is_null() || r.ops.is_null() {
        return Err(EINVAL);
    }
    // SAFETY: `ops` is a valid table whose owner is NULL or a module.
    let owner = unsafe { ModuleRef::get((*r.ops).owner) }?;
    // SAFETY: the header's contract: a live handle.
    let clnt = unsafe { borrow(r.clnt) };
    // SAFETY: a kernel-backed iterator over memory valid until `done`
    // (the header's contract), which is what `'static` stands for.
    let it = unsafe { KernelIter::<'static>::from_raw(r.iter, dir) }?;
    let fid = fid_of(&r.fid);
    let cio: KBox<dyn IoOwner> = KBox::new(
        CIo {
            io,
            _owner: Some(owner),
        },
        GFP_KERNEL,
    )?;
    // SAFETY: `credits` is NULL or a valid reservation whose `priv` is
    // NULL or ours (`smb_clnt_reserve`), used by one caller at a time (the
    // header's contract).
    let credits = unsafe { r.credits.as_mut() };
    let mut reserved = credits.and_then(|cr| (!cr.priv_.is_null()).then_some(cr));
    let res = reserved.as_mut().map(|cr| {
        // SAFETY: as above: a `KBox<Reserved>` turned into `priv`.
        unsafe { &mut *cr.priv_.cast::<Reserved>() }
    });
    let t = match dir {
        Direction::Dest => clnt.core.read_async(fid, r.offset, it, cio, res),
        Direction::Source => clnt.core.write_async(fid, r.offset, it, cio, res),
    };
    if let Some(cr) = reserved {
        // SAFETY: as above.
        let left = unsafe { &*cr.priv_.cast::<Reserved>() }.credits();
        cr.bytes = usize::from(left) * CREDIT_BYTES;
    }
    t
}

/// What one credit covers (MS-SMB2 3.1.5.2).
const CREDIT_BYTES: usize = 65536;

/// See `include/smb/clnt.h`.
///
/// # Safety
///
/// `c` is a live handle; `cr` writable, and not holding a reservation.
#[no_mangle]
pub unsafe extern "C" fn smb_clnt_reserve(
    c: *mut bindings::smb_clnt,
    bytes: usize,
    cr: *mut bindings::smb_credits,
) -> usize {
    if cr.is_null() {
        return 0;
    }
    // SAFETY: the header's contract.
    let (clnt, cr) = unsafe { (borrow(c), &mut *cr) };
    cr.bytes = 0;
    cr.priv_ = core::ptr::null_mut();
    let r = clnt.core.reserve(bytes);
    let covered = usize::from(r.credits()) * CREDIT_BYTES;
    if covered == 0 {
        return 0;
    }
    match KBox::new(r, GFP_KERNEL) {
        Ok(b) => {
            cr.priv_ = KBox::into_raw(b).cast();
            cr.bytes = covered;
            covered
        }
        // The reservation went back as it was dropped.
        Err(_) => 0,
    }
}

/// See `include/smb/clnt.h`.
///
/// # Safety
///
/// `cr` is NULL or a reservation from `smb_clnt_reserve`.
#[no_mangle]
pub unsafe extern "C" fn smb_clnt_unreserve(cr: *mut bindings::smb_credits) {
    // SAFETY: the header's contract.
    let Some(cr) = (unsafe { cr.as_mut() }) else {
        return;
    };
    if !cr.priv_.is_null() {
        // SAFETY: `priv` is the `KBox<Reserved>` `smb_clnt_reserve` made;
        // given back once (set to NULL here).
        drop(unsafe { KBox::from_raw(cr.priv_.cast::<Reserved>()) });
    }
    cr.priv_ = core::ptr::null_mut();
    cr.bytes = 0;
}

/// See `include/smb/clnt.h`.
///
/// # Safety
///
/// As the header says.
#[no_mangle]
pub unsafe extern "C" fn smb_read_async(io: *mut bindings::smb_io) -> *mut bindings::smb_task {
    // SAFETY: the header's contract.
    match unsafe { start_io(io, Direction::Dest) } {
        Ok(t) => Arc::into_raw(t).cast_mut().cast(),
        Err(e) => e.to_ptr(),
    }
}

/// See `include/smb/clnt.h`.
///
/// # Safety
///
/// As the header says.
#[no_mangle]
pub unsafe extern "C" fn smb_write_async(io: *mut bindings::smb_io) -> *mut bindings::smb_task {
    // SAFETY: the header's contract.
    match unsafe { start_io(io, Direction::Source) } {
        Ok(t) => Arc::into_raw(t).cast_mut().cast(),
        Err(e) => e.to_ptr(),
    }
}

crate::abi_check!(bindings; smb_task_cancel, smb_clnt_abort, smb_read_async, smb_write_async,
    smb_clnt_reserve, smb_clnt_unreserve);
