// SPDX-License-Identifier: GPL-2.0
//! Kernel-backed I/O iterators, and lending one to other contexts for a
//! scope.
//!
//! A [`KernelIter`] is an `iov_iter` of type `ITER_KVEC`, `ITER_BVEC`,
//! `ITER_FOLIOQ` or `ITER_XARRAY`: memory the kernel can reach from any
//! context, softirq and workqueues included. User-backed iterators are
//! refused; callers holding user memory pin it into a bvec first
//! (`iov_iter_extract_pages`), because a kworker has no user mm and softirq
//! may not fault.
//!
//! An [`IterSlot`] hands an iterator to code running elsewhere (the
//! receive path, in softirq) until it is taken back: every use happens
//! under the slot's bottom-half spinlock, so nothing uses it once
//! [`IterSlot::take`] has returned.

use super::super::bindings;
use super::sync::bh::SpinLockBh;
use core::marker::PhantomData;
use kernel::alloc::{
    flags::{GFP_KERNEL, __GFP_ZERO},
    KVec,
};
use kernel::error::{code::*, Result};
use kernel::page::{Page, PAGE_SIZE};
use kernel::prelude::*;

/// Which way data moves through an iterator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Data is read out of the iterator (`ITER_SOURCE`: what is sent).
    Source,
    /// Data is written into the iterator (`ITER_DEST`: what is received).
    Dest,
}

/// An `iov_iter` over kernel memory that is borrowed for `'a`.
///
/// It is a cursor: copies advance it. It remembers where it started, so
/// it can be rewound to there (a request sent again) but never before.
pub struct KernelIter<'a> {
    raw: bindings::iov_iter,
    dir: Direction,
    start_count: usize,
    _mem: PhantomData<&'a mut [u8]>,
}

// SAFETY: the iterator describes kernel memory (checked at construction),
// which any task or softirq may access; nothing in it is tied to the thread
// that built it.
unsafe impl Send for KernelIter<'_> {}

impl<'a> KernelIter<'a> {
    /// [`KernelIter::from_raw`] of an iterator that may be absent (NULL).
    ///
    /// # Safety
    ///
    /// `raw` is NULL, or as [`KernelIter::from_raw`] requires.
    pub unsafe fn from_raw_opt(
        raw: *const bindings::iov_iter,
        dir: Direction,
    ) -> Result<Option<Self>> {
        if raw.is_null() {
            return Ok(None);
        }
        // SAFETY: the caller's contract.
        unsafe { Self::from_raw(raw, dir) }.map(Some)
    }

    /// Takes a copy of the caller's iterator `*raw` as the cursor.
    ///
    /// Fails with `EFAULT` for a user-backed (or discard) iterator and with
    /// `EINVAL` if it runs the other way from `dir`.
    ///
    /// # Safety
    ///
    /// `raw` points to a valid `iov_iter` whose memory stays valid, and is
    /// accessed by nobody else in the way this iterator accesses it, for
    /// `'a`.
    pub unsafe fn from_raw(raw: *const bindings::iov_iter, dir: Direction) -> Result<Self> {
        // SAFETY: `raw` is valid (caller); an iov_iter is a plain cursor
        // that may be copied by value.
        let copy = unsafe { core::ptr::read(raw) };
        Self::checked(copy, dir)
    }

    fn checked(raw: bindings::iov_iter, dir: Direction) -> Result<Self> {
        // SAFETY: `raw` is a valid iov_iter.
        if !unsafe { bindings::smb_helper_iov_iter_is_kernel(&raw) } {
            return Err(EFAULT);
        }
        // SAFETY: as above.
        let source = unsafe { bindings::smb_helper_iov_iter_is_source(&raw) };
        if source != (dir == Direction::Source) {
            return Err(EINVAL);
        }
        // SAFETY: as above.
        let start_count = unsafe { bindings::smb_helper_iov_iter_count(&raw) };
        Ok(Self {
            raw,
            dir,
            start_count,
            _mem: PhantomData,
        })
    }

    /// An iterator over the buffers in `bufs`: the source of what is sent
    /// (`Direction::Source`) or the destination of what is received.
    pub fn from_kvecs(bufs: &'a [KvecBuf<'a>], dir: Direction) -> Result<Self> {
        let mut len = 0usize;
        for b in bufs {
            len = len.checked_add(b.kvec.iov_len).ok_or(EOVERFLOW)?;
        }
        // SAFETY: all-zero is a valid iov_iter to initialise.
        let mut raw: bindings::iov_iter = unsafe { core::mem::zeroed() };
        // SAFETY: `KvecBuf` is a transparent `kvec` describing memory
        // borrowed for `'a`, and the array itself is borrowed for `'a`.
        unsafe {
            bindings::iov_iter_kvec(
                &mut raw,
                dir_flag(dir),
                bufs.as_ptr().cast::<bindings::kvec>(),
                bufs.len(),
                len,
            )
        };
        Self::checked(raw, dir)
    }

    /// An iterator over `bvecs`.
    ///
    /// # Safety
    ///
    /// The pages `bvecs` name, in the ranges they name, stay valid for
    /// `'a` and are not otherwise accessed in the way the iterator does.
    pub unsafe fn from_bvecs(bvecs: &'a [bindings::bio_vec], dir: Direction) -> Result<Self> {
        let mut len = 0usize;
        for b in bvecs {
            len = len.checked_add(b.bv_len as usize).ok_or(EOVERFLOW)?;
        }
        // SAFETY: all-zero is a valid iov_iter to initialise.
        let mut raw: bindings::iov_iter = unsafe { core::mem::zeroed() };
        // SAFETY: `bvecs` outlives the iterator; the pages are the caller's
        // contract.
        unsafe {
            bindings::iov_iter_bvec(&mut raw, dir_flag(dir), bvecs.as_ptr(), bvecs.len(), len)
        };
        Self::checked(raw, dir)
    }

    /// Which way the iterator runs.
    pub fn direction(&self) -> Direction {
        self.dir
    }

    /// Bytes left.
    pub fn count(&self) -> usize {
        // SAFETY: `raw` is a valid iov_iter.
        unsafe { bindings::smb_helper_iov_iter_count(&self.raw) }
    }

    /// Bytes consumed since the iterator was made.
    pub fn consumed(&self) -> usize {
        self.start_count - self.count()
    }

    /// Moves the cursor back to where the iterator started.
    pub fn rewind(&mut self) {
        let n = self.consumed();
        // SAFETY: the iterator advanced by exactly `n` bytes since it was
        // made, so reverting `n` stays within its array.
        unsafe { bindings::iov_iter_revert(&mut self.raw, n) };
    }

    /// Skips `n` bytes (at most what is left).
    pub fn advance(&mut self, n: usize) {
        let n = n.min(self.count());
        // SAFETY: `n` is within what is left.
        unsafe { bindings::iov_iter_advance(&mut self.raw, n) };
    }

    /// Copies `src` into a destination iterator; returns how many bytes fit.
    pub fn copy_to(&mut self, src: &[u8]) -> Result<usize> {
        if self.dir != Direction::Dest {
            return Err(EINVAL);
        }
        // SAFETY: `src` is readable for its length; the iterator's memory
        // is kernel memory valid for `'a`.
        Ok(unsafe { bindings::_copy_to_iter(src.as_ptr().cast(), src.len(), &mut self.raw) })
    }

    /// Copies out of a source iterator into `dst`; returns how many bytes.
    pub fn copy_from(&mut self, dst: &mut [u8]) -> Result<usize> {
        if self.dir != Direction::Source {
            return Err(EINVAL);
        }
        // SAFETY: `dst` is writable for its length; the iterator's memory
        // is kernel memory valid for `'a`.
        Ok(unsafe { bindings::_copy_from_iter(dst.as_mut_ptr().cast(), dst.len(), &mut self.raw) })
    }

    /// A second cursor over the same remaining bytes, for reading them
    /// without consuming this one (e.g. to sign what will be sent). Only a
    /// source iterator may be duplicated (`EINVAL` otherwise): two cursors
    /// writing the same memory would alias.
    pub fn duplicate(&self) -> Result<KernelIter<'_>> {
        if self.dir != Direction::Source {
            return Err(EINVAL);
        }
        Ok(KernelIter {
            // SAFETY: an iov_iter may be copied by value; the copy reads the
            // same memory, and borrowing `self` keeps the cursor from being
            // used meanwhile. Both only read.
            raw: unsafe { core::ptr::read(&self.raw) },
            dir: self.dir,
            start_count: self.count(),
            _mem: PhantomData,
        })
    }

    /// Where a destination iterator stands now, so that the bytes written
    /// from here on can be read back later ([`IterMark::reread`]).
    pub fn mark(&self) -> IterMark<'a> {
        IterMark {
            // SAFETY: an iov_iter may be copied by value; the mark is never
            // used to write.
            raw: unsafe { core::ptr::read(&self.raw) },
            _mem: PhantomData,
        }
    }

    /// Runs `f` with the iterator limited to `n` bytes (fewer if fewer are
    /// left), then lifts the limit.
    pub fn limited<R>(&mut self, n: usize, f: impl FnOnce(&mut Self) -> R) -> R {
        // SAFETY: `raw` is a valid iov_iter.
        let cut = unsafe { bindings::smb_helper_iov_iter_truncate(&mut self.raw, n) };
        let r = f(self);
        // SAFETY: gives back exactly what was cut off.
        unsafe { bindings::smb_helper_iov_iter_reexpand(&mut self.raw, self.count() + cut) };
        r
    }

    /// Limits the iterator to `n` bytes (fewer if fewer are left) until
    /// [`KernelIter::reexpand`]; returns how many were cut off. What was
    /// consumed before stays rewindable.
    pub fn truncate(&mut self, n: usize) -> usize {
        // SAFETY: `raw` is a valid iov_iter.
        let cut = unsafe { bindings::smb_helper_iov_iter_truncate(&mut self.raw, n) };
        self.start_count = self.start_count.saturating_sub(cut);
        cut
    }

    /// Gives back `cut` bytes a [`KernelIter::truncate`] cut off.
    pub fn reexpand(&mut self, cut: usize) {
        // SAFETY: gives back exactly what was cut off (the caller's
        // contract: `cut` came from `truncate` on this iterator).
        unsafe { bindings::smb_helper_iov_iter_reexpand(&mut self.raw, self.count() + cut) };
        self.start_count = self.start_count.saturating_add(cut);
    }

    /// The raw iterator, for the socket and skb copy calls of this crate.
    pub(crate) fn as_raw(&mut self) -> *mut bindings::iov_iter {
        &mut self.raw
    }

    /// Writes the cursor back to the caller's iterator (the C convention:
    /// an iterator passed in comes back advanced by what was used).
    ///
    /// # Safety
    ///
    /// `raw` is the iterator this one was made from, valid for writing.
    pub unsafe fn write_back(&self, raw: *mut bindings::iov_iter) {
        // SAFETY: the caller's contract; iov_iters are copied by value.
        unsafe { core::ptr::write(raw, core::ptr::read(&self.raw)) };
    }
}

/// A position in a destination iterator ([`KernelIter::mark`]): what was
/// written into it from there on can be read back, e.g. to verify the
/// signature of a READ whose payload went straight into the caller's pages.
pub struct IterMark<'a> {
    raw: bindings::iov_iter,
    _mem: PhantomData<&'a [u8]>,
}

// SAFETY: as for `KernelIter`: kernel memory, reachable from any context.
unsafe impl Send for IterMark<'_> {}

impl IterMark<'_> {
    /// A source cursor over the `len` bytes from the mark (fewer if the
    /// iterator had fewer), for reading them. The memory is kernel memory
    /// the iterator's owner keeps valid; what the reader sees is whatever
    /// was written there.
    pub fn reread(&self, len: usize) -> KernelIter<'_> {
        // SAFETY: copying an iov_iter by value is allowed.
        let mut raw = unsafe { core::ptr::read(&self.raw) };
        // SAFETY: `raw` is a valid kernel-backed iterator; making it a
        // source only lets `_copy_from_iter` read the same memory.
        unsafe {
            bindings::smb_helper_iov_iter_make_source(&mut raw);
            bindings::smb_helper_iov_iter_truncate(&mut raw, len);
        }
        // SAFETY: as above.
        let start_count = unsafe { bindings::smb_helper_iov_iter_count(&raw) };
        KernelIter {
            raw,
            dir: Direction::Source,
            start_count,
            _mem: PhantomData,
        }
    }
}

/// One buffer of a kvec iterator: a `kvec` that borrows its memory.
#[repr(transparent)]
pub struct KvecBuf<'a> {
    kvec: bindings::kvec,
    _mem: PhantomData<&'a mut [u8]>,
}

impl<'a> KvecBuf<'a> {
    /// Describes `buf`.
    pub fn new(buf: &'a mut [u8]) -> Self {
        Self {
            kvec: bindings::kvec {
                iov_base: buf.as_mut_ptr().cast(),
                iov_len: buf.len(),
            },
            _mem: PhantomData,
        }
    }
}

/// Pages of kernel memory with a bvec array over them: the shape of the
/// buffers file systems hand the transport (tests use it).
pub struct PageBuf {
    pages: KVec<Page>,
    bvecs: KVec<bindings::bio_vec>,
    len: usize,
}

impl PageBuf {
    /// `len` bytes in whole pages, zeroed; each bvec covers one page, and
    /// the first starts `first_offset` bytes into its page (an unaligned
    /// buffer).
    pub fn new(len: usize, first_offset: usize) -> Result<Self> {
        if first_offset >= PAGE_SIZE {
            return Err(EINVAL);
        }
        let mut pages = KVec::new();
        let mut bvecs = KVec::new();
        let mut left = len;
        let mut off = first_offset;
        while left > 0 {
            let page = Page::alloc_page(GFP_KERNEL | __GFP_ZERO)?;
            let n = left.min(PAGE_SIZE - off);
            bvecs.push(
                bindings::bio_vec {
                    bv_page: page.as_ptr(),
                    bv_len: n as u32,
                    bv_offset: off as u32,
                },
                GFP_KERNEL,
            )?;
            pages.push(page, GFP_KERNEL)?;
            left -= n;
            off = 0;
        }
        Ok(Self { pages, bvecs, len })
    }

    /// Bytes in the buffer.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the buffer is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// An iterator over the whole buffer.
    pub fn iter(&mut self, dir: Direction) -> Result<KernelIter<'_>> {
        // SAFETY: the pages are owned by `self`, which the iterator
        // borrows mutably, so they stay valid and unshared.
        unsafe { KernelIter::from_bvecs(&self.bvecs, dir) }
    }

    /// Walks bytes `offset..offset + len` of the buffer: `f(page, offset in
    /// the page, offset in the range, length)` for each piece within one
    /// page. `EINVAL` if the range runs past the end.
    fn walk(
        &self,
        mut offset: usize,
        len: usize,
        mut f: impl FnMut(&Page, usize, usize, usize) -> Result,
    ) -> Result {
        let mut done = 0;
        for (b, p) in self.bvecs.iter().zip(self.pages.iter()) {
            if done == len {
                break;
            }
            let blen = b.bv_len as usize;
            if offset >= blen {
                offset -= blen;
                continue;
            }
            let n = (blen - offset).min(len - done);
            f(p, b.bv_offset as usize + offset, done, n)?;
            done += n;
            offset = 0;
        }
        if done == len {
            Ok(())
        } else {
            Err(EINVAL)
        }
    }

    /// Copies bytes `offset..offset + dst.len()` of the buffer into `dst`.
    pub fn read(&self, offset: usize, dst: &mut [u8]) -> Result {
        self.walk(offset, dst.len(), |page, at, done, n| {
            let out = dst.get_mut(done..done + n).ok_or(EINVAL)?;
            // SAFETY: `out` is writable for `n` bytes; `at..at + n` lies
            // within the page (`walk` keeps to each bvec's range).
            unsafe { page.read_raw(out.as_mut_ptr(), at, n) }
        })
    }

    /// Copies `src` into the buffer from `offset`.
    pub fn write(&mut self, offset: usize, src: &[u8]) -> Result {
        self.walk(offset, src.len(), |page, at, done, n| {
            let inp = src.get(done..done + n).ok_or(EINVAL)?;
            // SAFETY: `inp` is readable for `n` bytes; `at..at + n` lies
            // within the page, which `&mut self` keeps unshared.
            unsafe { page.write_raw(inp.as_ptr(), at, n) }
        })
    }
}

fn dir_flag(dir: Direction) -> u32 {
    match dir {
        Direction::Source => bindings::SMB_CONST_ITER_SOURCE,
        Direction::Dest => bindings::SMB_CONST_ITER_DEST,
    }
}

/// A place through which a caller's destination iterator is handed to
/// other contexts (the receive path, in softirq) from [`IterSlot::give`]
/// until [`IterSlot::take`] gives it back. Every use happens under the
/// slot's bottom-half spinlock, so once `take` returns nobody uses it any
/// more.
///
/// A request holds an `IterSlot<'static>`: the iterator is `'static` by the
/// C ABI's contract, not by the type system (the memory stays valid until
/// the call is over, and the transport takes the iterator back before it
/// says so).
#[pin_data]
pub struct IterSlot<'a> {
    #[pin]
    lent: SpinLockBh<Option<KBox<KernelIter<'a>>>>,
}

impl<'a> IterSlot<'a> {
    /// An empty slot.
    pub fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            lent <- crate::new_spinlock_bh!(None, "IterSlot::lent"),
        })
    }

    /// Hands `iter` over to the slot, for [`IterSlot::with`] callers, until
    /// [`IterSlot::take`] gives it back. `EBUSY` (and `iter` is dropped) if
    /// the slot is not empty.
    pub fn give(&self, iter: KBox<KernelIter<'a>>) -> Result {
        let mut s = self.lent.lock();
        if s.is_some() {
            return Err(EBUSY);
        }
        *s = Some(iter);
        Ok(())
    }

    /// Takes the iterator back; once this returns, nobody uses it any more
    /// (a use in progress ended under the slot's lock). `None` if the slot
    /// is empty.
    pub fn take(&self) -> Option<KBox<KernelIter<'a>>> {
        self.lent.lock().take()
    }

    /// Runs `f` on the iterator, if any, with the slot locked: any
    /// context; `f` must not sleep.
    pub fn with<R>(&self, f: impl FnOnce(Option<&mut KernelIter<'a>>) -> R) -> R {
        let mut s = self.lent.lock();
        f(s.as_deref_mut())
    }

    /// Bytes left in the iterator (0 if none is there).
    pub fn count(&self) -> usize {
        self.with(|it| it.map_or(0, |i| i.count()))
    }
}

/// Whether two of `vecs` describe overlapping memory (or one wraps around
/// the address space), so that slices made from them would alias.
pub fn kvecs_overlap(vecs: &[bindings::kvec]) -> bool {
    let range = |v: &bindings::kvec| {
        let start = v.iov_base as usize;
        start.checked_add(v.iov_len).map(|end| (start, end))
    };
    for (i, a) in vecs.iter().enumerate() {
        let Some((a0, a1)) = range(a) else {
            return true;
        };
        for b in vecs.iter().skip(i + 1) {
            let Some((b0, b1)) = range(b) else {
                return true;
            };
            if a0 < a1 && b0 < b1 && a0 < b1 && b0 < a1 {
                return true;
            }
        }
    }
    false
}

/// Fills `out` with the buffers of a kvec array, as byte slices (a
/// zero-length kvec gives an empty slice); returns how many. `EINVAL` if
/// there are none, more than `out` holds, or two of them overlap (two
/// `&mut` slices over the same bytes would alias).
///
/// # Safety
///
/// `iov` points to `n` kvecs, each describing memory valid for writes and
/// used by nobody else for `'a`.
pub unsafe fn kvec_slices<'a>(
    iov: *const bindings::kvec,
    n: usize,
    out: &mut [&'a mut [u8]],
) -> Result<usize> {
    if iov.is_null() || n == 0 || n > out.len() {
        return Err(EINVAL);
    }
    // SAFETY: the caller's contract: `iov` points to `n` kvecs.
    let vecs = unsafe { core::slice::from_raw_parts(iov, n) };
    if kvecs_overlap(vecs) {
        return Err(EINVAL);
    }
    for (p, v) in out.iter_mut().zip(vecs.iter()) {
        if v.iov_len > 0 {
            // SAFETY: the caller's contract for this kvec; no other slice
            // made here overlaps it (checked above).
            *p = unsafe { core::slice::from_raw_parts_mut(v.iov_base.cast::<u8>(), v.iov_len) };
        }
    }
    Ok(n)
}
