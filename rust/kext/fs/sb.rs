// SPDX-License-Identifier: GPL-2.0
//! The superblock (`struct super_block`): its data, its set-up, its
//! `super_operations` and `kill_sb`.

use super::super::super::bindings;
use super::inode::{self, INode};
use super::{DEntry, FileSystem, FsContext};
use core::marker::PhantomData;
use kernel::alloc::KBox;
use kernel::error::{code::*, from_result, to_result, Result};
use kernel::ffi::{c_int, c_long, c_ulong};
use kernel::sync::aref::ARef;
use kernel::types::Opaque;

/// A superblock of file system `T`, valid while referenced (a callback's
/// argument, an inode's or a dentry's `d_sb`).
#[repr(transparent)]
pub struct SuperBlock<T: FileSystem>(Opaque<bindings::super_block>, PhantomData<T>);

impl<T: FileSystem> SuperBlock<T> {
    /// # Safety
    ///
    /// `ptr` is a superblock of type `T` whose data is set (from `sget_fc`
    /// until `kill_sb`), alive for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::super_block) -> &'a Self {
        // SAFETY: a transparent wrapper; validity is the caller's.
        unsafe { &*ptr.cast() }
    }

    pub(crate) fn as_ptr(&self) -> *mut bindings::super_block {
        self.0.get()
    }

    /// The superblock's data, made by [`FileSystem::make_data`].
    pub fn data(&self) -> &T::Data {
        // SAFETY: `s_fs_info` is the data's box from `sget_fc` until
        // `kill_sb` drops it, after every user of the superblock is gone
        // (type invariant).
        unsafe { &*(*self.as_ptr()).s_fs_info.cast::<T::Data>() }
    }

    /// The device number (`s_dev`) as major and minor: the mount's
    /// `major:minor` in `/proc/self/mountinfo`.
    pub fn dev(&self) -> (u32, u32) {
        // SAFETY: a live superblock; `s_dev` is set before `fill_super`
        // and never changes.
        let dev = unsafe { (*self.as_ptr()).s_dev };
        // MINORBITS is 20 (include/linux/kdev_t.h).
        (dev >> 20, dev & 0xf_ffff)
    }

    /// Whether the mount is read-only.
    pub fn read_only(&self) -> bool {
        // SAFETY: a live superblock; the flags are read once.
        unsafe {
            core::ptr::read_volatile(&(*self.as_ptr()).s_flags) & bindings::SMB_CONST_SB_RDONLY != 0
        }
    }

    /// The kernel's id of `uid` in the mount's user namespace (`None`
    /// when it has none there).
    pub fn kuid(&self, uid: u32) -> Option<bindings::kuid_t> {
        // SAFETY: a live superblock.
        let k = unsafe { bindings::smb_helper_make_kuid(self.as_ptr(), uid) };
        (k.val != u32::MAX).then_some(k)
    }

    /// As [`SuperBlock::kuid`], for a group.
    pub fn kgid(&self, gid: u32) -> Option<bindings::kgid_t> {
        // SAFETY: a live superblock.
        let k = unsafe { bindings::smb_helper_make_kgid(self.as_ptr(), gid) };
        (k.val != u32::MAX).then_some(k)
    }
}

/// A superblock's limits.
pub struct SuperParams {
    /// `s_maxbytes`: the largest file.
    pub maxbytes: i64,
    /// `s_time_gran`, ns.
    pub time_gran: u32,
    /// `s_time_min`, `s_time_max`: seconds since 1970.
    pub time_min: i64,
    /// See `time_min`.
    pub time_max: i64,
    /// log2 of `s_blocksize` (what `stat` reports as the I/O size).
    pub blocksize_bits: u8,
}

/// What `statfs` reports.
#[derive(Default)]
pub struct StatFs {
    /// Block size (`f_bsize`, also `f_frsize`).
    pub bsize: u64,
    /// Blocks in all, free, and free to the caller.
    pub blocks: u64,
    /// See `blocks`.
    pub bfree: u64,
    /// See `blocks`.
    pub bavail: u64,
    /// Files in all, and free (0: unknown).
    pub files: u64,
    /// See `files`.
    pub ffree: u64,
    /// The longest name.
    pub namelen: u64,
}

/// A `seq_file` being written by `show_options` or `show_devname`.
pub struct SeqWriter<'a>(*mut bindings::seq_file, PhantomData<&'a mut ()>);

impl SeqWriter<'_> {
    /// Writes `s` with the characters /proc/mounts separates fields with
    /// (space, tab, newline, backslash) as octal escapes, as `seq_escape`
    /// does.
    pub fn escaped(&mut self, s: &[u8]) -> core::fmt::Result {
        for chunk in s.split_inclusive(|c| b" \t\n\\".contains(c)) {
            let (plain, last) = match chunk.split_last() {
                Some((c, rest)) if b" \t\n\\".contains(c) => (rest, Some(*c)),
                _ => (chunk, None),
            };
            self.bytes(plain);
            if let Some(c) = last {
                let esc = [
                    b'\\',
                    b'0' + (c >> 6),
                    b'0' + ((c >> 3) & 7),
                    b'0' + (c & 7),
                ];
                self.bytes(&esc);
            }
        }
        Ok(())
    }

    fn bytes(&mut self, b: &[u8]) {
        // SAFETY: the seq_file is live for the callback (`'a`); `b` is
        // readable for its length. An overflow is the seq_file's to
        // handle (it retries with a larger buffer).
        unsafe { bindings::seq_write(self.0, b.as_ptr().cast(), b.len()) };
    }
}

impl core::fmt::Write for SeqWriter<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.bytes(s.as_bytes());
        Ok(())
    }
}

pub(crate) struct Tables<T>(PhantomData<T>);

impl<T: FileSystem> Tables<T> {
    pub(crate) const SUPER_OPS: bindings::super_operations = bindings::super_operations {
        alloc_inode: Some(inode::alloc_inode_callback::<T>),
        destroy_inode: Some(inode::destroy_inode_callback::<T>),
        free_inode: Some(inode::free_inode_callback),
        statfs: Some(statfs_callback::<T>),
        show_options: Some(show_options_callback::<T>),
        show_devname: Some(show_devname_callback::<T>),
        umount_begin: Some(umount_begin_callback::<T>),
        // SAFETY: all zeroes is a valid table (no callback).
        ..unsafe { core::mem::zeroed() }
    };
}

/// # Safety
///
/// Called by the VFS only (`umount -f`), with a live superblock of ours.
unsafe extern "C" fn umount_begin_callback<T: FileSystem>(sb: *mut bindings::super_block) {
    // SAFETY: the VFS holds the superblock active for the call.
    T::umount_begin(unsafe { SuperBlock::from_raw(sb) });
}

/// Sets up a new superblock: limits, operations, the bdi, then
/// [`FileSystem::fill_super`] and the root dentry.
///
/// # Safety
///
/// `sb` is a new superblock of ours from `sget_fc` (data set, `s_umount`
/// held for writing, no root yet).
pub(crate) unsafe fn fill<T: FileSystem>(
    fc: &mut FsContext,
    sb: *mut bindings::super_block,
) -> Result {
    let p = &T::PARAMS;
    // SAFETY: the caller's contract: nobody else uses the superblock yet.
    unsafe {
        (*sb).s_magic = T::MAGIC as c_ulong;
        (*sb).s_maxbytes = p.maxbytes;
        (*sb).s_time_gran = p.time_gran;
        (*sb).s_time_min = p.time_min;
        (*sb).s_time_max = p.time_max;
        (*sb).s_blocksize_bits = p.blocksize_bits;
        (*sb).s_blocksize = 1 << p.blocksize_bits;
        (*sb).s_op = &Tables::<T>::SUPER_OPS;
        bindings::set_default_d_op(sb, &super::dentry::Tables::<T>::DENTRY_OPS);
        to_result(bindings::super_setup_bdi(sb))?;
    }
    // SAFETY: as above; the data is set.
    let root: ARef<INode<T>> = T::fill_super(fc, unsafe { SuperBlock::from_raw(sb) })?;
    // SAFETY: `d_make_root` consumes the inode reference (and puts it on
    // failure); the superblock is still ours alone.
    unsafe {
        let d = bindings::d_make_root(ARef::into_raw(root).as_ptr().cast());
        if d.is_null() {
            return Err(ENOMEM);
        }
        (*sb).s_root = d;
    }
    Ok(())
}

/// # Safety
///
/// Called by the VFS only, once per superblock of ours, last.
pub(crate) unsafe extern "C" fn kill_sb_callback<T: FileSystem>(sb: *mut bindings::super_block) {
    // SAFETY: the superblock is dying; `kill_anon_super` evicts its inodes
    // (which may still use the data) and the data box is freed after, once.
    unsafe {
        let data = (*sb).s_fs_info.cast::<T::Data>();
        bindings::kill_anon_super(sb);
        (*sb).s_fs_info = core::ptr::null_mut();
        if !data.is_null() {
            drop(core::pin::Pin::new_unchecked(KBox::from_raw(data)));
        }
    }
}

/// # Safety
///
/// Called by the VFS only, with a dentry of a live superblock of ours.
unsafe extern "C" fn statfs_callback<T: FileSystem>(
    dentry: *mut bindings::dentry,
    buf: *mut kernel::bindings::kstatfs,
) -> c_int {
    // Our `kstatfs` is the kernel's struct, generated in full.
    let buf = buf.cast::<bindings::kstatfs>();
    from_result(|| {
        // SAFETY: the VFS holds the dentry for the call.
        let st = T::statfs(unsafe { DEntry::from_raw(dentry) })?;
        // SAFETY: `buf` is the caller's, zeroed by `vfs_statfs`.
        unsafe {
            (*buf).f_type = T::MAGIC as c_long;
            (*buf).f_bsize = c_long::try_from(st.bsize).unwrap_or(c_long::MAX);
            (*buf).f_frsize = (*buf).f_bsize;
            (*buf).f_blocks = st.blocks;
            (*buf).f_bfree = st.bfree;
            (*buf).f_bavail = st.bavail;
            (*buf).f_files = st.files;
            (*buf).f_ffree = st.ffree;
            (*buf).f_namelen = c_long::try_from(st.namelen).unwrap_or(c_long::MAX);
        }
        Ok(0)
    })
}

/// # Safety
///
/// Called by the VFS only, with a live seq_file and the mount's root.
unsafe extern "C" fn show_options_callback<T: FileSystem>(
    m: *mut bindings::seq_file,
    root: *mut bindings::dentry,
) -> c_int {
    // SAFETY: the root dentry pins its superblock, which is ours.
    let sb = unsafe { SuperBlock::<T>::from_raw((*root).d_sb) };
    // Errors are the seq_file's overflow, which it handles by retrying.
    let _ = T::show_options(sb, &mut SeqWriter(m, PhantomData));
    0
}

/// # Safety
///
/// As [`show_options_callback`].
unsafe extern "C" fn show_devname_callback<T: FileSystem>(
    m: *mut bindings::seq_file,
    root: *mut bindings::dentry,
) -> c_int {
    // SAFETY: as above.
    let sb = unsafe { SuperBlock::<T>::from_raw((*root).d_sb) };
    let _ = T::show_devname(sb, &mut SeqWriter(m, PhantomData));
    0
}
