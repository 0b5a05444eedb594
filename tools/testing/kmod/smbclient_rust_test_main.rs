// SPDX-License-Identifier: GPL-2.0
//! smbclient_rust_test.ko: a Rust consumer of `include/smb/clnt.h` through
//! the safe wrapper (rust/smb/clnt.rs). Test only: its KUnit suite
//! `smbclient_rust` runs at insmod, against ksmbd in the test guest
//! (127.0.0.1, the harness's test user and share from
//! tools/testing/guest/lib.sh), and the gate reads its KTAP.

use kernel::prelude::*;

#[path = "../../../rust/bindings/mod.rs"]
pub mod bindings;
#[path = "../../../rust/kext/mod.rs"]
pub mod kext;
/// Safe wrapper over `include/smb/auth.h`.
#[path = "../../../rust/smb/auth.rs"]
pub mod smb_auth;
/// Safe wrapper over `include/smb/clnt.h`.
#[path = "../../../rust/smb/clnt.rs"]
pub mod smb_clnt;

module! {
    type: RustTest,
    name: "smbclient_rust_test",
    authors: ["smbfs developers"],
    description: "Test only: smbclient's Rust wrapper against the test guest's ksmbd",
    license: "GPL",
    imports_ns: ["SMB"],
}

struct RustTest;

impl kernel::Module for RustTest {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        Ok(RustTest)
    }
}

#[kernel::macros::kunit_tests(smbclient_rust)]
mod tests {
    use crate::kext::iter::{Direction, KernelIter, KvecBuf};
    use crate::kext::net::addr::SockAddr;
    use crate::smb_clnt::{Clnt, ClntArgs, OpenHow};
    use core::sync::atomic::{AtomicU32, Ordering};
    use kernel::alloc::{flags::GFP_KERNEL, KBox, KVec};
    use kernel::error::code::*;
    use kernel::sync::Arc;

    // The test guest's ksmbd (tools/testing/guest/lib.sh).
    const USER: &kernel::str::CStr = c"smbtest";
    const PASSWORD: &str = "Sm8fs-test!";
    const UNC: &kernel::str::CStr = c"\\\\127.0.0.1\\share";

    // MS-SMB2 2.2.13 values.
    const READ_DATA: u32 = 0x1;
    const WRITE_DATA: u32 = 0x2;
    const READ_ATTRIBUTES: u32 = 0x80;
    const DELETE: u32 = 0x0001_0000;
    const LIST_DIRECTORY: u32 = 0x1;
    const FILE_OPEN: u32 = 1;
    const FILE_OVERWRITE_IF: u32 = 5;
    const DIRECTORY_FILE: u32 = 0x1;
    const NON_DIRECTORY_FILE: u32 = 0x40;

    fn connect(password: &str, dialect: u16) -> kernel::error::Result<Clnt> {
        let hash = crate::smb_auth::nt_hash(password)?;
        Clnt::create(&ClntArgs {
            addr: SockAddr::parse_ip(b"127.0.0.1", 445)?,
            unc: UNC,
            user: USER,
            domain: c"",
            nt_hash: &hash,
            dialect_min: dialect,
            dialect_max: dialect,
            flags: 0,
            timeo_ms: 0,
            xprt_flags: 0,
            net: None,
        })
    }

    fn pattern(i: usize) -> u8 {
        ((i * 13) ^ (i >> 9)) as u8
    }

    /// A failed check, named. The cases run their steps in a function that
    /// returns at the first failure, so that every handle and open is
    /// dropped (closed, released) before the case asserts: a KUnit
    /// assertion ends the test thread without running destructors.
    type Check = core::result::Result<(), &'static str>;

    /// Logs a failed check by name, for the KTAP reader.
    fn report(r: Check) -> Check {
        if let Err(what) = r {
            kernel::pr_err!("check failed: {}\n", what);
        }
        r
    }

    fn ensure(ok: bool, what: &'static str) -> Check {
        if ok {
            Ok(())
        } else {
            Err(what)
        }
    }

    fn handle_info() -> Check {
        let c = connect(PASSWORD, 0x0311).map_err(|_| "create")?;
        let info = c.info().map_err(|_| "info")?;
        ensure(info.dialect == 0x0311, "dialect 3.1.1")?;
        ensure(info.tree_id > 0, "a TreeId")?;
        ensure(info.guest == 0, "not a guest")?;
        c.echo(Some(5000)).map_err(|_| "echo")
    }

    #[test]
    fn a_handle_reports_its_dialect_and_tree() {
        assert_eq!(report(handle_info()), Ok(()));
    }

    #[test]
    fn a_wrong_password_is_eacces() {
        assert_eq!(connect("not the password", 0x0311).err(), Some(EACCES));
    }

    fn file_ops() -> Check {
        let c = connect(PASSWORD, 0x0300).map_err(|_| "create")?;
        let how = OpenHow {
            desired_access: READ_DATA | WRITE_DATA | READ_ATTRIBUTES | DELETE,
            disposition: FILE_OVERWRITE_IF,
            create_options: NON_DIRECTORY_FILE,
            oplock_level: 0,
        };
        let f = c
            .open(c"rust-wrapper.bin", &how)
            .map_err(|_| "open for writing")?;
        // 200 KiB from one buffer, in the server's chunks.
        let n = 200 * 1024;
        let mut data = KVec::from_elem(0u8, n, GFP_KERNEL).map_err(|_| "memory")?;
        for (i, b) in data.iter_mut().enumerate() {
            *b = pattern(i);
        }
        let mut off = 0usize;
        while off < n {
            let slice = [KvecBuf::new(&mut data[off..])];
            let mut it = KernelIter::from_kvecs(&slice, Direction::Source).map_err(|_| "iter")?;
            let w = f.write(off as u64, &mut it).map_err(|_| "write")?;
            ensure(w > 0, "write progresses")?;
            off += w;
        }
        f.flush().map_err(|_| "flush")?;
        let size = f.getattr().map_err(|_| "getattr")?.end_of_file;
        ensure(size == n as u64, "getattr: the size written")?;
        let mut back = KVec::from_elem(0u8, n, GFP_KERNEL).map_err(|_| "memory")?;
        let mut off = 0usize;
        while off < n {
            let slice = [KvecBuf::new(&mut back[off..])];
            let mut it = KernelIter::from_kvecs(&slice, Direction::Dest).map_err(|_| "iter")?;
            let r = f.read(off as u64, &mut it).map_err(|_| "read")?;
            ensure(r > 0, "read progresses")?;
            off += r;
        }
        ensure(
            back[..] == data[..],
            "the bytes read back are the bytes written",
        )?;
        // A second open cannot take a lock the first holds.
        let g = c
            .open(
                c"rust-wrapper.bin",
                &OpenHow {
                    desired_access: READ_DATA | READ_ATTRIBUTES,
                    disposition: FILE_OPEN,
                    ..Default::default()
                },
            )
            .map_err(|_| "second open")?;
        let (ex, sh, un, now) = (
            crate::bindings::SMB_LOCK_EXCLUSIVE,
            crate::bindings::SMB_LOCK_SHARED,
            crate::bindings::SMB_LOCK_UNLOCK,
            crate::bindings::SMB_LOCK_FAIL_IMMEDIATELY,
        );
        f.lock(0, 10, ex | now).map_err(|_| "exclusive lock")?;
        ensure(
            g.lock(0, 10, sh | now).err() == Some(EAGAIN),
            "a conflicting lock is EAGAIN",
        )?;
        f.lock(0, 10, un).map_err(|_| "unlock")?;
        g.lock(0, 10, sh | now)
            .map_err(|_| "the lock after the unlock")?;
        g.close().map_err(|_| "close of the second open")?;
        // The file is in the share's listing, with its size.
        let d = c
            .open(
                c"",
                &OpenHow {
                    desired_access: LIST_DIRECTORY | READ_ATTRIBUTES,
                    disposition: FILE_OPEN,
                    create_options: DIRECTORY_FILE,
                    oplock_level: 0,
                },
            )
            .map_err(|_| "open of the share's root")?;
        let mut listed = None;
        let seen = d
            .readdir(|name, info, _ino| {
                if name == b"rust-wrapper.bin" {
                    listed = Some(info.end_of_file);
                }
                true
            })
            .map_err(|_| "readdir")?;
        ensure(seen >= 3, "readdir: at least ., .. and the file")?;
        ensure(listed == Some(n as u64), "readdir: the file, with its size")?;
        drop(d);
        f.delete().map_err(|_| "delete")?;
        f.close().map_err(|_| "close")?;
        let gone = c
            .open(
                c"rust-wrapper.bin",
                &OpenHow {
                    desired_access: READ_ATTRIBUTES,
                    disposition: FILE_OPEN,
                    ..Default::default()
                },
            )
            .err();
        ensure(
            gone == Some(ENOENT),
            "after delete and close the file is gone",
        )
    }

    #[test]
    fn write_read_back_getattr_readdir_lock_and_delete() {
        assert_eq!(report(file_ops()), Ok(()));
    }

    fn oplock_break() -> Check {
        let c = connect(PASSWORD, 0x0311).map_err(|_| "create")?;
        let how = OpenHow {
            desired_access: READ_DATA | WRITE_DATA | READ_ATTRIBUTES,
            disposition: FILE_OVERWRITE_IF,
            create_options: NON_DIRECTORY_FILE,
            oplock_level: 9,
        };
        let f = c.open(c"rust-oplock.bin", &how).map_err(|_| "open")?;
        ensure(f.oplock_level == 9, "a batch oplock granted")?;
        let breaks = Arc::new(AtomicU32::new(0), GFP_KERNEL).map_err(|_| "memory")?;
        let seen = breaks.clone();
        let w = f
            .watch(move |b| {
                if b.raw.kind == crate::bindings::SMB_BREAK_OPLOCK && b.ack().is_ok() {
                    seen.fetch_add(1, Ordering::AcqRel);
                }
            })
            .map_err(|_| "watch")?;
        // A second open that reads (an attributes-only open does not break
        // an oplock) breaks the batch oplock; the server answers it once
        // the holder has acknowledged.
        let g = c
            .open(
                c"rust-oplock.bin",
                &OpenHow {
                    desired_access: READ_DATA | READ_ATTRIBUTES,
                    disposition: FILE_OPEN,
                    ..Default::default()
                },
            )
            .map_err(|_| "second open")?;
        drop(g);
        // The callback runs on smbclient's workqueue: give it a moment.
        for _ in 0..100 {
            if breaks.load(Ordering::Acquire) > 0 {
                break;
            }
            kernel::time::delay::fsleep(kernel::time::Delta::from_millis(20));
        }
        drop(w);
        ensure(
            breaks.load(Ordering::Acquire) == 1,
            "one break reached the closure, which acknowledged it",
        )
    }

    #[test]
    fn an_oplock_break_reaches_the_watch_closure() {
        assert_eq!(report(oplock_break()), Ok(()));
    }

    /// What an asynchronous operation's completion saw, for the case to
    /// check after `Task::wait`.
    struct Seen {
        calls: AtomicU32,
        bytes: AtomicU32,
        errno: core::sync::atomic::AtomicI32,
        eof: AtomicU32,
        same: AtomicU32,
    }

    struct Expect {
        seen: Arc<Seen>,
        data: Option<KVec<u8>>,
    }

    impl crate::smb_clnt::IoDone for Expect {
        fn done(self, buf: KVec<u8>, out: crate::smb_clnt::IoOutcome) {
            let s = &self.seen;
            match out.result {
                Ok(n) => {
                    s.bytes.store(n as u32, Ordering::Release);
                    if let Some(d) = self.data.as_ref() {
                        let same = buf.get(..n) == d.get(..n);
                        s.same.store(u32::from(same), Ordering::Release);
                    }
                }
                Err(e) => s.errno.store(e.to_errno(), Ordering::Release),
            }
            s.eof.store(u32::from(out.eof), Ordering::Release);
            s.calls.fetch_add(1, Ordering::AcqRel);
        }
    }

    fn seen() -> kernel::error::Result<Arc<Seen>> {
        Arc::new(
            Seen {
                calls: AtomicU32::new(0),
                bytes: AtomicU32::new(0),
                errno: core::sync::atomic::AtomicI32::new(0),
                eof: AtomicU32::new(0),
                same: AtomicU32::new(0),
            },
            GFP_KERNEL,
        )
        .map_err(Into::into)
    }

    fn async_io() -> Check {
        let c = connect(PASSWORD, 0x0311).map_err(|_| "create")?;
        let how = OpenHow {
            desired_access: READ_DATA | WRITE_DATA | READ_ATTRIBUTES | DELETE,
            disposition: FILE_OVERWRITE_IF,
            create_options: NON_DIRECTORY_FILE,
            oplock_level: 0,
        };
        let f = c.open(c"rust-async.bin", &how).map_err(|_| "open")?;
        let n = 256 * 1024;
        let mut data = KVec::with_capacity(n, GFP_KERNEL).map_err(|_| "memory")?;
        for i in 0..n {
            data.push(pattern(i), GFP_KERNEL).map_err(|_| "memory")?;
        }
        let mut copy = KVec::with_capacity(n, GFP_KERNEL).map_err(|_| "memory")?;
        copy.extend_from_slice(&data, GFP_KERNEL)
            .map_err(|_| "memory")?;
        // A WRITE: its completion gets the buffer back and the count.
        let w = seen().map_err(|_| "memory")?;
        let t = f
            .write_async(
                0,
                data,
                Expect {
                    seen: w.clone(),
                    data: None,
                },
            )
            .map_err(|_| "write_async starts")?;
        t.wait().map_err(|_| "the WRITE task succeeds")?;
        ensure(w.calls.load(Ordering::Acquire) == 1, "one WRITE completion")?;
        ensure(
            w.bytes.load(Ordering::Acquire) == n as u32,
            "the server took every byte",
        )?;
        drop(t);
        // A READ of it: the data come back in the buffer.
        let r = seen().map_err(|_| "memory")?;
        let buf = KVec::with_capacity(n, GFP_KERNEL).map_err(|_| "memory")?;
        let t = f
            .read_async(
                0,
                buf,
                Expect {
                    seen: r.clone(),
                    data: Some(copy),
                },
            )
            .map_err(|_| "read_async starts")?;
        t.wait().map_err(|_| "the READ task succeeds")?;
        ensure(
            r.bytes.load(Ordering::Acquire) == n as u32,
            "the READ got every byte",
        )?;
        ensure(r.same.load(Ordering::Acquire) == 1, "... the bytes written")?;
        ensure(
            r.eof.load(Ordering::Acquire) == 0,
            "... not at the end of the file",
        )?;
        drop(t);
        // Drawing on reserved credits: far more asked than any server
        // grants, sized down; the READ takes its 4 credits (256 KiB).
        let mut credits = c.reserve(1 << 30);
        let before = credits.bytes();
        ensure(before > 0 && before < 1 << 30, "a reservation sized down")?;
        let rr = seen().map_err(|_| "memory")?;
        let buf = KVec::with_capacity(n, GFP_KERNEL).map_err(|_| "memory")?;
        let t = f
            .read_async_reserved(
                0,
                buf,
                Expect {
                    seen: rr.clone(),
                    data: None,
                },
                &mut credits,
            )
            .map_err(|_| "read_async_reserved starts")?;
        ensure(
            credits.bytes() == before - n,
            "the READ took what its length needs from the reservation",
        )?;
        t.wait().map_err(|_| "the reserved READ succeeds")?;
        ensure(
            rr.bytes.load(Ordering::Acquire) == n as u32,
            "... and got every byte",
        )?;
        drop(t);
        drop(credits);
        // At the end of the file: 0 bytes, eof.
        let e = seen().map_err(|_| "memory")?;
        let buf = KVec::with_capacity(4096, GFP_KERNEL).map_err(|_| "memory")?;
        let t = f
            .read_async(
                n as u64,
                buf,
                Expect {
                    seen: e.clone(),
                    data: None,
                },
            )
            .map_err(|_| "read_async at the end starts")?;
        let _ = t.wait();
        ensure(
            e.calls.load(Ordering::Acquire) == 1,
            "one completion at the end",
        )?;
        ensure(
            e.bytes.load(Ordering::Acquire) == 0 && e.eof.load(Ordering::Acquire) == 1,
            "a READ at the end of the file: 0 bytes and eof",
        )?;
        ensure(
            t.cancel() == Err(EALREADY),
            "cancelling a finished task: EALREADY",
        )?;
        drop(t);
        f.delete().map_err(|_| "delete")
    }

    #[test]
    fn async_reads_and_writes_complete_with_their_buffers() {
        assert_eq!(report(async_io()), Ok(()));
    }

    fn owned_file() -> Check {
        let c = Arc::new(connect(PASSWORD, 0x0311).map_err(|_| "create")?, GFP_KERNEL)
            .map_err(|_| "memory")?;
        let how = OpenHow {
            desired_access: READ_DATA | WRITE_DATA | READ_ATTRIBUTES | DELETE,
            disposition: FILE_OVERWRITE_IF,
            create_options: NON_DIRECTORY_FILE,
            oplock_level: 0,
        };
        let f = Arc::new(
            c.open_owned(c"rust-owned.bin", &how)
                .map_err(|_| "open_owned")?,
            GFP_KERNEL,
        )
        .map_err(|_| "memory")?;
        let g = f.clone();
        // The open keeps the handle: the caller's reference may go first.
        drop(c);
        let mut data = KVec::from_elem(0x5au8, 5000, GFP_KERNEL).map_err(|_| "memory")?;
        let slice = [KvecBuf::new(&mut data[..])];
        let mut it = KernelIter::from_kvecs(&slice, Direction::Source).map_err(|_| "iter")?;
        ensure(
            g.write(0, &mut it).map_err(|_| "write")? == 5000,
            "a WRITE on the owned open",
        )?;
        ensure(
            f.getattr().map_err(|_| "getattr")?.end_of_file == 5000,
            "... seen through the other reference",
        )?;
        g.delete().map_err(|_| "delete")?;
        drop(f);
        // The last reference closes the open (deleting the file), then
        // releases the handle.
        drop(g);
        let c = connect(PASSWORD, 0x0311).map_err(|_| "create again")?;
        ensure(
            c.open(
                c"rust-owned.bin",
                &OpenHow {
                    desired_access: READ_DATA,
                    disposition: FILE_OPEN,
                    ..Default::default()
                },
            )
            .err()
                == Some(ENOENT),
            "the last reference closed it: the delete took effect",
        )
    }

    #[test]
    fn an_owned_open_keeps_its_handle_and_closes_on_the_last_reference() {
        assert_eq!(report(owned_file()), Ok(()));
    }

    /// A request's completion: the final size its CLOSE reported.
    struct ReqSeen {
        seen: Arc<Seen>,
    }

    impl crate::smb_clnt::req::ReqDone for ReqSeen {
        fn done(self, req: KBox<crate::smb_clnt::req::Req>, result: kernel::error::Result) {
            let s = &self.seen;
            if let Err(e) = result {
                s.errno.store(e.to_errno(), Ordering::Release);
            }
            if let Ok(Some(a)) = req.closed(2) {
                s.bytes.store(a.end_of_file as u32, Ordering::Release);
            }
            s.calls.fetch_add(1, Ordering::AcqRel);
        }
    }

    fn typed_requests() -> Check {
        use crate::smb_clnt::req::{ctx, CreateHow, Req, RELATED};
        let c = connect(PASSWORD, 0x0311).map_err(|_| "create")?;
        let how = OpenHow {
            desired_access: READ_DATA | WRITE_DATA | READ_ATTRIBUTES | DELETE,
            disposition: FILE_OVERWRITE_IF,
            create_options: NON_DIRECTORY_FILE,
            oplock_level: 0,
        };
        let f = c.open(c"rust-req.bin", &how).map_err(|_| "open")?;
        let mut data = KVec::from_elem(7u8, 5000, GFP_KERNEL).map_err(|_| "memory")?;
        let slice = [KvecBuf::new(&mut data[..])];
        let mut it = KernelIter::from_kvecs(&slice, Direction::Source).map_err(|_| "iter")?;
        ensure(f.write(0, &mut it) == Ok(5000), "5000 bytes written")?;
        // CREATE (MxAc) + QUERY_INFO (FileStandardInformation) + CLOSE
        // (POSTQUERY_ATTRIB), one compound, run in this context.
        let mut r = Req::new();
        let mut open = CreateHow::open(READ_ATTRIBUTES);
        open.contexts = ctx::MXAC;
        r.create(c"rust-req.bin", &open)
            .and_then(|r| r.query_info(RELATED, 1, 5, 0, 64))
            .and_then(|r| r.close(RELATED, true))
            .map_err(|_| "three operations fit")?;
        r.run(&c).map_err(|_| "the compound succeeds")?;
        let created = r.created(0).map_err(|_| "the CREATE succeeded")?;
        ensure(created.info.end_of_file == 5000, "CREATE: 5000 bytes")?;
        ensure(created.contexts & ctx::MXAC != 0, "CREATE: MxAc answered")?;
        let std = r.bytes(1);
        ensure(
            std.len() >= 16 && std[8..16] == 5000u64.to_le_bytes(),
            "QUERY_INFO: EndOfFile 5000",
        )?;
        let closed = r.closed(2).map_err(|_| "the CLOSE succeeded")?;
        ensure(
            closed.is_some_and(|a| a.end_of_file == 5000),
            "CLOSE: attributes, 5000 bytes",
        )?;
        // CREATE + SET_INFO (FileEndOfFileInformation 777) + CLOSE, started;
        // the completion gets the request back.
        let mut r = KBox::new(Req::new(), GFP_KERNEL).map_err(|_| "memory")?;
        r.create(
            c"rust-req.bin",
            &CreateHow::open(WRITE_DATA | READ_ATTRIBUTES),
        )
        .and_then(|r| r.set_info(RELATED, 1, 20, 0, &777u64.to_le_bytes()))
        .and_then(|r| r.close(RELATED, true))
        .map_err(|_| "three operations fit")?;
        let s = seen().map_err(|_| "memory")?;
        let t = Req::start(r, &c, ReqSeen { seen: s.clone() }).map_err(|_| "it starts")?;
        t.wait().map_err(|_| "the task succeeds")?;
        drop(t);
        ensure(s.calls.load(Ordering::Acquire) == 1, "one completion")?;
        ensure(s.errno.load(Ordering::Acquire) == 0, "no error")?;
        ensure(s.bytes.load(Ordering::Acquire) == 777, "CLOSE: 777 bytes")?;
        ensure(
            f.getattr().is_ok_and(|a| a.end_of_file == 777),
            "the file is 777 bytes",
        )?;
        // A sixth operation does not fit.
        let mut r = Req::new();
        for _ in 0..5 {
            r.flush(RELATED).map_err(|_| "five fit")?;
        }
        ensure(r.flush(RELATED).err() == Some(EINVAL), "a sixth is EINVAL")?;
        f.delete().map_err(|_| "delete")
    }

    #[test]
    fn typed_requests_run_and_start_compounds() {
        assert_eq!(report(typed_requests()), Ok(()));
    }
}
