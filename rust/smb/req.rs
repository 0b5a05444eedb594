// SPDX-License-Identifier: GPL-2.0
//! Typed operations (`struct smb_req`): up to five, sent as one request
//! or as a compound whose operations after the first are related
//! ([`RELATED`] names the file the CREATE before opened), run in the
//! caller's context ([`Req::run`]) or started with a completion
//! ([`Req::start`], [`ReqDone`]). A [`Req`] owns the paths and buffers
//! its operations use, so that a started one needs nothing of its caller.
//!
//! ```ignore
//! let mut r = Req::new();
//! r.create(c"dir/file", &CreateHow::open(READ_ATTRIBUTES))?
//!     .query_info(RELATED, INFO_FILE, FILE_ALL_INFORMATION, 0, 4096)?
//!     .close(RELATED, true)?;
//! r.run(&clnt)?;
//! let attrs = r.bytes(1);
//! ```

use super::{bindings, Clnt, FileInfo, FileOf, Task};
use core::ops::Deref;
use kernel::alloc::{flags::GFP_KERNEL, KBox, KVec};
use kernel::error::{code::*, Error, Result};
use kernel::str::CStr;

/// Most operations in one request (`SMB_TASK_MAX_OPS`).
pub const MAX_OPS: usize = bindings::SMB_TASK_MAX_OPS as usize;

/// The FileId that, in an operation after the first, means "the file the
/// operation before opened".
pub const RELATED: (u64, u64) = (u64::MAX, u64::MAX);

/// Create contexts a CREATE may ask for (`SMB_CREATE_CTX_*`).
pub mod ctx {
    use super::bindings;
    /// Maximal access (MxAc).
    pub const MXAC: u32 = bindings::SMB_CREATE_CTX_MXAC;
    /// The on-disk file id (QFid).
    pub const QFID: u32 = bindings::SMB_CREATE_CTX_QFID;
    /// A lease, version 2 (RqLs).
    pub const LEASE: u32 = bindings::SMB_CREATE_CTX_LEASE;
}

/// How to create or open (`struct smb_create_op`'s arguments).
#[derive(Clone, Copy, Debug)]
pub struct CreateHow {
    /// FILE_READ_DATA, ... (MS-SMB2 2.2.13.1).
    pub desired_access: u32,
    /// FILE_ATTRIBUTE_* of a new file.
    pub file_attributes: u32,
    /// FILE_SHARE_*.
    pub share_access: u32,
    /// FILE_OPEN, FILE_CREATE, ...
    pub disposition: u32,
    /// FILE_DIRECTORY_FILE, ...
    pub create_options: u32,
    /// SMB2_OPLOCK_LEVEL_* (ignored with a lease).
    pub oplock_level: u8,
    /// [`ctx`] flags.
    pub contexts: u32,
    /// With [`ctx::LEASE`]: the lease key.
    pub lease_key: [u8; 16],
    /// With [`ctx::LEASE`]: the caching asked for (SMB2_LEASE_*).
    pub lease_state: u32,
}

impl CreateHow {
    /// FILE_OPEN of an existing file or directory, shared with all.
    pub fn open(desired_access: u32) -> Self {
        Self {
            desired_access,
            file_attributes: 0,
            share_access: 7,
            disposition: 1,
            create_options: 0,
            oplock_level: 0,
            contexts: 0,
            lease_key: [0; 16],
            lease_state: 0,
        }
    }
}

/// What a CREATE reported.
pub struct Created {
    /// The FileId (persistent, volatile).
    pub fid: (u64, u64),
    /// The oplock granted (0xff: a lease).
    pub oplock_level: u8,
    /// FILE_OPENED, FILE_CREATED, ...
    pub create_action: u32,
    /// Times, sizes and attributes.
    pub info: FileInfo,
    /// [`ctx`] flags of the contexts the reply carried.
    pub contexts: u32,
    /// MxAc: the access the user may have.
    pub maximal_access: u32,
    /// QFid: the file's on-disk id.
    pub disk_file_id: [u8; 16],
    /// QFid: the volume's id.
    pub volume_id: u64,
    /// RqLs: the caching granted.
    pub lease_state: u32,
    /// RqLs: the lease flags.
    pub lease_flags: u32,
    /// RqLs: the lease epoch.
    pub lease_epoch: u16,
}

/// A request of typed operations, with the paths and buffers they use.
pub struct Req {
    ops: [bindings::smb_op; MAX_OPS],
    nr: usize,
    /// Each operation's path (NUL-terminated) or buffer.
    bufs: [KVec<u8>; MAX_OPS],
    error: i32,
}

// SAFETY: the raw pointers in `ops` point into `bufs` (owned) or are null;
// a request belongs to one owner at a time.
unsafe impl Send for Req {}

impl Default for Req {
    fn default() -> Self {
        Self::new()
    }
}

fn raw_fid(f: (u64, u64)) -> bindings::smb_fid {
    bindings::smb_fid {
        persistent: f.0,
        volatile_id: f.1,
    }
}

fn copy_info(i: &FileInfo) -> FileInfo {
    FileInfo {
        creation_time: i.creation_time,
        last_access_time: i.last_access_time,
        last_write_time: i.last_write_time,
        change_time: i.change_time,
        allocation_size: i.allocation_size,
        end_of_file: i.end_of_file,
        attributes: i.attributes,
        nlink: i.nlink,
        delete_pending: i.delete_pending,
        directory: i.directory,
    }
}

fn bytes_of(b: &[u8]) -> Result<KVec<u8>> {
    let mut v = KVec::with_capacity(b.len(), GFP_KERNEL)?;
    v.extend_from_slice(b, GFP_KERNEL)?;
    Ok(v)
}

impl Req {
    /// An empty request.
    pub fn new() -> Self {
        Self {
            // SAFETY: all-zero is a valid `smb_op`: integers, null
            // pointers, and a union of such.
            ops: unsafe { core::mem::zeroed() },
            nr: 0,
            bufs: Default::default(),
            error: 0,
        }
    }

    /// How many operations it has.
    pub fn len(&self) -> usize {
        self.nr
    }

    /// Whether it has none.
    pub fn is_empty(&self) -> bool {
        self.nr == 0
    }

    fn push(&mut self, kind: u32, fid: (u64, u64), buf: KVec<u8>) -> Result<&mut bindings::smb_op> {
        if self.nr >= MAX_OPS {
            return Err(EINVAL);
        }
        let i = self.nr;
        self.nr += 1;
        self.bufs[i] = buf;
        let op = &mut self.ops[i];
        op.kind = kind;
        op.fid = raw_fid(fid);
        Ok(op)
    }

    /// CREATE of `path` (relative to the share).
    pub fn create(&mut self, path: &CStr, how: &CreateHow) -> Result<&mut Self> {
        let op = self.push(
            bindings::SMB_OP_CREATE,
            (0, 0),
            bytes_of(path.to_bytes_with_nul())?,
        )?;
        // SAFETY: the union's member for `kind`; plain data.
        let c = unsafe { op.__bindgen_anon_1.create.as_mut() };
        c.desired_access = how.desired_access;
        c.file_attributes = how.file_attributes;
        c.share_access = how.share_access;
        c.disposition = how.disposition;
        c.create_options = how.create_options;
        c.oplock_level = how.oplock_level;
        c.contexts = how.contexts;
        c.lease_key = how.lease_key;
        c.lease_state = how.lease_state;
        Ok(self)
    }

    /// CLOSE, asking for the final attributes if `postquery`.
    pub fn close(&mut self, fid: (u64, u64), postquery: bool) -> Result<&mut Self> {
        let op = self.push(bindings::SMB_OP_CLOSE, fid, KVec::new())?;
        // SAFETY: as `create`.
        unsafe { op.__bindgen_anon_1.close.as_mut() }.flags = if postquery {
            bindings::SMB_CLOSE_POSTQUERY_ATTRIB as u16
        } else {
            0
        };
        Ok(self)
    }

    fn info(
        &mut self,
        kind: u32,
        fid: (u64, u64),
        class: (u8, u8, u32),
        buf: KVec<u8>,
        len: usize,
    ) -> Result<&mut Self> {
        let op = self.push(kind, fid, buf)?;
        // SAFETY: as `create`.
        let i = unsafe { op.__bindgen_anon_1.info.as_mut() };
        (i.info_type, i.info_class, i.additional) = class;
        i.len = len;
        Ok(self)
    }

    /// QUERY_INFO of up to `size` bytes (at most 64 KiB).
    pub fn query_info(
        &mut self,
        fid: (u64, u64),
        info_type: u8,
        class: u8,
        additional: u32,
        size: usize,
    ) -> Result<&mut Self> {
        let buf = KVec::from_elem(0u8, size.min(65536), GFP_KERNEL)?;
        let kind = bindings::SMB_OP_QUERY_INFO;
        self.info(kind, fid, (info_type, class, additional), buf, 0)
    }

    /// SET_INFO with `data` (MS-FSCC-encoded, at most 64 KiB).
    pub fn set_info(
        &mut self,
        fid: (u64, u64),
        info_type: u8,
        class: u8,
        additional: u32,
        data: &[u8],
    ) -> Result<&mut Self> {
        let kind = bindings::SMB_OP_SET_INFO;
        let buf = bytes_of(data)?;
        self.info(kind, fid, (info_type, class, additional), buf, data.len())
    }

    /// QUERY_DIRECTORY: the next batch of `class` entries, up to `size`
    /// bytes (at most 1 MiB), from the start if `restart`.
    pub fn query_dir(
        &mut self,
        fid: (u64, u64),
        class: u8,
        restart: bool,
        size: usize,
    ) -> Result<&mut Self> {
        let buf = KVec::from_elem(0u8, size.min(1 << 20), GFP_KERNEL)?;
        let op = self.push(bindings::SMB_OP_QUERY_DIR, fid, buf)?;
        // SAFETY: as `create`.
        let d = unsafe { op.__bindgen_anon_1.dir.as_mut() };
        d.info_class = class;
        d.restart = u8::from(restart);
        Ok(self)
    }

    /// FLUSH.
    pub fn flush(&mut self, fid: (u64, u64)) -> Result<&mut Self> {
        self.push(bindings::SMB_OP_FLUSH, fid, KVec::new())?;
        Ok(self)
    }

    /// LOCK of one range (`SMB_LOCK_*` flags).
    pub fn lock(
        &mut self,
        fid: (u64, u64),
        offset: u64,
        length: u64,
        flags: u32,
    ) -> Result<&mut Self> {
        let op = self.push(bindings::SMB_OP_LOCK, fid, KVec::new())?;
        // SAFETY: as `create`.
        let l = unsafe { op.__bindgen_anon_1.lock.as_mut() };
        (l.offset, l.length, l.flags) = (offset, length, flags);
        Ok(self)
    }

    /// IOCTL (`flags`: `SMB_IOCTL_IS_FSCTL`) with `input`, taking up to
    /// `out_size` bytes of output (at most 64 KiB). The input goes at the
    /// start of the buffer, the output after it.
    pub fn ioctl(
        &mut self,
        fid: (u64, u64),
        ctl_code: u32,
        flags: u32,
        input: &[u8],
        out_size: usize,
    ) -> Result<&mut Self> {
        let out_size = out_size.min(65536);
        let total = input.len().checked_add(out_size).ok_or(EINVAL)?;
        let mut buf = KVec::from_elem(0u8, total, GFP_KERNEL)?;
        buf[..input.len()].copy_from_slice(input);
        let op = self.push(bindings::SMB_OP_IOCTL, fid, buf)?;
        // SAFETY: as `create`.
        let io = unsafe { op.__bindgen_anon_1.ioctl.as_mut() };
        (io.ctl_code, io.flags) = (ctl_code, flags);
        io.in_len = input.len();
        io.out_size = out_size;
        Ok(self)
    }

    /// Points the operations at their buffers, and fills in `raw`.
    fn link(&mut self, clnt: &Clnt, raw: &mut bindings::smb_req) {
        for (op, buf) in self.ops.iter_mut().zip(self.bufs.iter_mut()).take(self.nr) {
            let p = buf.as_mut_ptr().cast::<kernel::ffi::c_void>();
            let n = buf.len();
            // SAFETY: the union's member named by `kind` (set by `push`);
            // plain data and pointers into `buf`, which this request owns.
            unsafe {
                let u = &mut op.__bindgen_anon_1;
                match op.kind {
                    bindings::SMB_OP_CREATE => u.create.as_mut().path = p.cast(),
                    bindings::SMB_OP_QUERY_INFO | bindings::SMB_OP_SET_INFO => {
                        let i = u.info.as_mut();
                        i.buf = p;
                        i.size = n;
                    }
                    bindings::SMB_OP_QUERY_DIR => {
                        let d = u.dir.as_mut();
                        d.buf = p;
                        d.size = n;
                    }
                    bindings::SMB_OP_IOCTL => {
                        let io = u.ioctl.as_mut();
                        io.in_ = p.cast_const();
                        io.out = p.cast::<u8>().add(io.in_len).cast();
                    }
                    _ => {}
                }
            }
        }
        raw.clnt = clnt.raw();
        raw.ops = self.ops.as_mut_ptr();
        raw.nr_ops = self.nr as u32;
    }

    /// Runs the request in the caller's context (killably): its first
    /// error (the transport's, or an operation's), each operation's in
    /// [`Req::result`].
    pub fn run(&mut self, clnt: &Clnt) -> Result {
        // SAFETY: all-zero is a valid `smb_req`.
        let mut raw: bindings::smb_req = unsafe { core::mem::zeroed() };
        self.link(clnt, &mut raw);
        // SAFETY: `raw` and the operations and buffers it points to live
        // across the call; a live handle.
        let r = unsafe { bindings::smb_req_sync(&mut raw) };
        self.error = r;
        kernel::error::to_result(r)
    }

    /// The SMB2 command (MS-SMB2 2.2.1.2) operation `i` sends.
    pub fn command(&self, i: usize) -> Option<u16> {
        Some(match self.ops[..self.nr].get(i)?.kind {
            bindings::SMB_OP_CREATE => 5,
            bindings::SMB_OP_CLOSE => 6,
            bindings::SMB_OP_FLUSH => 7,
            bindings::SMB_OP_LOCK => 10,
            bindings::SMB_OP_IOCTL => 11,
            bindings::SMB_OP_QUERY_DIR => 14,
            bindings::SMB_OP_QUERY_INFO => 16,
            bindings::SMB_OP_SET_INFO => 17,
            _ => return None,
        })
    }

    /// Operation `i`'s result.
    pub fn result(&self, i: usize) -> Result {
        match self.ops[..self.nr].get(i) {
            Some(op) => kernel::error::to_result(op.error),
            None => Err(EINVAL),
        }
    }

    /// What CREATE `i` reported.
    pub fn created(&self, i: usize) -> Result<Created> {
        self.result(i)?;
        let op = &self.ops[i];
        if op.kind != bindings::SMB_OP_CREATE {
            return Err(EINVAL);
        }
        // SAFETY: the member for `kind`.
        let c = unsafe { op.__bindgen_anon_1.create.as_ref() };
        Ok(Created {
            fid: (op.fid.persistent, op.fid.volatile_id),
            oplock_level: c.granted_oplock,
            create_action: c.create_action,
            info: copy_info(&c.attrs),
            contexts: c.contexts_found,
            maximal_access: c.maximal_access,
            disk_file_id: c.disk_file_id,
            volume_id: c.volume_id,
            lease_state: c.granted_lease_state,
            lease_flags: c.lease_flags,
            lease_epoch: c.lease_epoch,
        })
    }

    /// The attributes CLOSE `i` reported (with `postquery`), if the
    /// server gave them.
    pub fn closed(&self, i: usize) -> Result<Option<FileInfo>> {
        self.result(i)?;
        let op = &self.ops[i];
        if op.kind != bindings::SMB_OP_CLOSE {
            return Err(EINVAL);
        }
        // SAFETY: the member for `kind`.
        let c = unsafe { op.__bindgen_anon_1.close.as_ref() };
        Ok((c.attrs_valid != 0).then(|| copy_info(&c.attrs)))
    }

    /// The bytes operation `i` returned: QUERY_INFO's answer,
    /// QUERY_DIRECTORY's entries (empty: no more), IOCTL's output.
    pub fn bytes(&self, i: usize) -> &[u8] {
        let (Some(op), Some(buf)) = (self.ops[..self.nr].get(i), self.bufs.get(i)) else {
            return &[];
        };
        if op.error != 0 {
            return &[];
        }
        // SAFETY: the member for `kind`; plain data.
        let (start, len) = unsafe {
            let u = &op.__bindgen_anon_1;
            match op.kind {
                bindings::SMB_OP_QUERY_INFO => (0, u.info.as_ref().len),
                bindings::SMB_OP_QUERY_DIR => (0, u.dir.as_ref().len),
                bindings::SMB_OP_IOCTL => {
                    let io = u.ioctl.as_ref();
                    (io.in_len, io.out_len)
                }
                _ => (0, 0),
            }
        };
        start
            .checked_add(len)
            .and_then(|end| buf.get(start..end))
            .unwrap_or(&[])
    }

    /// The open CREATE `i` made, closed when dropped: for a CREATE that
    /// no CLOSE of the same request closed.
    pub fn file<C: Deref<Target = Clnt>>(&self, i: usize, clnt: C) -> Result<FileOf<C>> {
        let c = self.created(i)?;
        let info = bindings::smb_open_info {
            end_of_file: c.info.end_of_file,
            oplock_level: c.oplock_level,
        };
        Ok(FileOf::new(clnt, raw_fid(c.fid), &info))
    }
}

/// The completion of a request started with [`Req::start`]. `done` is
/// called once, on smbiod (process context, never softirq), on
/// smbclient's workqueue, or in the starter if the request failed before
/// anything was sent; it gets the request back, results filled in, and
/// may start others, but must not wait for a reply.
pub trait ReqDone: Send + Sized + 'static {
    /// The request is over: `result` is its first error.
    fn done(self, req: KBox<Req>, result: Result);
}

/// A started request: the C `struct smb_req` (first: the trampoline finds
/// the box by it), the request and the completion.
#[repr(C)]
struct AsyncReq<T: ReqDone> {
    raw: bindings::smb_req,
    req: Option<KBox<Req>>,
    ctx: Option<T>,
}

struct ReqTable(bindings::smb_req_ops);
// SAFETY: immutable: a module pointer and a function pointer.
unsafe impl Sync for ReqTable {}

impl<T: ReqDone> AsyncReq<T> {
    const TABLE: &'static bindings::smb_req_ops = &ReqTable(bindings::smb_req_ops {
        // The module this wrapper is compiled into: smbclient pins it
        // while the task lives (Documentation/abi.rst).
        owner: <crate::LocalModule as kernel::ModuleMetadata>::THIS_MODULE.as_ptr(),
        done: Some(Self::trampoline),
    })
    .0;

    /// # Safety
    ///
    /// Called by smbclient as the table's `done`, once, with `raw` the
    /// first field of a boxed `AsyncReq<T>` given up by [`Req::start`].
    unsafe extern "C" fn trampoline(raw: *mut bindings::smb_req) {
        // SAFETY: `raw` is the first field of a `#[repr(C)]` `AsyncReq<T>`
        // leaked from a `KBox` by `start`; smbclient calls `done` once and
        // touches the struct no more, so the box is ours again.
        let mut this = unsafe { KBox::from_raw(raw.cast::<Self>()) };
        let e = this.raw.error;
        let (Some(mut req), Some(ctx)) = (this.req.take(), this.ctx.take()) else {
            return;
        };
        req.error = e;
        let result = if e < 0 {
            Err(Error::from_errno(e))
        } else {
            Ok(())
        };
        ctx.done(req, result);
    }
}

impl Req {
    /// Starts the request; `ctx.done` gets it back when it is over. The
    /// request goes out from the caller's context when the session is
    /// ready.
    pub fn start<T: ReqDone>(req: KBox<Self>, clnt: &Clnt, ctx: T) -> Result<Task> {
        let mut this = KBox::new(
            AsyncReq {
                // SAFETY: all-zero is a valid `smb_req`, filled in below.
                raw: unsafe { core::mem::zeroed() },
                req: Some(req),
                ctx: Some(ctx),
            },
            GFP_KERNEL,
        )?;
        let a = &mut *this;
        if let Some(r) = a.req.as_mut() {
            r.link(clnt, &mut a.raw);
        }
        a.raw.cb = AsyncReq::<T>::TABLE;
        let raw = KBox::into_raw(this);
        // SAFETY: `raw` is a valid `smb_req` (the first field) whose
        // operations and buffers (in the boxed `Req`) stay put until
        // `done`, which frees them.
        let t = unsafe { bindings::smb_req_async(raw.cast()) };
        // SAFETY: `raw` is the box given up for this start.
        unsafe { Task::started(t, raw) }
    }
}
