// SPDX-License-Identifier: GPL-2.0
//! KUnit suite `smbfs_options`: the mount options as mount.cifs spells
//! them, accepted and refused, and the mount source.
#![forbid(unsafe_code)]

#[kernel::macros::kunit_tests(smbfs_options)]
mod tests {
    use crate::options::{
        is_ip_literal, parse_source, Bad, CacheMode, MountOptions, MAX_ACTIMEO, SMB21, SMB30,
        SMB302, SMB311,
    };
    use kernel::prelude::fmt;

    fn with(opts: &[(&[u8], Option<&[u8]>)]) -> Result<MountOptions, Bad> {
        let mut o = MountOptions::default();
        for (k, v) in opts {
            o.apply(k, *v)?;
        }
        Ok(o)
    }

    fn one(k: &[u8], v: Option<&[u8]>) -> Result<MountOptions, Bad> {
        with(&[(k, v)])
    }

    #[test]
    fn defaults_are_soft_strict_serverino_4m() {
        let o = MountOptions::default();
        assert!(!o.hard);
        assert_eq!(o.cache, CacheMode::Strict);
        assert!(o.serverino);
        assert_eq!((o.rsize, o.wsize), (4 << 20, 4 << 20));
        assert_eq!((o.dialect_min, o.dialect_max), (SMB21, SMB311));
        assert_eq!((o.file_mode, o.dir_mode), (0o755, 0o755));
        assert_eq!(o.echo_interval, 60);
    }

    #[test]
    fn credentials_and_their_aliases() {
        let o = with(&[
            (b"user", Some(b"alice")),
            (b"pass", Some(b"a,b c")),
            (b"dom", Some(b"WORK")),
        ])
        .unwrap();
        assert_eq!(o.user.as_deref(), Some(&b"alice"[..]));
        assert_eq!(
            o.password.as_ref().map(|p| p.as_bytes()),
            Some(&b"a,b c"[..])
        );
        assert_eq!(o.domain.as_deref(), Some(&b"WORK"[..]));
        // An empty password is a password.
        let o = one(b"password", Some(b"")).unwrap();
        assert_eq!(o.password.as_ref().map(|p| p.as_bytes().len()), Some(0));
        let o = one(b"password", None).unwrap();
        assert!(o.password.is_some());
        assert_eq!(
            with(&[(b"guest", None), (b"username", Some(b"x"))]).err(),
            Some(Bad::Conflict("guest"))
        );
    }

    #[test]
    fn sec_takes_ntlmssp_and_refuses_kerberos() {
        assert!(!one(b"sec", Some(b"ntlmssp")).unwrap().sign);
        assert!(one(b"sec", Some(b"ntlmsspi")).unwrap().sign);
        assert!(
            matches!(one(b"sec", Some(b"krb5")).err(), Some(Bad::Unsupported(m)) if m.contains("Kerberos"))
        );
        assert!(matches!(
            one(b"sec", Some(b"krb5i")).err(),
            Some(Bad::Unsupported(_))
        ));
        assert_eq!(one(b"sec", Some(b"bogus")).err(), Some(Bad::Value));
        assert!(one(b"seal", None).unwrap().seal);
        assert_eq!(one(b"seal", Some(b"1")).err(), Some(Bad::TakesNone));
    }

    #[test]
    fn vers_names_a_dialect_range() {
        let d = |v: &[u8]| one(b"vers", Some(v)).map(|o| (o.dialect_min, o.dialect_max));
        assert_eq!(d(b"2.1"), Ok((SMB21, SMB21)));
        assert_eq!(d(b"3.0"), Ok((SMB30, SMB30)));
        assert_eq!(d(b"3.02"), Ok((SMB302, SMB302)));
        assert_eq!(d(b"3.0.2"), Ok((SMB302, SMB302)));
        assert_eq!(d(b"3.1.1"), Ok((SMB311, SMB311)));
        assert_eq!(d(b"3"), Ok((SMB30, SMB311)));
        assert_eq!(d(b"default"), Ok((SMB21, SMB311)));
        assert!(matches!(d(b"1.0"), Err(Bad::Unsupported(_))));
        assert_eq!(d(b"4"), Err(Bad::Value));
    }

    #[test]
    fn numbers_are_checked_for_range() {
        assert_eq!(one(b"port", Some(b"445")).unwrap().port, 445);
        assert!(matches!(
            one(b"port", Some(b"65536")).err(),
            Some(Bad::Range(_))
        ));
        assert!(matches!(
            one(b"port", Some(b"0")).err(),
            Some(Bad::Range(_))
        ));
        assert_eq!(one(b"port", Some(b"44x")).err(), Some(Bad::Value));
        assert_eq!(one(b"port", None).err(), Some(Bad::NeedsValue));
        assert_eq!(one(b"rsize", Some(b"65536")).unwrap().rsize, 65536);
        assert!(matches!(
            one(b"rsize", Some(b"0")).err(),
            Some(Bad::Range(_))
        ));
        assert!(matches!(
            one(b"wsize", Some(b"65537")).err(),
            Some(Bad::Range(_))
        ));
        assert!(matches!(
            one(b"wsize", Some(b"16777216")).err(),
            Some(Bad::Range(_))
        ));
        assert!(matches!(
            one(b"echo_interval", Some(b"0")).err(),
            Some(Bad::Range(_))
        ));
        assert_eq!(
            one(b"echo_interval", Some(b"30")).unwrap().echo_interval,
            30
        );
        // 2^64 does not fit at all.
        assert_eq!(
            one(b"port", Some(b"18446744073709551616")).err(),
            Some(Bad::Value)
        );
    }

    #[test]
    fn attribute_cache_times_fit_in_jiffies() {
        let o = one(b"actimeo", Some(b"30")).unwrap();
        assert_eq!((o.acregmax, o.acdirmax), (30, 30));
        assert!(one(b"actimeo", Some(b"0")).is_ok());
        let max = u64::from(MAX_ACTIMEO);
        let mut buf = [0u8; 24];
        let n = fmt_u64(max + 1, &mut buf);
        assert!(matches!(
            one(b"actimeo", Some(&buf[..n])).err(),
            Some(Bad::Range(_))
        ));
        assert_eq!(
            with(&[(b"actimeo", Some(b"1")), (b"acregmax", Some(b"2"))]).err(),
            Some(Bad::Conflict("actimeo"))
        );
        let o = with(&[(b"acregmax", Some(b"5")), (b"acdirmax", Some(b"7"))]).unwrap();
        assert_eq!((o.acregmax, o.acdirmax), (5, 7));
    }

    fn fmt_u64(mut n: u64, buf: &mut [u8; 24]) -> usize {
        let mut tmp = [0u8; 24];
        let mut i = 0;
        loop {
            tmp[i] = b'0' + (n % 10) as u8;
            i += 1;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        for j in 0..i {
            buf[j] = tmp[i - 1 - j];
        }
        i
    }

    #[test]
    fn soft_and_hard_conflict() {
        assert!(one(b"hard", None).unwrap().hard);
        assert_eq!(
            with(&[(b"soft", None), (b"hard", None)]).err(),
            Some(Bad::Conflict("soft"))
        );
        assert_eq!(
            with(&[(b"hard", None), (b"soft", None)]).err(),
            Some(Bad::Conflict("hard"))
        );
    }

    #[test]
    fn ownership_modes_and_behaviour() {
        let o = with(&[
            (b"uid", Some(b"1000")),
            (b"gid", Some(b"100")),
            (b"forceuid", None),
            (b"file_mode", Some(b"0644")),
            (b"dir_mode", Some(b"755")),
            (b"noperm", None),
            (b"noserverino", None),
            (b"nobrl", None),
            (b"mapposix", None),
            (b"cache", Some(b"none")),
        ])
        .unwrap();
        assert_eq!((o.uid, o.gid), (Some(1000), Some(100)));
        assert!(o.forceuid && !o.forcegid && o.noperm && !o.serverino && o.nobrl && o.mapposix);
        assert_eq!((o.file_mode, o.dir_mode), (0o644, 0o755));
        assert_eq!(o.cache, CacheMode::None);
        assert_eq!(one(b"file_mode", Some(b"0999")).err(), Some(Bad::Value));
        assert!(matches!(
            one(b"dir_mode", Some(b"17777")).err(),
            Some(Bad::Range(_))
        ));
        assert!(matches!(
            one(b"uid", Some(b"4294967295")).err(),
            Some(Bad::Range(_))
        ));
        assert_eq!(one(b"uid", Some(b"root")).err(), Some(Bad::Value));
        assert!(matches!(
            one(b"cache", Some(b"loose")).err(),
            Some(Bad::Unsupported(_))
        ));
    }

    #[test]
    fn unknown_options_and_credentials_files_are_refused() {
        assert_eq!(one(b"bogus", None).err(), Some(Bad::Unknown));
        assert!(
            matches!(one(b"credentials", Some(b"/etc/x")).err(), Some(Bad::Unsupported(m)) if m.contains("mount.smbfs"))
        );
    }

    #[test]
    fn sources_split_into_host_share_and_prefix() {
        let s = parse_source(b"//10.0.0.1/share").ok().unwrap();
        assert_eq!(
            (&s.host[..], &s.share[..], &s.prefix[..]),
            (&b"10.0.0.1"[..], &b"share"[..], &b""[..])
        );
        let s = parse_source(b"\\\\h\\s\\a\\b\\").ok().unwrap();
        assert_eq!(
            (&s.host[..], &s.share[..], &s.prefix[..]),
            (&b"h"[..], &b"s"[..], &b"a/b"[..])
        );
        let s = parse_source(b"//h/s//a//b").ok().unwrap();
        assert_eq!(&s.prefix[..], b"a/b");
        assert!(parse_source(b"//h/s/a/../b").is_err());
        assert!(parse_source(b"//h/s/./b").is_err());
        assert!(parse_source(b"//h").is_err());
        assert!(parse_source(b"//h/").is_err());
        assert!(parse_source(b"h/s").is_err());
        assert!(parse_source(b"").is_err());
    }

    #[test]
    fn only_numeric_hosts_need_no_helper() {
        assert!(is_ip_literal(b"127.0.0.1"));
        assert!(is_ip_literal(b"::1"));
        assert!(is_ip_literal(b"fe80::1%eth0"));
        assert!(is_ip_literal(b"[fe80::1%2]"));
        assert!(!is_ip_literal(b"server"));
        assert!(!is_ip_literal(b"server.example.com"));
        assert!(!is_ip_literal(b"1.2.3"));
        assert!(!is_ip_literal(b""));
    }

    /// The options `show` writes, parsed again.
    fn reparse(o: &MountOptions) -> MountOptions {
        let text = kernel::str::CString::try_from_fmt(fmt!("{}", Shown(o))).unwrap();
        let mut back = MountOptions::default();
        for opt in text
            .to_bytes()
            .split(|c| *c == b',')
            .filter(|s| !s.is_empty())
        {
            let mut kv = opt.splitn(2, |c| *c == b'=');
            let k = kv.next().unwrap();
            back.apply(k, kv.next()).unwrap();
        }
        back
    }

    struct Shown<'a>(&'a MountOptions);

    impl kernel::fmt::Display for Shown<'_> {
        fn fmt(&self, f: &mut kernel::fmt::Formatter<'_>) -> kernel::fmt::Result {
            self.0.show(f)
        }
    }

    #[test]
    fn shown_options_mount_again_to_the_same_and_hide_the_password() {
        let o = with(&[
            (b"user", Some(b"alice")),
            (b"password", Some(b"Secret-Pw1")),
            (b"dom", Some(b"WG")),
            (b"vers", Some(b"3.0.2")),
            (b"port", Some(b"4445")),
            (b"hard", None),
            (b"sec", Some(b"ntlmsspi")),
            (b"seal", None),
            (b"rsize", Some(b"1048576")),
            (b"uid", Some(b"1000")),
            (b"forcegid", None),
            (b"gid", Some(b"7")),
            (b"file_mode", Some(b"0640")),
            (b"acregmax", Some(b"3")),
            (b"acdirmax", Some(b"9")),
            (b"cache", Some(b"none")),
            (b"noserverino", None),
            (b"nobrl", None),
            (b"mapposix", None),
            (b"ip", Some(b"fe80::1%2")),
        ])
        .unwrap();
        let text = kernel::str::CString::try_from_fmt(fmt!("{}", Shown(&o))).unwrap();
        assert!(!text.to_bytes().windows(6).any(|w| w == b"Secret"));
        assert!(!text.to_bytes().windows(8).any(|w| w == b"password"));
        let b = reparse(&o);
        assert_eq!(b.user.as_deref(), Some(&b"alice"[..]));
        assert_eq!(b.domain.as_deref(), Some(&b"WG"[..]));
        assert_eq!(
            (b.dialect_min, b.dialect_max, b.port),
            (SMB302, SMB302, 4445)
        );
        assert!(b.hard && b.sign && b.seal && b.forcegid && !b.forceuid);
        assert_eq!((b.rsize, b.wsize), (1048576, 4 << 20));
        assert_eq!((b.uid, b.gid), (Some(1000), Some(7)));
        assert_eq!((b.file_mode, b.dir_mode), (0o640, 0o755));
        assert_eq!((b.acregmax, b.acdirmax), (3, 9));
        assert_eq!(b.cache, CacheMode::None);
        assert!(!b.serverino && b.nobrl && b.mapposix);
        assert_eq!(b.addr.as_deref(), Some(&b"fe80::1%2"[..]));
        // Nothing differs: the shown options may be remounted with.
        assert_eq!(o.may_become(&b), Ok(()));
        let d = reparse(&MountOptions::default());
        assert_eq!(MountOptions::default().may_become(&d), Ok(()));
    }

    #[test]
    fn a_remount_changes_caching_and_ownership_only() {
        let base = [(&b"user"[..], Some(&b"alice"[..]))];
        let o = with(&base).unwrap();
        let ok = with(&[
            base[0],
            (b"actimeo", Some(b"30")),
            (b"uid", Some(b"5")),
            (b"file_mode", Some(b"0600")),
            (b"cache", Some(b"none")),
        ])
        .unwrap();
        assert_eq!(o.may_become(&ok), Ok(()));
        assert!(o
            .may_become(&with(&[(b"user", Some(b"bob"))]).unwrap())
            .is_err());
        assert!(o
            .may_become(&with(&[base[0], (b"dom", Some(b"X"))]).unwrap())
            .is_err());
        assert!(o
            .may_become(&with(&[base[0], (b"seal", None)]).unwrap())
            .is_err());
        assert!(o
            .may_become(&with(&[base[0], (b"vers", Some(b"3.0"))]).unwrap())
            .is_err());
        assert!(o
            .may_become(&with(&[base[0], (b"hard", None)]).unwrap())
            .is_err());
        assert_eq!(one(b"user", Some(b"a,b")).err(), Some(Bad::Value));
    }
}
