// SPDX-License-Identifier: GPL-2.0
//! The smbfs file system type: mount options (`options.rs`, each error
//! reported through the mount's log, which mount(8) prints), the
//! superblock (shared by identical mounts), the connection, `statfs` and
//! what /proc/mounts shows.
#![forbid(unsafe_code)]

use crate::bindings;
use crate::inode::{self, SmbInode};
use crate::kext::fs::dentry::RcuDEntry;
use crate::kext::fs::{
    not_my_parameter, DEntry, FileSystem, FsContext, INode, SeqWriter, StatFs, SuperBlock,
    SuperParams,
};
use crate::kext::net::addr::SockAddr;
use crate::kext::net::ns::Net;
use crate::options::{self, Bad, MountOptions, Source};
use crate::smb_clnt::{req, Clnt, ClntArgs};
use crate::stats::{MountDebugfs, Stats};
use core::ffi::CStr;
use core::fmt::Write;
use kernel::prelude::*;
use kernel::str::CString;
use kernel::sync::aref::ARef;
use kernel::sync::atomic::{Atomic, Relaxed};
use kernel::sync::{new_spinlock, Arc, SetOnce, SpinLock};

pub(crate) struct SmbFs;

/// At most one warning about dropped names per mount this often, ms.
const WARN_EVERY_MS: i64 = 5_000;

/// At most this much of a value is quoted in a message.
const QUOTE: usize = 64;

/// `v` for a message: UTF-8, cut short.
fn quote(v: &[u8]) -> &str {
    let v = &v[..v.len().min(QUOTE)];
    match core::str::from_utf8(v) {
        Ok(s) => s,
        Err(e) => core::str::from_utf8(&v[..e.valid_up_to()]).unwrap_or(""),
    }
}

/// Logs `args` to the mount's log.
fn log(fc: &mut FsContext, args: core::fmt::Arguments<'_>) {
    match CString::try_from_fmt(args) {
        Ok(msg) => fc.error(&msg),
        Err(_) => fc.error(c"bad mount option"),
    }
}

/// The message for option `key` (value `value`) refused as `bad`. A
/// password's value is never quoted.
fn report(fc: &mut FsContext, key: &[u8], value: Option<&[u8]>, bad: Bad) {
    let k = quote(key);
    let secret = matches!(key, b"password" | b"pass");
    let v = if secret {
        ""
    } else {
        quote(value.unwrap_or(&[]))
    };
    match bad {
        Bad::Unknown => log(fc, fmt!("unknown option '{k}'")),
        Bad::NeedsValue => log(fc, fmt!("option '{k}' needs a value")),
        Bad::TakesNone => log(fc, fmt!("option '{k}' takes no value")),
        Bad::Value if secret => log(fc, fmt!("bad value for option '{k}'")),
        Bad::Value => log(fc, fmt!("bad value '{v}' for option '{k}'")),
        Bad::Range(why) if secret => log(fc, fmt!("option '{k}': {why}")),
        Bad::Range(why) => log(fc, fmt!("option '{k}={v}' out of range: {why}")),
        Bad::Conflict(other) => log(fc, fmt!("options '{k}' and '{other}' conflict")),
        Bad::Unsupported(what) if value.is_some() && !secret => {
            log(fc, fmt!("option '{k}={v}': {what}"))
        }
        Bad::Unsupported(what) => log(fc, fmt!("option '{k}': {what}")),
    }
}

/// `SMB2_SUPER_MAGIC` (include/uapi/linux/magic.h): what `df -l` and
/// `tail -f` check to know that the mount is remote.
const SMB2_SUPER_MAGIC: u64 = 0xFE53_4D42;

/// Seconds from 1601-01-01 (FILETIME 0) to 1970-01-01.
pub(crate) const EPOCH_DIFF: i64 = 11_644_473_600;

/// A superblock's data: the mount's options and source, and its
/// connection once made.
#[pin_data]
pub(crate) struct SbInfo {
    /// The options in force. A remount replaces them (only those
    /// `may_become` lets change differ), under the lock.
    #[pin]
    opts: SpinLock<MountOptions>,
    /// Options no remount changes, read often.
    pub(crate) mapposix: bool,
    pub(crate) serverino: bool,
    pub(crate) source: Source,
    /// The mounting task's fsuid and fsgid: the owner without `uid=`,
    /// `gid=`.
    fsuid: u32,
    fsgid: u32,
    clnt: SetOnce<Arc<Clnt>>,
    /// The last inode number given with `noserverino`.
    inos: Atomic<i64>,
    /// When a dropped name was last warned about (ms of the monotonic
    /// clock): at most one warning every [`WARN_EVERY_MS`].
    warned: Atomic<i64>,
    /// The requests sent, and their debugfs file.
    pub(crate) stats: Arc<Stats>,
    debugfs: SetOnce<MountDebugfs>,
}

/// What the attribute paths read of the options in force.
pub(crate) struct View {
    pub(crate) uid: u32,
    pub(crate) gid: u32,
    pub(crate) file_mode: u32,
    pub(crate) dir_mode: u32,
    /// Attribute cache times, seconds.
    pub(crate) acregmax: u32,
    pub(crate) acdirmax: u32,
}

impl SbInfo {
    /// The connection (made before the superblock is shared).
    pub(crate) fn clnt(&self) -> Result<&Arc<Clnt>> {
        self.clnt.as_ref().ok_or(ENOTCONN)
    }

    /// A name in a listing of `dir` that cannot be a Linux name was left
    /// out: says so, at most once every [`WARN_EVERY_MS`] per mount (a
    /// hostile server could send many).
    pub(crate) fn warn_dropped(&self, dir: &DEntry<SmbFs>, why: crate::names::Dropped) {
        let now = (crate::kext::clock::mono_ns() / 1_000_000) as i64;
        let last = self.warned.load(Relaxed);
        if last != 0 && now.saturating_sub(last) < WARN_EVERY_MS {
            return;
        }
        if self.warned.cmpxchg(last, now.max(1), Relaxed).is_err() {
            return;
        }
        let mut buf = [0u8; 256];
        let where_ = dir.path(&mut buf).map(quote).unwrap_or("?");
        pr_warn!(
            "//{}/{}: a name the server listed in {} cannot be a Linux name ({:?}): left out\n",
            quote(&self.source.host),
            quote(&self.source.share),
            where_,
            why
        );
    }

    /// Runs `r` in the caller's context, counted.
    pub(crate) fn run(&self, r: &mut req::Req) -> Result {
        let clnt = self.clnt()?;
        self.stats.req(r);
        r.run(clnt).inspect_err(|_| self.stats.failed())
    }

    /// The options in force that attributes depend on.
    pub(crate) fn view(&self) -> View {
        let o = self.opts.lock();
        View {
            uid: o.uid.unwrap_or(self.fsuid),
            gid: o.gid.unwrap_or(self.fsgid),
            file_mode: o.file_mode,
            dir_mode: o.dir_mode,
            acregmax: o.acregmax,
            acdirmax: o.acdirmax,
        }
    }

    /// A new inode number (`noserverino`).
    pub(crate) fn next_ino(&self) -> u64 {
        // 2^63 numbers: they do not wrap.
        self.inos.fetch_add(1, Relaxed) as u64 + 1
    }

    /// The server's path of a dentry: the source's prefix, then the path
    /// from the root, NUL-terminated.
    pub(crate) fn path_of(&self, d: &DEntry<SmbFs>) -> Result<CString> {
        let mut buf = KVec::from_elem(0u8, crate::names::PATH_MAX, GFP_KERNEL)?;
        let rel = d.path(&mut buf)?;
        self.path(rel)
    }

    /// The server's path of `rel`, a path from the mount's root.
    pub(crate) fn path(&self, rel: &[u8]) -> Result<CString> {
        let mut out = KVec::new();
        out.extend_from_slice(&self.source.prefix, GFP_KERNEL)?;
        crate::names::push_path(&mut out, rel, self.mapposix)?;
        out.push(0, GFP_KERNEL)?;
        Ok(CString::try_from(
            CStr::from_bytes_with_nul(&out).map_err(|_| EINVAL)?,
        )?)
    }
}

/// A mount failure: once to the kernel log, and to the mount's log,
/// which mount(8) prints (without one, the mount's log is the kernel's).
fn fail(fc: &mut FsContext, args: core::fmt::Arguments<'_>) {
    if fc.has_log() {
        pr_err!("{}\n", args);
    }
    log(fc, args);
}

/// What a failed connection means for `//host/share`.
fn connect_error(e: Error) -> &'static str {
    match e.to_errno().unsigned_abs() {
        bindings::EACCES | bindings::EPERM => "logon failure (user name or password)",
        bindings::ENOENT => "no such share",
        bindings::ECONNREFUSED => "connection refused",
        bindings::EHOSTUNREACH | bindings::ENETUNREACH => "server unreachable",
        bindings::ETIMEDOUT => "server did not answer",
        bindings::ENODEV => "no such interface (the %scope of ip=)",
        _ => "cannot connect",
    }
}

impl FileSystem for SmbFs {
    const NAME: &'static CStr = c"smbfs";
    const MAGIC: u64 = SMB2_SUPER_MAGIC;
    const PARAMS: SuperParams = SuperParams {
        maxbytes: i64::MAX,
        // FILETIMEs count 100 ns.
        time_gran: 100,
        time_min: -EPOCH_DIFF,
        time_max: i64::MAX / 10_000_000 - EPOCH_DIFF,
        // 16 KiB: what stat reports as the I/O size until the data path.
        blocksize_bits: 14,
    };

    type Context = MountOptions;
    type Data = SbInfo;
    type INodeData = SmbInode;

    fn parse_param(
        fc: &mut FsContext,
        ctx: &mut MountOptions,
        key: &CStr,
        value: Option<&CStr>,
    ) -> Result {
        // The VFS records the source.
        if key == c"source" {
            return Err(not_my_parameter());
        }
        let (k, v) = (key.to_bytes(), value.map(CStr::to_bytes));
        ctx.apply(k, v).map_err(|bad| {
            report(fc, k, v, bad);
            EINVAL
        })
    }

    fn make_data(
        fc: &mut FsContext,
        ctx: &mut MountOptions,
    ) -> Result<impl PinInit<SbInfo, Error>> {
        let mut src = KVec::new();
        match fc.source() {
            Some(s) => src.extend_from_slice(s.to_bytes(), GFP_KERNEL)?,
            None => {
                fc.error(c"no source: mount -t smbfs //server/share /mountpoint");
                return Err(EINVAL);
            }
        }
        let source = match options::parse_source(&src) {
            Ok(s) => s,
            Err(why) => {
                log(fc, fmt!("{why} (not '{}')", quote(&src)));
                return Err(EINVAL);
            }
        };
        if ctx.addr.is_none() && !options::is_ip_literal(&source.host) {
            log(
                fc,
                fmt!(
                    "'{}' is a host name, which the kernel does not resolve: mount with the mount.smbfs helper, or give ip=",
                    quote(&source.host)
                ),
            );
            return Err(EINVAL);
        }
        if let Some(a) = ctx.addr.as_deref() {
            if !options::is_ip_literal(a) {
                log(
                    fc,
                    fmt!(
                        "bad value '{}' for option 'ip': a numeric address",
                        quote(a)
                    ),
                );
                return Err(EINVAL);
            }
        }
        if let Err(why) = options::check(ctx) {
            log(fc, fmt!("{why}"));
            return Err(EINVAL);
        }
        let (fsuid, fsgid) = fc.caller_ids();
        let opts = ctx.try_clone(GFP_KERNEL)?;
        Ok(try_pin_init!(SbInfo {
            mapposix: opts.mapposix,
            serverino: opts.serverino,
            opts <- new_spinlock!(opts, "SbInfo::opts"),
            source,
            fsuid,
            fsgid,
            clnt: SetOnce::new(),
            inos: Atomic::new(1),
            warned: Atomic::new(0),
            stats: Arc::new(Stats::new(), GFP_KERNEL)?,
            debugfs: SetOnce::new(),
        }? Error))
    }

    fn reconfigure_context(sb: &SuperBlock<SmbFs>) -> Result<MountOptions> {
        // Under a spinlock: a few short strings, allocated atomically.
        Ok(sb.data().opts.lock().try_clone(GFP_ATOMIC)?)
    }

    fn same_super(old: &SbInfo, fc: &FsContext, ctx: &MountOptions) -> bool {
        fc.source()
            .is_some_and(|s| old.source.matches(s.to_bytes()))
            && (old.fsuid, old.fsgid) == fc.caller_ids()
            && old.opts.lock().same_mount(ctx)
    }

    fn fill_super(fc: &mut FsContext, sb: &SuperBlock<SmbFs>) -> Result<ARef<INode<SmbFs>>> {
        let sbi = sb.data();
        let (host, share) = (quote(&sbi.source.host), quote(&sbi.source.share));
        // A copy, so that the lock is not held across the connection.
        let opts = sbi.opts.lock().try_clone(GFP_ATOMIC)?;
        let clnt = match connect(sbi, &opts, &fc.net()) {
            Ok(c) => c,
            Err(e) => {
                fail(
                    fc,
                    fmt!("//{host}/{share}: {} ({})", connect_error(e), e.to_errno()),
                );
                return Err(e);
            }
        };
        let clnt = Arc::new(clnt, GFP_KERNEL)?;
        sbi.clnt.populate(clnt);
        if let Some(d) = MountDebugfs::new(sb.dev(), &sbi.stats) {
            sbi.debugfs.populate(d);
        }
        let root = sbi.path(b"")?;
        let found = match inode::query(sbi, &root) {
            Ok(f) => f,
            Err(e) => {
                let why = if e == ENOENT {
                    "no such path on the share"
                } else {
                    "cannot open the path"
                };
                fail(
                    fc,
                    fmt!(
                        "//{host}/{share}/{}: {why} ({})",
                        quote(&sbi.source.prefix),
                        e.to_errno()
                    ),
                );
                return Err(e);
            }
        };
        if !inode::is_dir(&found.info) {
            fail(
                fc,
                fmt!(
                    "//{host}/{share}/{}: not a directory",
                    quote(&sbi.source.prefix)
                ),
            );
            return Err(ENOTDIR);
        }
        inode::get(sb, &found)
    }

    fn reconfigure(fc: &mut FsContext, ctx: &mut MountOptions, sb: &SuperBlock<SmbFs>) -> Result {
        // The context started as a copy of the options in force, the
        // remount's applied to it.
        let sbi = sb.data();
        let verdict = sbi.opts.lock().may_become(ctx);
        if let Err(why) = verdict {
            log(fc, fmt!("{why}"));
            return Err(EINVAL);
        }
        if let Err(why) = options::check(ctx) {
            log(fc, fmt!("{why}"));
            return Err(EINVAL);
        }
        // The old options go with the context (a password wiped).
        core::mem::swap(&mut *sbi.opts.lock(), ctx);
        Ok(())
    }

    fn inode_data() -> impl PinInit<SmbInode, Error> {
        SmbInode::new()
    }

    fn revalidate(dentry: &DEntry<SmbFs>, flags: u32) -> Result<bool> {
        inode::revalidate(dentry, flags)
    }

    fn revalidate_rcu(dentry: &RcuDEntry<'_>, flags: u32) -> bool {
        inode::revalidate_rcu(dentry, flags)
    }

    fn umount_begin(sb: &SuperBlock<SmbFs>) {
        // Every call waiting on the server fails with EIO now, and the
        // unmount, if it goes on, does not wait for the server.
        if let Ok(c) = sb.data().clnt() {
            if let Err(e) = c.abort() {
                pr_warn!(
                    "umount -f: the calls in progress go on ({})\n",
                    e.to_errno()
                );
            }
        }
    }

    fn statfs(root: &DEntry<SmbFs>) -> Result<StatFs> {
        let sbi = root.super_block().data();
        let path = sbi.path_of(root)?;
        let mut r = req::Req::new();
        r.create(&path, &req::CreateHow::open(inode::FILE_READ_ATTRIBUTES))?
            .query_info(
                req::RELATED,
                INFO_FILESYSTEM,
                FS_FULL_SIZE_INFORMATION,
                0,
                32,
            )?
            .close(req::RELATED, false)?;
        sbi.run(&mut r)?;
        r.result(1)?;
        // MS-FSCC 2.5.4: TotalAllocationUnits, CallerAvailableAllocationUnits,
        // ActualAvailableAllocationUnits, SectorsPerAllocationUnit,
        // BytesPerSector.
        let b = r.bytes(1);
        let u64_at = |o: usize| -> Result<u64> {
            let s = b.get(o..o + 8).ok_or(EIO)?;
            Ok(u64::from_le_bytes(s.try_into().map_err(|_| EIO)?))
        };
        let u32_at = |o: usize| -> Result<u32> {
            let s = b.get(o..o + 4).ok_or(EIO)?;
            Ok(u32::from_le_bytes(s.try_into().map_err(|_| EIO)?))
        };
        let bsize = u64::from(u32_at(24)?)
            .checked_mul(u64::from(u32_at(28)?))
            .ok_or(EIO)?;
        Ok(StatFs {
            bsize: if bsize == 0 { 4096 } else { bsize },
            blocks: u64_at(0)?,
            bfree: u64_at(16)?,
            bavail: u64_at(8)?,
            files: 0,
            ffree: 0,
            namelen: crate::names::NAME_MAX as u64,
        })
    }

    fn show_options(sb: &SuperBlock<SmbFs>, m: &mut SeqWriter<'_>) -> core::fmt::Result {
        let sbi = sb.data();
        let o = sbi.opts.lock();
        o.show(m)?;
        if o.uid.is_none() {
            write!(m, ",uid={}", sbi.fsuid)?;
        }
        if o.gid.is_none() {
            write!(m, ",gid={}", sbi.fsgid)?;
        }
        Ok(())
    }

    fn show_devname(sb: &SuperBlock<SmbFs>, m: &mut SeqWriter<'_>) -> core::fmt::Result {
        let s = &sb.data().source;
        m.escaped(b"//")?;
        m.escaped(&s.host)?;
        m.escaped(b"/")?;
        m.escaped(&s.share)?;
        if !s.prefix.is_empty() {
            m.escaped(b"/")?;
            m.escaped(&s.prefix)?;
        }
        Ok(())
    }
}

/// SMB2_0_INFO_FILESYSTEM (MS-SMB2 2.2.37).
const INFO_FILESYSTEM: u8 = 2;
/// FileFsFullSizeInformation (MS-FSCC 2.5.4).
const FS_FULL_SIZE_INFORMATION: u8 = 7;

/// Connects as the options say, in the mount's network namespace: the
/// server, the session, the tree.
fn connect(sbi: &SbInfo, o: &MountOptions, net: &Net) -> Result<Clnt> {
    let host = o.addr.as_deref().unwrap_or(&sbi.source.host);
    let host = match host {
        [b'[', inner @ .., b']'] => inner,
        h => h,
    };
    let mut parts = host.splitn(2, |c| *c == b'%');
    let ip = parts.next().unwrap_or(&[]);
    let mut addr = SockAddr::parse_ip(ip, if o.port == 0 { 445 } else { o.port })?;
    // An IPv6 scope: an interface index, or its name in the mount's
    // namespace.
    if let Some(scope) = parts.next() {
        addr.scope_id = match core::str::from_utf8(scope)
            .ok()
            .and_then(|s| s.parse().ok())
        {
            Some(n) => n,
            None => net.ifindex(&cstring(scope)?)?,
        };
    }
    let mut unc = KVec::new();
    unc.extend_from_slice(b"\\\\", GFP_KERNEL)?;
    unc.extend_from_slice(&sbi.source.host, GFP_KERNEL)?;
    unc.push(b'\\', GFP_KERNEL)?;
    unc.extend_from_slice(&sbi.source.share, GFP_KERNEL)?;
    let unc = cstring(&unc)?;
    let user = cstring(o.user.as_deref().unwrap_or(b""))?;
    let domain = cstring(o.domain.as_deref().unwrap_or(b""))?;
    let pass = o.password.as_ref().map_or(&[][..], |p| p.as_bytes());
    let pass = core::str::from_utf8(pass).map_err(|_| EINVAL)?;
    let nt_hash = crate::smb_auth::nt_hash(pass)?;
    let mut flags = 0;
    if o.sign {
        flags |= bindings::SMB_CLNT_SIGN;
    }
    if o.seal {
        flags |= bindings::SMB_CLNT_SEAL;
    }
    Clnt::create(&ClntArgs {
        addr,
        unc: &unc,
        user: &user,
        domain: &domain,
        nt_hash: &nt_hash,
        dialect_min: o.dialect_min,
        dialect_max: o.dialect_max,
        flags,
        timeo_ms: 0,
        net: Some(net),
        xprt_flags: if o.hard {
            bindings::SMB_XPRT_HARD
        } else {
            bindings::SMB_XPRT_SOFT
        },
    })
}

fn cstring(b: &[u8]) -> Result<CString> {
    let mut v = KVec::with_capacity(b.len() + 1, GFP_KERNEL)?;
    v.extend_from_slice(b, GFP_KERNEL)?;
    v.push(0, GFP_KERNEL)?;
    Ok(CString::try_from(
        CStr::from_bytes_with_nul(&v).map_err(|_| EINVAL)?,
    )?)
}
