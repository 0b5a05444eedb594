// SPDX-License-Identifier: GPL-2.0
//! Mount options, spelled as mount.cifs(8) spells them, parsed one at a
//! time as the VFS hands them over (`fsconfig(FSCONFIG_SET_STRING)` from
//! mount(8), or the pieces of a raw mount(2) option string), and checked as
//! a whole before the mount. What each error says is [`Bad`]'s; the mount's
//! log gets it with the option's name and value (never a password's).
#![forbid(unsafe_code)]

use crate::kext::crypto::memzero_explicit;
use kernel::alloc::{flags::GFP_KERNEL, AllocError, Flags, KVec};

/// SMB 2.1, 3.0, 3.0.2, 3.1.1 (MS-SMB2 2.2.3).
pub(crate) const SMB21: u16 = 0x0210;
pub(crate) const SMB30: u16 = 0x0300;
pub(crate) const SMB302: u16 = 0x0302;
pub(crate) const SMB311: u16 = 0x0311;

/// READ and WRITE sizes: the default, and the alignment asked of a given
/// one (a page).
pub(crate) const DEFAULT_IOSIZE: u32 = 4 << 20;
const IOSIZE_ALIGN: u32 = 4096;
/// The largest `rsize`/`wsize` taken (what one request may carry).
const MAX_IOSIZE: u32 = 8 << 20;
/// `echo_interval` bounds, seconds (cifs.ko's).
const ECHO_MIN: u32 = 1;
const ECHO_MAX: u32 = 600;
/// The longest attribute cache time, seconds: `(1 << 30) / HZ` at HZ 1000,
/// the bound cifs.ko puts on `actimeo` so that it fits in jiffies.
pub(crate) const MAX_ACTIMEO: u32 = (1 << 30) / 1000;
/// Strings taken from the user, bytes.
const MAX_NAME: usize = 256;
const MAX_PASSWORD: usize = 512;

/// How a value was wrong; the caller names the option (and the value,
/// unless it is a password).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Bad {
    /// Not an option of smbfs.
    Unknown,
    /// Needs a value (`port` alone).
    NeedsValue,
    /// Takes none (`soft=1`).
    TakesNone,
    /// Not a value this option takes.
    Value,
    /// A value out of range; says which.
    Range(&'static str),
    /// Contradicts an option given before: names it.
    Conflict(&'static str),
    /// Understood, but not supported (yet): says what to do instead.
    Unsupported(&'static str),
}

/// A password: wiped when dropped or replaced.
#[derive(Default)]
pub(crate) struct Password(KVec<u8>);

impl Password {
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl Drop for Password {
    fn drop(&mut self) {
        memzero_explicit(&mut self.0);
    }
}

/// Caching of file data (`cache=`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CacheMode {
    /// Close-to-open, through the page cache (the default).
    Strict,
    /// Every read and write goes to the server.
    None,
}

/// The options of one mount.
pub(crate) struct MountOptions {
    pub(crate) user: Option<KVec<u8>>,
    pub(crate) password: Option<Password>,
    pub(crate) domain: Option<KVec<u8>>,
    pub(crate) guest: bool,
    /// `sec=ntlmsspi`, `sign`: every request signed.
    pub(crate) sign: bool,
    pub(crate) seal: bool,
    pub(crate) dialect_min: u16,
    pub(crate) dialect_max: u16,
    /// 0: the default (445).
    pub(crate) port: u16,
    pub(crate) hard: bool,
    pub(crate) echo_interval: u32,
    pub(crate) rsize: u32,
    pub(crate) wsize: u32,
    /// The server's address as given (`ip=`, `addr=`): a numeric IPv4 or
    /// IPv6 address, the latter maybe with `%scope`.
    pub(crate) addr: Option<KVec<u8>>,
    pub(crate) uid: Option<u32>,
    pub(crate) gid: Option<u32>,
    pub(crate) forceuid: bool,
    pub(crate) forcegid: bool,
    pub(crate) file_mode: u32,
    pub(crate) dir_mode: u32,
    pub(crate) noperm: bool,
    /// Seconds.
    pub(crate) acregmax: u32,
    pub(crate) acdirmax: u32,
    pub(crate) closetimeo: u32,
    pub(crate) cache: CacheMode,
    pub(crate) serverino: bool,
    pub(crate) nobrl: bool,
    pub(crate) mapposix: bool,
    /// Which of `soft`/`hard`, `actimeo`/`ac*max` were given, for conflicts.
    given: u32,
}

const GIVEN_SOFT: u32 = 0x1;
const GIVEN_HARD: u32 = 0x2;
const GIVEN_ACTIMEO: u32 = 0x4;
const GIVEN_ACMAX: u32 = 0x8;
const GIVEN_GUEST: u32 = 0x10;
const GIVEN_USER: u32 = 0x20;

impl Default for MountOptions {
    fn default() -> Self {
        Self {
            user: None,
            password: None,
            domain: None,
            guest: false,
            sign: false,
            seal: false,
            dialect_min: SMB21,
            dialect_max: SMB311,
            port: 0,
            // As cifs.ko: soft unless asked.
            hard: false,
            echo_interval: 60,
            rsize: DEFAULT_IOSIZE,
            wsize: DEFAULT_IOSIZE,
            addr: None,
            uid: None,
            gid: None,
            forceuid: false,
            forcegid: false,
            file_mode: 0o755,
            dir_mode: 0o755,
            noperm: false,
            acregmax: 1,
            acdirmax: 1,
            closetimeo: 1,
            cache: CacheMode::Strict,
            serverino: true,
            nobrl: false,
            mapposix: false,
            given: 0,
        }
    }
}

fn copy_of(v: &Option<KVec<u8>>, gfp: Flags) -> Result<Option<KVec<u8>>, AllocError> {
    v.as_deref()
        .map(|b| {
            let mut c = KVec::with_capacity(b.len(), gfp)?;
            c.extend_from_slice(b, gfp)?;
            Ok(c)
        })
        .transpose()
}

impl MountOptions {
    /// A copy, to start a remount from (options given then apply to it;
    /// which ones were given starts afresh, so that a remount's own
    /// options conflict only with each other), allocated with `gfp`.
    pub(crate) fn try_clone(&self, gfp: Flags) -> Result<Self, AllocError> {
        let password = match &self.password {
            Some(p) => {
                let mut v = KVec::with_capacity(p.as_bytes().len(), gfp)?;
                v.extend_from_slice(p.as_bytes(), gfp)?;
                Some(Password(v))
            }
            None => None,
        };
        Ok(Self {
            user: copy_of(&self.user, gfp)?,
            password,
            domain: copy_of(&self.domain, gfp)?,
            addr: copy_of(&self.addr, gfp)?,
            given: 0,
            ..*self
        })
    }
}

/// A number, decimal, as cifs.ko's options take them.
fn number(v: &[u8]) -> core::result::Result<u64, Bad> {
    if v.is_empty() || v.len() > 20 {
        return Err(Bad::Value);
    }
    v.iter().try_fold(0u64, |n, &c| {
        if !c.is_ascii_digit() {
            return Err(Bad::Value);
        }
        n.checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(c - b'0')))
            .ok_or(Bad::Value)
    })
}

/// An octal mode (`file_mode=0644`): permission and set-id bits only.
fn mode(v: &[u8]) -> core::result::Result<u32, Bad> {
    if v.is_empty() || v.len() > 6 {
        return Err(Bad::Value);
    }
    let m = v.iter().try_fold(0u32, |n, &c| match c {
        b'0'..=b'7' => Ok(n * 8 + u32::from(c - b'0')),
        _ => Err(Bad::Value),
    })?;
    if m > 0o7777 {
        return Err(Bad::Range("at most 07777"));
    }
    Ok(m)
}

/// A name (user, domain, address): UTF-8, no comma (it would not come
/// back from `/proc/mounts`), at most `max` bytes.
fn bytes(v: &[u8], max: usize) -> core::result::Result<KVec<u8>, Bad> {
    if v.len() > max {
        return Err(Bad::Range("too long"));
    }
    if v.is_empty() || v.contains(&0) || v.contains(&b',') || core::str::from_utf8(v).is_err() {
        return Err(Bad::Value);
    }
    let mut out = KVec::with_capacity(v.len(), GFP_KERNEL).map_err(|_| Bad::Range("no memory"))?;
    out.extend_from_slice(v, GFP_KERNEL)
        .map_err(|_| Bad::Range("no memory"))?;
    Ok(out)
}

/// `rsize`, `wsize`: a multiple of 4096, from 4096 to 8 MiB.
fn iosize(v: &[u8]) -> core::result::Result<u32, Bad> {
    let n = number(v)?;
    match u32::try_from(n) {
        Ok(n) if (IOSIZE_ALIGN..=MAX_IOSIZE).contains(&n) && n % IOSIZE_ALIGN == 0 => Ok(n),
        _ => Err(Bad::Range("a multiple of 4096 from 4096 to 8388608")),
    }
}

/// Seconds of attribute caching.
fn seconds(v: &[u8]) -> core::result::Result<u32, Bad> {
    match u32::try_from(number(v)?) {
        Ok(n) if n <= MAX_ACTIMEO => Ok(n),
        _ => Err(Bad::Range("at most 1073741 seconds")),
    }
}

fn id(v: &[u8]) -> core::result::Result<u32, Bad> {
    // uid_t (u32::MAX is the invalid id).
    match u32::try_from(number(v)?) {
        Ok(n) if n != u32::MAX => Ok(n),
        _ => Err(Bad::Range(
            "a numeric id below 4294967295 (mount.smbfs resolves names)",
        )),
    }
}

/// `vers=`: the dialect range.
fn dialects(v: &[u8]) -> core::result::Result<(u16, u16), Bad> {
    Ok(match v {
        b"2.1" => (SMB21, SMB21),
        b"3.0" => (SMB30, SMB30),
        b"3.02" | b"3.0.2" => (SMB302, SMB302),
        b"3.1.1" | b"3.11" => (SMB311, SMB311),
        b"3" => (SMB30, SMB311),
        b"default" => (SMB21, SMB311),
        b"1.0" | b"2.0" => {
            return Err(Bad::Unsupported(
                "SMB 1 and 2.0 are not supported; vers=2.1 is the oldest",
            ))
        }
        _ => return Err(Bad::Value),
    })
}

impl MountOptions {
    /// Applies one option (`key`, and its value if it has one).
    pub(crate) fn apply(
        &mut self,
        key: &[u8],
        value: Option<&[u8]>,
    ) -> core::result::Result<(), Bad> {
        // Flags: no value.
        let flag = |v: Option<&[u8]>| {
            if v.is_some() {
                Err(Bad::TakesNone)
            } else {
                Ok(())
            }
        };
        let val = value.ok_or(Bad::NeedsValue);
        match key {
            b"username" | b"user" => {
                self.user = Some(bytes(val?, MAX_NAME)?);
                self.given |= GIVEN_USER;
                if self.given & GIVEN_GUEST != 0 {
                    return Err(Bad::Conflict("guest"));
                }
            }
            // May be empty, or hold commas (given whole through fsconfig;
            // ",," in a raw mount(2) string).
            b"password" | b"pass" => {
                let v = value.unwrap_or(&[]);
                if v.len() > MAX_PASSWORD || v.contains(&0) {
                    return Err(Bad::Range("at most 512 bytes"));
                }
                let mut p = KVec::with_capacity(v.len(), GFP_KERNEL)
                    .map_err(|_| Bad::Range("no memory"))?;
                p.extend_from_slice(v, GFP_KERNEL)
                    .map_err(|_| Bad::Range("no memory"))?;
                self.password = Some(Password(p));
            }
            b"domain" | b"dom" | b"workgroup" => self.domain = Some(bytes(val?, MAX_NAME)?),
            b"guest" => {
                flag(value)?;
                if self.given & GIVEN_USER != 0 {
                    return Err(Bad::Conflict("username"));
                }
                self.guest = true;
                self.given |= GIVEN_GUEST;
            }
            b"sec" => match val? {
                b"ntlmssp" => {}
                b"ntlmsspi" => self.sign = true,
                b"krb5" | b"krb5i" => {
                    return Err(Bad::Unsupported(
                        "Kerberos is not supported yet; use sec=ntlmssp or sec=ntlmsspi",
                    ))
                }
                b"ntlm" | b"ntlmi" | b"ntlmv2" | b"ntlmv2i" | b"none" => {
                    return Err(Bad::Unsupported("use sec=ntlmssp or sec=ntlmsspi"))
                }
                _ => return Err(Bad::Value),
            },
            b"sign" => {
                flag(value)?;
                self.sign = true;
            }
            b"seal" => {
                flag(value)?;
                self.seal = true;
            }
            b"vers" => (self.dialect_min, self.dialect_max) = dialects(val?)?,
            b"port" => match u16::try_from(number(val?)?) {
                Ok(p) if p > 0 => self.port = p,
                _ => return Err(Bad::Range("from 1 to 65535")),
            },
            b"soft" => {
                flag(value)?;
                if self.given & GIVEN_HARD != 0 {
                    return Err(Bad::Conflict("hard"));
                }
                self.given |= GIVEN_SOFT;
                self.hard = false;
            }
            b"hard" => {
                flag(value)?;
                if self.given & GIVEN_SOFT != 0 {
                    return Err(Bad::Conflict("soft"));
                }
                self.given |= GIVEN_HARD;
                self.hard = true;
            }
            b"echo_interval" => match u32::try_from(number(val?)?) {
                Ok(n) if (ECHO_MIN..=ECHO_MAX).contains(&n) => self.echo_interval = n,
                _ => return Err(Bad::Range("from 1 to 600 seconds")),
            },
            b"rsize" => self.rsize = iosize(val?)?,
            b"wsize" => self.wsize = iosize(val?)?,
            b"ip" | b"addr" => self.addr = Some(bytes(val?, 64)?),
            b"uid" => self.uid = Some(id(val?)?),
            b"gid" => self.gid = Some(id(val?)?),
            b"forceuid" => {
                flag(value)?;
                self.forceuid = true;
            }
            b"forcegid" => {
                flag(value)?;
                self.forcegid = true;
            }
            b"file_mode" => self.file_mode = mode(val?)?,
            b"dir_mode" => self.dir_mode = mode(val?)?,
            b"noperm" => {
                flag(value)?;
                self.noperm = true;
            }
            b"actimeo" => {
                if self.given & GIVEN_ACMAX != 0 {
                    return Err(Bad::Conflict("acregmax or acdirmax"));
                }
                let s = seconds(val?)?;
                self.acregmax = s;
                self.acdirmax = s;
                self.given |= GIVEN_ACTIMEO;
            }
            b"acregmax" | b"acdirmax" => {
                if self.given & GIVEN_ACTIMEO != 0 {
                    return Err(Bad::Conflict("actimeo"));
                }
                let s = seconds(val?)?;
                if key == b"acregmax" {
                    self.acregmax = s;
                } else {
                    self.acdirmax = s;
                }
                self.given |= GIVEN_ACMAX;
            }
            b"closetimeo" => self.closetimeo = seconds(val?)?,
            b"cache" => {
                self.cache = match val? {
                    b"strict" => CacheMode::Strict,
                    b"none" => CacheMode::None,
                    b"loose" | b"ro" | b"singleclient" => {
                        return Err(Bad::Unsupported("use cache=strict or cache=none"))
                    }
                    _ => return Err(Bad::Value),
                }
            }
            b"serverino" => {
                flag(value)?;
                self.serverino = true;
            }
            b"noserverino" => {
                flag(value)?;
                self.serverino = false;
            }
            b"nobrl" => {
                flag(value)?;
                self.nobrl = true;
            }
            b"mapposix" => {
                flag(value)?;
                self.mapposix = true;
            }
            b"credentials" | b"cred" => {
                return Err(Bad::Unsupported(
                    "the kernel reads no files: mount with the mount.smbfs helper, which reads it",
                ))
            }
            _ => return Err(Bad::Unknown),
        }
        Ok(())
    }
}

/// The parts of the mount source `//host/share[/prefix]` (`\` accepted
/// for `/`).
pub(crate) struct Source {
    pub(crate) host: KVec<u8>,
    pub(crate) share: KVec<u8>,
    /// Without leading or trailing separators, `/`-separated; empty for
    /// none.
    pub(crate) prefix: KVec<u8>,
}

impl Source {
    /// Whether the mount source `src`, as given, names the same directory
    /// of the same share (without allocating: called under a spinlock).
    pub(crate) fn matches(&self, src: &[u8]) -> bool {
        let sep = |c: &u8| *c == b'/' || *c == b'\\';
        let rest = match src {
            [a, b, rest @ ..] if sep(a) && sep(b) => rest,
            _ => return false,
        };
        let mut parts = rest.splitn(3, sep);
        let host = parts.next().unwrap_or(&[]);
        let share = parts.next().unwrap_or(&[]);
        let prefix = parts.next().unwrap_or(&[]);
        host.eq_ignore_ascii_case(&self.host)
            && share.eq_ignore_ascii_case(&self.share)
            && prefix
                .split(sep)
                .filter(|c| !c.is_empty())
                .eq(self.prefix.split(|c| *c == b'/').filter(|c| !c.is_empty()))
    }
}

/// Splits and checks a mount source. The messages say what is wrong.
pub(crate) fn parse_source(src: &[u8]) -> core::result::Result<Source, &'static str> {
    let sep = |c: &u8| *c == b'/' || *c == b'\\';
    let rest = match src {
        [a, b, rest @ ..] if sep(a) && sep(b) => rest,
        _ => return Err("the source must be //server/share[/path]"),
    };
    let mut parts = rest.splitn(3, sep);
    let host = parts.next().unwrap_or(&[]);
    let share = parts.next().unwrap_or(&[]);
    let prefix = parts.next().unwrap_or(&[]);
    if host.is_empty() || share.is_empty() {
        return Err("the source must be //server/share[/path]");
    }
    if host.len() > 255 || share.len() > 80 || prefix.len() > 4096 {
        return Err("the source is too long");
    }
    let mut clean = KVec::new();
    for comp in prefix.split(sep).filter(|c| !c.is_empty()) {
        if comp == b"." || comp == b".." {
            return Err("the path in the source may not contain . or ..");
        }
        if !clean.is_empty() {
            clean.push(b'/', GFP_KERNEL).map_err(|_| "no memory")?;
        }
        clean
            .extend_from_slice(comp, GFP_KERNEL)
            .map_err(|_| "no memory")?;
    }
    let copy = |b: &[u8]| -> core::result::Result<KVec<u8>, &'static str> {
        let mut v = KVec::new();
        v.extend_from_slice(b, GFP_KERNEL)
            .map_err(|_| "no memory")?;
        Ok(v)
    };
    Ok(Source {
        host: copy(host)?,
        share: copy(share)?,
        prefix: clean,
    })
}

/// `b` for `show`: the options took only UTF-8 (`apply` checks it).
fn text(b: &[u8]) -> &str {
    core::str::from_utf8(b).unwrap_or("?")
}

/// Whether `host` is a numeric address (IPv4, or IPv6 with an optional
/// `%scope`, bracketed or not) rather than a name the kernel cannot
/// resolve.
pub(crate) fn is_ip_literal(host: &[u8]) -> bool {
    let h = match host {
        [b'[', inner @ .., b']'] => inner,
        _ => host,
    };
    let addr = h.split(|c| *c == b'%').next().unwrap_or(&[]);
    if addr.is_empty() {
        return false;
    }
    let v4 = addr.iter().all(|c| c.is_ascii_digit() || *c == b'.')
        && addr.iter().filter(|c| **c == b'.').count() == 3;
    let v6 = addr.contains(&b':')
        && addr
            .iter()
            .all(|c| c.is_ascii_hexdigit() || *c == b':' || *c == b'.');
    v4 || v6
}

/// Whether the options are complete and consistent for a mount (after
/// the last one): `EINVAL` and a message otherwise.
pub(crate) fn check(o: &MountOptions) -> core::result::Result<(), &'static str> {
    if o.guest
        && o.password
            .as_ref()
            .is_some_and(|p| !p.as_bytes().is_empty())
    {
        return Err("guest takes no password");
    }
    if !o.guest && o.user.is_none() {
        return Err("no username= (or guest)");
    }
    Ok(())
}

impl MountOptions {
    /// Writes the options in force as `/proc/mounts` shows them
    /// (`show_options`: each preceded by a comma), so that mounting again
    /// with them gives the same options. The password is never shown.
    pub(crate) fn show(&self, f: &mut impl core::fmt::Write) -> core::fmt::Result {
        if self.guest {
            f.write_str(",guest")?;
        }
        if let Some(u) = self.user.as_deref() {
            write!(f, ",username={}", text(u))?;
        }
        if let Some(d) = self.domain.as_deref() {
            write!(f, ",domain={}", text(d))?;
        }
        f.write_str(if self.sign {
            ",sec=ntlmsspi"
        } else {
            ",sec=ntlmssp"
        })?;
        if self.seal {
            f.write_str(",seal")?;
        }
        f.write_str(match (self.dialect_min, self.dialect_max) {
            (SMB21, SMB21) => ",vers=2.1",
            (SMB30, SMB30) => ",vers=3.0",
            (SMB302, SMB302) => ",vers=3.02",
            (SMB311, SMB311) => ",vers=3.1.1",
            (SMB30, SMB311) => ",vers=3",
            _ => ",vers=default",
        })?;
        if self.port != 0 {
            write!(f, ",port={}", self.port)?;
        }
        if let Some(a) = self.addr.as_deref() {
            write!(f, ",ip={}", text(a))?;
        }
        f.write_str(if self.hard { ",hard" } else { ",soft" })?;
        write!(f, ",echo_interval={}", self.echo_interval)?;
        write!(f, ",rsize={},wsize={}", self.rsize, self.wsize)?;
        if let Some(u) = self.uid {
            write!(f, ",uid={u}")?;
        }
        if self.forceuid {
            f.write_str(",forceuid")?;
        }
        if let Some(g) = self.gid {
            write!(f, ",gid={g}")?;
        }
        if self.forcegid {
            f.write_str(",forcegid")?;
        }
        write!(
            f,
            ",file_mode=0{:o},dir_mode=0{:o}",
            self.file_mode, self.dir_mode
        )?;
        if self.noperm {
            f.write_str(",noperm")?;
        }
        if self.acregmax == self.acdirmax {
            write!(f, ",actimeo={}", self.acregmax)?;
        } else {
            write!(f, ",acregmax={},acdirmax={}", self.acregmax, self.acdirmax)?;
        }
        write!(f, ",closetimeo={}", self.closetimeo)?;
        f.write_str(match self.cache {
            CacheMode::Strict => ",cache=strict",
            CacheMode::None => ",cache=none",
        })?;
        f.write_str(if self.serverino {
            ",serverino"
        } else {
            ",noserverino"
        })?;
        if self.nobrl {
            f.write_str(",nobrl")?;
        }
        if self.mapposix {
            f.write_str(",mapposix")?;
        }
        Ok(())
    }

    /// Whether a mount with `o` may share the superblock of one with
    /// these: the same session (user, domain, password, security, server)
    /// and the same behaviour (every other option). No allocation, no
    /// sleeping: called under a spinlock.
    pub(crate) fn same_mount(&self, o: &MountOptions) -> bool {
        fn pass(m: &MountOptions) -> Option<&[u8]> {
            m.password.as_ref().map(Password::as_bytes)
        }
        self.user.as_deref() == o.user.as_deref()
            && pass(self) == pass(o)
            && self.domain.as_deref() == o.domain.as_deref()
            && self.addr.as_deref() == o.addr.as_deref()
            && (self.guest, self.sign, self.seal, self.hard) == (o.guest, o.sign, o.seal, o.hard)
            && (self.dialect_min, self.dialect_max, self.port)
                == (o.dialect_min, o.dialect_max, o.port)
            && (self.echo_interval, self.rsize, self.wsize) == (o.echo_interval, o.rsize, o.wsize)
            && (self.uid, self.gid, self.forceuid, self.forcegid)
                == (o.uid, o.gid, o.forceuid, o.forcegid)
            && (self.file_mode, self.dir_mode, self.noperm) == (o.file_mode, o.dir_mode, o.noperm)
            && (self.acregmax, self.acdirmax, self.closetimeo)
                == (o.acregmax, o.acdirmax, o.closetimeo)
            && self.cache == o.cache
            && (self.serverino, self.nobrl, self.mapposix) == (o.serverino, o.nobrl, o.mapposix)
    }

    /// Whether a remount may go from these options to `new` (which starts
    /// as a copy of these, with the remount's options applied): the
    /// caching and ownership options may change; the user, the domain,
    /// the security and the connection's options may not (they name
    /// another session). A new password is taken for the next session
    /// setup. The message says which differs.
    pub(crate) fn may_become(&self, new: &MountOptions) -> core::result::Result<(), &'static str> {
        if self.user.as_deref() != new.user.as_deref() || self.guest != new.guest {
            return Err("a remount cannot change the user");
        }
        if self.domain.as_deref() != new.domain.as_deref() {
            return Err("a remount cannot change the domain");
        }
        if (self.sign, self.seal) != (new.sign, new.seal) {
            return Err("a remount cannot change sec=, sign or seal");
        }
        if (self.dialect_min, self.dialect_max, self.port)
            != (new.dialect_min, new.dialect_max, new.port)
            || self.addr.as_deref() != new.addr.as_deref()
            || self.hard != new.hard
            || self.echo_interval != new.echo_interval
            || (self.rsize, self.wsize) != (new.rsize, new.wsize)
            || self.serverino != new.serverino
            || self.mapposix != new.mapposix
        {
            return Err("a remount can change only the caching and ownership options");
        }
        Ok(())
    }
}
