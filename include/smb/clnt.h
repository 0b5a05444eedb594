/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The SMB client API, exported by smbclient.ko in the "SMB" symbol
 * namespace. See Documentation/smbclient.rst.
 *
 * A struct smb_clnt is a handle on a tree connect, on a session, on a
 * transport (<smb/xprt.h>). Transports are shared by (address, port,
 * network namespace, dialect range, receive mode, request timer, soft or
 * hard); sessions by transport and credentials (user, domain, NT hash
 * compared in constant time, SMB_CLNT_SIGN and SMB_CLNT_SEAL). The
 * password never reaches this API: callers pass its NT hash
 * (smb_nt_hash(), <smb/auth.h>), which is kept in memory wiped when freed
 * and never logged.
 *
 * It covers NTLMSSP/NTLMv2 session setup (SMB 2.1 to 3.1.1, with the 3.1.1
 * preauth integrity hash and key derivation), signing and sealing, tree
 * connects, tasks (smb_run_task(), smb_call_sync()) and typed operations.
 */
#ifndef _SMB_CLNT_H
#define _SMB_CLNT_H

#include <linux/types.h>

struct sockaddr;
struct iov_iter;
struct module;

#define SMB_CLNT_SIGN		0x1	/* sign even if the server does not require it */
/*
 * Encrypt even if neither the server nor the share requires it (SMB 3.x
 * with a cipher in common; -EOPNOTSUPP otherwise). Encryption that the
 * server (SMB2_SESSION_FLAG_ENCRYPT_DATA) or the share
 * (SMB2_SHAREFLAG_ENCRYPT_DATA) requires is always used.
 */
#define SMB_CLNT_SEAL		0x2

struct smb_clnt_args {
	/* sockaddr_in or sockaddr_in6, port included (0 means 445). */
	const struct sockaddr *addr;
	size_t addrlen;
	/* The share as \\server\share (UTF-8, NUL-terminated). */
	const char *unc;
	/* UTF-8, NUL-terminated; domain may be "" for a local account. */
	const char *user;
	const char *domain;
	const u8 *nt_hash;		/* SMB_NT_HASH_SIZE (16) bytes */
	u16 dialect_min;		/* SMB_DIALECT_* (<smb/xprt.h>) */
	u16 dialect_max;
	u32 flags;			/* SMB_CLNT_* */
	u32 timeo_ms;			/* transport request timer (0: default) */
	u32 xprt_flags;			/* SMB_XPRT_SOFT or SMB_XPRT_HARD (0: default) */
	/* The network namespace to connect in (a file system's fc->net_ns);
	 * NULL for the calling task's. The caller holds a reference for the
	 * call; the transport takes its own. */
	struct net *net;
};

struct smb_clnt;

/*
 * smb_clnt_create() - connect (or share a connection), authenticate (or
 * share a session) and connect to the tree. Process context; sleeps
 * TASK_KILLABLE. Returns the handle or an ERR_PTR: -EACCES (wrong password,
 * unknown user: STATUS_LOGON_FAILURE; or the final SESSION_SETUP response
 * failed its signature check), -ENOENT (no such share), -EOPNOTSUPP
 * (SMB_CLNT_SEAL, or a share that requires encryption, on a dialect or
 * server that cannot seal), -ECONNABORTED (VALIDATE_NEGOTIATE_INFO found
 * the NEGOTIATE changed on the way), -EIO (a reply that failed its
 * signature check), -EINVAL (bad arguments), -ETIMEDOUT or the connect
 * error, -EINTR.
 */
struct smb_clnt *smb_clnt_create(const struct smb_clnt_args *args);

/* smb_clnt_release() - drop the handle. Process context. */
void smb_clnt_release(struct smb_clnt *clnt);

struct smb_clnt_info {
	u16 dialect;
	u8 signing;			/* requests are signed */
	u8 guest;			/* the server made it a guest session */
	u32 tree_id;
	u64 session_id;
	u32 share_flags;		/* MS-SMB2 2.2.10 ShareFlags */
	u8 encrypted;			/* requests are sealed */
	u32 max_read;			/* the negotiated maximum READ, bytes */
	u32 max_write;			/* ... and WRITE */
};

/*
 * Re-authentication events. After a reconnect smbclient sets the session
 * up again by itself; a handle with events set is then connected to its
 * tree again and ->reconnected is called with 0, or with the error that
 * stopped it (say -EACCES: the password changed). Opens from before the
 * reconnect are gone: this is where an upper layer reopens them. Called on
 * smbclient's workqueue, with the session's list of listeners locked: it
 * may call smb_clnt_* on @clnt, but not smb_clnt_release() or
 * smb_clnt_set_events() on any handle of the same session. The table's
 * owner module is pinned while set.
 */
struct smb_clnt_events {
	struct module *owner;
	void (*reconnected)(void *ctx, struct smb_clnt *clnt, int err);
};

/* smb_clnt_set_events() - set (@ev NULL: remove, waiting for a callback
 * in progress) the handle's events; smb_clnt_release() removes them. */
int smb_clnt_set_events(struct smb_clnt *clnt, const struct smb_clnt_events *ev,
			void *ctx);

/* smb_clnt_info() - what the handle is connected to. */
int smb_clnt_info(struct smb_clnt *clnt, struct smb_clnt_info *out);

/* smb_clnt_echo() - one ECHO on the handle's session (signed if it
 * signs). @timeout in jiffies. */
int smb_clnt_echo(struct smb_clnt *clnt, long timeout);

/* An open's FileId (MS-SMB2 2.2.14.1). */
struct smb_fid {
	u64 persistent;
	u64 volatile_id;
};

/*
 * smb_clnt_open() - CREATE (MS-SMB2 2.2.13) of @path, relative to the
 * share ('/' or '\' separators, UTF-8). @desired_access, @disposition and
 * @create_options are MS-SMB2's (FILE_READ_DATA..., FILE_OPEN...,
 * FILE_NON_DIRECTORY_FILE...). On success *@fid is the open and, if not
 * NULL, *@size the file's EndOfFile. Errors: the NT status as an errno
 * (-ENOENT, -EACCES, -EEXIST, ...). Sleeps TASK_KILLABLE.
 */
int smb_clnt_open(struct smb_clnt *clnt, const char *path, u32 desired_access,
		  u32 disposition, u32 create_options, struct smb_fid *fid,
		  u64 *size);

/* smb_clnt_open_ex() - smb_clnt_open() with an oplock request. */
struct smb_open_args {
	const char *path;
	u32 desired_access;
	u32 disposition;
	u32 create_options;
	u8 oplock_level;	/* SMB2_OPLOCK_LEVEL_* (MS-SMB2 2.2.13): 0 none,
				 * 1 II, 8 exclusive, 9 batch */
};

struct smb_open_info {
	u64 end_of_file;
	u8 oplock_level;	/* what the server granted */
};

int smb_clnt_open_ex(struct smb_clnt *clnt, const struct smb_open_args *args,
		     struct smb_fid *fid, struct smb_open_info *out);

/*
 * Oplock and lease breaks (MS-SMB2 2.2.23). An owner watches an open's
 * FileId or a LeaseKey; when the server breaks it, ->brk is called on
 * smbclient's workqueue (process context: it may call smb_clnt_*, and
 * should acknowledge: smb_clnt_oplock_ack()). The table names its owner
 * module, pinned while the watch lives. smb_clnt_unwatch() waits for a
 * callback in progress and no callback comes after it; it must not be
 * called from the watch's own callback, and every watch must go before
 * smb_clnt_release() of the handle it was made on.
 */
#define SMB_BREAK_OPLOCK	1
#define SMB_BREAK_LEASE		2

struct smb_break {
	u32 kind;		/* SMB_BREAK_* */
	u8 oplock_level;	/* oplock: the level to break to */
	struct smb_fid fid;	/* oplock */
	u8 lease_key[16];	/* lease */
	u32 current_state;	/* lease: SMB2_LEASE_* */
	u32 new_state;
	u32 flags;		/* lease: SMB2_NOTIFY_BREAK_LEASE_FLAG_ACK_REQUIRED */
	u16 epoch;
};

struct smb_break_ops {
	struct module *owner;
	void (*brk)(void *ctx, const struct smb_break *b);
};

struct smb_break_watch;

/* Return the watch, or ERR_PTR(-EINVAL, -EEXIST if watched already,
 * -ENOMEM, -ENODEV). */
struct smb_break_watch *smb_clnt_watch_fid(struct smb_clnt *clnt,
					   const struct smb_fid *fid,
					   const struct smb_break_ops *ops,
					   void *ctx);
struct smb_break_watch *smb_clnt_watch_lease(struct smb_clnt *clnt,
					     const u8 *lease_key,
					     const struct smb_break_ops *ops,
					     void *ctx);
void smb_clnt_unwatch(struct smb_break_watch *watch);

/* smb_clnt_oplock_ack() - OPLOCK_BREAK acknowledgment (MS-SMB2 2.2.24.1)
 * to @level (the one the break named, or lower). */
int smb_clnt_oplock_ack(struct smb_clnt *clnt, const struct smb_fid *fid,
			u8 level);

/* smb_clnt_close() - CLOSE (MS-SMB2 2.2.15) an open. */
int smb_clnt_close(struct smb_clnt *clnt, const struct smb_fid *fid);

/*
 * smb_clnt_read() - one READ (MS-SMB2 2.2.19) at @offset into @dest, a
 * kernel-backed iterator (ITER_KVEC, ITER_BVEC, ITER_FOLIOQ, ITER_XARRAY),
 * of at most its count and the negotiated maximum. The payload goes from
 * the socket straight into @dest, which comes back advanced. Returns the
 * bytes read (0 at the end of the file) or an errno.
 */
ssize_t smb_clnt_read(struct smb_clnt *clnt, const struct smb_fid *fid,
		      u64 offset, struct iov_iter *dest);

/*
 * smb_clnt_write() - one WRITE (MS-SMB2 2.2.21) at @offset from @src (kernel
 * -backed, advanced by what was sent); returns the bytes the server took.
 */
ssize_t smb_clnt_write(struct smb_clnt *clnt, const struct smb_fid *fid,
		       u64 offset, struct iov_iter *src);

/* A file's attributes (MS-FSCC FileBasicInformation and
 * FileStandardInformation). Times are FILETIMEs (100 ns since 1601). */
struct smb_file_info {
	u64 creation_time;
	u64 last_access_time;
	u64 last_write_time;
	u64 change_time;
	u64 allocation_size;
	u64 end_of_file;
	u32 attributes;			/* FILE_ATTRIBUTE_* */
	u32 nlink;
	u8 delete_pending;
	u8 directory;
};

/* smb_clnt_getattr() - QUERY_INFO (MS-SMB2 2.2.37) of an open. */
int smb_clnt_getattr(struct smb_clnt *clnt, const struct smb_fid *fid,
		     struct smb_file_info *out);

/* smb_clnt_rename() - rename an open (opened with DELETE access) to
 * @new_path, relative to the share; -EEXIST if it exists and !@replace. */
int smb_clnt_rename(struct smb_clnt *clnt, const struct smb_fid *fid,
		    const char *new_path, bool replace);

/* smb_clnt_delete() - delete the file of an open (opened with DELETE
 * access) when it is closed. */
int smb_clnt_delete(struct smb_clnt *clnt, const struct smb_fid *fid);

/*
 * smb_clnt_readdir() - list the directory open as @fid (QUERY_DIRECTORY,
 * MS-SMB2 2.2.33, FileIdBothDirectoryInformation, from the start). @actor
 * gets each entry's name (UTF-8, not NUL-terminated), its attributes and
 * its file id (the server's inode number), in the caller's context; it
 * returns false to stop. Returns the number of entries seen, or an errno.
 */
typedef bool (*smb_dir_actor_t)(void *ctx, const char *name, size_t len,
				const struct smb_file_info *info, u64 ino);
int smb_clnt_readdir(struct smb_clnt *clnt, const struct smb_fid *fid,
		     smb_dir_actor_t actor, void *ctx);

/*
 * smb_clnt_query_dir() - the next batch of entries of the directory open
 * as @fid (QUERY_DIRECTORY, MS-SMB2 2.2.33), from its start if @restart
 * (SMB2_RESTART_SCANS), else from where the last batch on this open
 * ended (the server keeps the position with the open): as many
 * FileIdFullDirectoryInformation entries (MS-FSCC 2.4.18, class 38:
 * attributes, times, sizes, the FileId, the name in UTF-16LE; chained by
 * NextEntryOffset, 8-byte aligned) as fit in @buf of @size bytes, which
 * is asked for whole (up to 1 MiB and the server's max transact size, in
 * one multi-credit request). Returns the bytes written, 0 when there are
 * no more entries, or an errno (-EINVAL if @size cannot hold an entry).
 */
ssize_t smb_clnt_query_dir(struct smb_clnt *clnt, const struct smb_fid *fid,
			   bool restart, void *buf, size_t size);

/* smb_clnt_flush() - FLUSH (MS-SMB2 2.2.17): the server writes the open's
 * data to stable storage. */
int smb_clnt_flush(struct smb_clnt *clnt, const struct smb_fid *fid);

/* Byte-range lock flags, MS-SMB2 2.2.26.1's values: exactly one of the
 * first three, optionally with SMB_LOCK_FAIL_IMMEDIATELY. */
#define SMB_LOCK_SHARED			0x01
#define SMB_LOCK_EXCLUSIVE		0x02
#define SMB_LOCK_UNLOCK			0x04
#define SMB_LOCK_FAIL_IMMEDIATELY	0x10

/*
 * smb_clnt_lock() - LOCK (MS-SMB2 2.2.26) of @length bytes at @offset. A
 * range held by another open gives -EAGAIN with SMB_LOCK_FAIL_IMMEDIATELY;
 * without it the call waits (TASK_KILLABLE) until the range is free.
 * Unlocking a range that is not locked gives -ENOLCK
 * (STATUS_RANGE_NOT_LOCKED). Not replayable: after a lost connection
 * it fails with -EIO (the lock went with the open anyway).
 */
int smb_clnt_lock(struct smb_clnt *clnt, const struct smb_fid *fid,
		  u64 offset, u64 length, u32 flags);

/*
 * smb_clnt_query_info() - QUERY_INFO (MS-SMB2 2.2.37) of @info_type
 * (SMB2_0_INFO_FILE 1, _FILESYSTEM 2, _SECURITY 3, _QUOTA 4) and
 * @info_class (MS-FSCC), with @additional (security information). The
 * answer, encoded as MS-FSCC says, goes into @buf (at most @size bytes, up
 * to 64 KiB) and its length into *@len; -EMSGSIZE if it does not fit.
 */
int smb_clnt_query_info(struct smb_clnt *clnt, const struct smb_fid *fid,
			u8 info_type, u8 info_class, u32 additional,
			void *buf, size_t size, size_t *len);

/* smb_clnt_set_info() - SET_INFO (MS-SMB2 2.2.39) with @len bytes of @buf,
 * encoded as MS-FSCC says (up to 64 KiB). */
int smb_clnt_set_info(struct smb_clnt *clnt, const struct smb_fid *fid,
		      u8 info_type, u8 info_class, u32 additional,
		      const void *buf, size_t len);

/*
 * One operation of a task. @req holds the request PDU: 64 bytes of header
 * space (smbclient fills in the header: @command, @credit_charge, the
 * session, the tree, NextCommand and the related flag) followed by the
 * body. @rsp receives the reply PDU, header included; @rsp_len is its full
 * length (more than @rsp_size if it was cut) and @status its NT status.
 * In a compound the operations after the first are related (MS-SMB2
 * 3.2.4.1.4): give them the FileId 0xFFFFFFFFFFFFFFFF:0xFFFFFFFFFFFFFFFF to
 * mean "the file the CREATE opened".
 */
struct smb_task_op {
	u16 command;
	u16 credit_charge;		/* 0: 1 */
	void *req;
	size_t req_len;
	void *rsp;
	size_t rsp_size;
	size_t rsp_len;			/* out */
	u32 status;			/* out */
};

#define SMB_TASK_MAX_OPS	5

/* Safe to send again after a lost connection: smbclient then replays it
 * on the new connection, with the current SessionId and
 * SMB2_FLAGS_REPLAY_OPERATION. */
#define SMB_TASK_REPLAYABLE	0x2

/*
 * smb_call_sync() - run @nr operations (one request, or a compound of up
 * to SMB_TASK_MAX_OPS) and wait for the reply. Sleeps TASK_KILLABLE.
 * Returns 0 once a reply came (each operation's status is in it), or the
 * transport's error (-EINTR, -ETIMEDOUT, -EIO for a lost connection if
 * not replayable, ...).
 */
int smb_call_sync(struct smb_clnt *clnt, struct smb_task_op *ops,
		  unsigned int nr, u32 flags, long timeout);

/*
 * Tasks, in the manner of rpc_run_task(). A task runs the operations of
 * its setup, then calls ->done. Without SMB_TASK_ASYNC it runs in the
 * caller's context (sleeping TASK_KILLABLE) and ->done is called before
 * smb_run_task() returns. With it, ->prepare and the first steps run in
 * the caller of smb_run_task(), which never waits there: the request goes
 * out from there when the session is ready; a task that finds a
 * re-authentication in progress is parked on the session (no worker
 * waits for it) and resumed on smbclient's workqueue ("smbclient",
 * WQ_UNBOUND | WQ_MEM_RECLAIM) when it is over, and one that finds its
 * tree to connect again goes on from that workqueue.
 * Nothing waits for its reply, and ->done is called on smbiod when it
 * comes, or on smbclient's workqueue when a step ran there, or in the
 * caller of
 * smb_run_task() if the task failed before anything was sent or its
 * reply was there by the time the send returned. An asynchronous task's
 * @timeout bounds its wait for credits and the
 * connection; once its request is out, the transport's request timer
 * (soft) or probes (hard) decide. ->done may sleep and start tasks, but
 * must not wait for a reply. ->release is called when the last reference
 * goes, in process context.
 * The ops table names its owner module, pinned while the task lives.
 *
 * The setup's operations, their buffers and the iterators must stay valid
 * until ->done has been called. @recv_data receives a single READ's
 * payload (straight from the socket); @send_data is sent as a single
 * WRITE's payload. smb_clnt_release() waits for the handle's tasks.
 */
struct smb_task;

struct smb_task_ops {
	struct module *owner;
	void (*prepare)(struct smb_task *task, void *data);	/* optional */
	void (*done)(struct smb_task *task, void *data);	/* optional */
	void (*release)(void *data);				/* optional */
};

#define SMB_TASK_ASYNC		0x1

struct smb_task_setup {
	struct smb_clnt *clnt;
	struct smb_task_op *ops;
	unsigned int nr_ops;
	struct iov_iter *recv_data;	/* NULL: none */
	struct iov_iter *send_data;	/* NULL: none */
	u32 flags;			/* SMB_TASK_ASYNC, SMB_TASK_REPLAYABLE */
	long timeout;			/* jiffies; MAX_SCHEDULE_TIMEOUT: none */
	const struct smb_task_ops *callbacks;	/* NULL: none */
	void *data;
};

/* smb_run_task() - start a task; returns it with a reference the caller
 * drops with smb_task_put(), or an ERR_PTR (-EINVAL, -ENOMEM, -ENODEV if
 * the callbacks' owner is going away). Process context. */
struct smb_task *smb_run_task(const struct smb_task_setup *setup);

/* smb_task_result() - 0 or an errno once the task is over (from the
 * moment ->done is called on); -EINPROGRESS before. */
int smb_task_result(struct smb_task *task);

/* smb_task_wait() - sleep (TASK_KILLABLE) until done; the result, or
 * -EINTR (the task goes on). */
int smb_task_wait(struct smb_task *task);

void smb_task_put(struct smb_task *task);

/*
 * smb_task_cancel() - give @task up: a request that went out is cancelled
 * on the server (SMB2 CANCEL, MS-SMB2 3.2.4.24, sent before this returns,
 * so that the caller's next request cannot overtake it) and its destination
 * iterator is no longer written to when this returns; the task completes
 * with -ECANCELED (->done is called on smbclient's workqueue, or in the
 * caller of a synchronous task). Process context; may sleep while a step
 * of the task runs. Returns 0, or -EALREADY if the task was over (or being
 * cancelled) already.
 */
int smb_task_cancel(struct smb_task *task);

/*
 * smb_clnt_abort() - end every task of @clnt now with -EIO, as
 * smb_task_cancel() ends one (a request out is cancelled on the server, a
 * wait given up), and make smb_clnt_release() of @clnt not wait for the
 * server: no TREE_DISCONNECT, and no LOGOFF if it is the session's last
 * handle. For a forced unmount (umount_begin) of a server that does not
 * answer. Tasks started after it run as usual. Process context.
 */
int smb_clnt_abort(struct smb_clnt *clnt);

/*
 * Asynchronous READ and WRITE (MS-SMB2 2.2.19, 2.2.21), as netfs's
 * ->issue_read and ->issue_write use them. The caller fills in the first
 * fields of a struct smb_io (which may be embedded in its own object, a
 * netfs subrequest for one) and starts it; smbclient fills in the results
 * and calls ->done once:
 *   - on smbiod when the reply comes (process context, never softirq),
 *   - on smbclient's workqueue when a step had to wait there (a
 *     re-authentication) or the task was cancelled,
 *   - in the caller of smb_read_async()/smb_write_async(), before it
 *     returns, if the task failed before anything was sent, or if the
 *     reply was there by the time the send returned.
 * ->done may start other operations, and must not wait for a reply. The
 * struct, its iterator and the memory behind it stay the caller's to keep
 * valid until ->done is called; smbclient touches none of them after, so
 * ->done may free them. @iter is a kernel-backed iterator
 * (ITER_KVEC, ITER_BVEC, ITER_FOLIOQ, ITER_XARRAY); one operation moves
 * at most its count and the negotiated maximum (smb_clnt_info's
 * max_read/max_write), and @iter comes back advanced by what moved.
 */
struct smb_io;

struct smb_io_ops {
	struct module *owner;		/* pinned while the task lives */
	void (*done)(struct smb_io *io);
};

/*
 * Credits reserved for asynchronous READs and WRITEs, as netfs's
 * ->prepare_read and ->prepare_write size a subrequest by what it can
 * send at once (cifs.ko's wait_mtu_credits/adjust_credits).
 * smb_clnt_reserve() sets aside credits for up to @bytes on the handle's
 * connection (each covers 64 KiB) and says in @cr->bytes what they cover:
 * maybe less than asked (the server granted fewer, or other requests
 * wait in line for credits), maybe 0. An smb_io given @cr takes the
 * credits its length needs from it when it starts (what is left stays in
 * @cr, and @cr->bytes says how much), and draws on them when it is
 * charged; smb_clnt_unreserve() gives back what is left. A reconnect
 * voids a reservation (its I/O then waits for credits as any other).
 * Process context; neither sleeps.
 */
struct smb_credits {
	size_t bytes;			/* what they cover now (out) */
	void *priv;			/* smbclient's; NULL: none */
};

size_t smb_clnt_reserve(struct smb_clnt *clnt, size_t bytes, struct smb_credits *cr);
void smb_clnt_unreserve(struct smb_credits *cr);

struct smb_io {
	/* Set by the caller. */
	struct smb_clnt *clnt;
	struct smb_fid fid;
	u64 offset;
	struct iov_iter *iter;		/* READ: destination; WRITE: source */
	const struct smb_io_ops *ops;
	void *data;			/* the caller's */
	struct smb_credits *credits;	/* NULL, or credits to draw on */
	/* Set by smbclient before ->done. */
	int error;			/* 0 or -errno (-ECANCELED, -EIO, ...) */
	u8 eof;				/* READ: at or past the end of the file */
	size_t transferred;		/* bytes read, or taken by the server */
};

/*
 * smb_read_async(), smb_write_async() - start @io. Return the task (a
 * reference the caller drops with smb_task_put(); smb_task_cancel() gives
 * it up), or an ERR_PTR (-EINVAL, -ENOMEM, -ENODEV, the transport's error)
 * and then ->done is never called. A READ is replayed after a lost
 * connection; a WRITE is not (-EIO: its outcome is unknown). A READ at or
 * past the end of the file completes with transferred 0 and eof set; a
 * short READ before it with eof clear. A WRITE the server took none of
 * completes with -EIO.
 */
struct smb_task *smb_read_async(struct smb_io *io);
struct smb_task *smb_write_async(struct smb_io *io);

/*
 * Typed operations, alone or in a compound, synchronous or asynchronous.
 *
 * A struct smb_req names up to SMB_TASK_MAX_OPS struct smb_op, sent as one
 * request, or as a compound (MS-SMB2 3.2.4.1.4) whose operations after the
 * first are related: there, the FileId SMB_FID_RELATED means "the file
 * the operation before opened", so that CREATE+QUERY_INFO+CLOSE,
 * CREATE+SET_INFO+CLOSE or CREATE+QUERY_DIRECTORY+QUERY_DIRECTORY go in
 * one round trip. smb_req_sync() runs it in the caller's context
 * (TASK_KILLABLE); smb_req_async() starts it as smb_read_async() starts a
 * READ: the request goes out from the caller's context when the session
 * is ready, and ->done is called once, on smbiod when the reply comes, on
 * smbclient's workqueue if a step waited there or the task was cancelled,
 * or in the caller before smb_req_async() returns if the task failed
 * before anything was sent or its reply was there by the time the send
 * returned. ->done may start other operations, and must not wait for a
 * reply.
 *
 * The caller keeps the struct smb_req, its operations and their buffers
 * valid until the request is over (->done called, or smb_req_sync()
 * returned); a CREATE's path is copied when the request starts. Each
 * operation's results are written into it before ->done: @error is 0 or
 * its own errno (the NT status as an errno; a LOCK held by another open
 * is -EAGAIN; an answer larger than the caller's buffer -EMSGSIZE), and
 * smb_req's @error is the first failure, the transport's (-EINTR,
 * -ETIMEDOUT, -ECANCELED, -EIO for a lost connection if not replayable)
 * or an operation's. The request is replayable after a lost connection
 * if each of its operations is (CLOSE, FLUSH, QUERY_INFO; a CREATE whose
 * disposition is FILE_OVERWRITE(_IF) or FILE_SUPERSEDE on SMB 3.x). A
 * blocking LOCK waits as long as the range is held; the others give up
 * after the request timer.
 */
#define SMB_OP_CREATE		1
#define SMB_OP_CLOSE		2
#define SMB_OP_QUERY_INFO	3
#define SMB_OP_SET_INFO		4
#define SMB_OP_QUERY_DIR	5
#define SMB_OP_FLUSH		6
#define SMB_OP_LOCK		7
#define SMB_OP_IOCTL		8

/* In an operation after the first of a compound: the file opened before. */
#define SMB_FID_RELATED		((struct smb_fid){ ~0ULL, ~0ULL })

/* Create contexts a CREATE asks for (MS-SMB2 2.2.13.2). */
#define SMB_CREATE_CTX_MXAC	0x1	/* maximal access (MxAc) */
#define SMB_CREATE_CTX_QFID	0x2	/* the on-disk file id (QFid) */
#define SMB_CREATE_CTX_LEASE	0x4	/* a lease, version 2 (RqLs) */

/* SMB2_0_IOCTL_IS_FSCTL (MS-SMB2 2.2.31). */
#define SMB_IOCTL_IS_FSCTL	0x1

/* CREATE (MS-SMB2 2.2.13, 2.2.14). The FileId is the operation's @fid. */
struct smb_create_op {
	const char *path;		/* relative to the share, UTF-8 */
	u32 desired_access;
	u32 file_attributes;		/* FILE_ATTRIBUTE_* of a new file */
	u32 share_access;		/* FILE_SHARE_* */
	u32 disposition;		/* FILE_OPEN, FILE_CREATE, ... */
	u32 create_options;
	u8 oplock_level;		/* SMB2_OPLOCK_LEVEL_*; ignored with a lease */
	u32 contexts;			/* SMB_CREATE_CTX_* */
	u8 lease_key[16];		/* SMB_CREATE_CTX_LEASE */
	u32 lease_state;		/* SMB2_LEASE_*_CACHING asked for */
	/* Out. */
	u8 granted_oplock;		/* 0xff: a lease */
	u32 create_action;		/* FILE_OPENED, FILE_CREATED, ... */
	struct smb_file_info attrs;	/* times, sizes, attributes (nlink 0) */
	u32 contexts_found;		/* SMB_CREATE_CTX_* the reply carried */
	u32 maximal_access;
	u8 disk_file_id[16];
	u64 volume_id;
	u32 granted_lease_state;
	u32 lease_flags;
	u16 lease_epoch;
};

/* CLOSE (MS-SMB2 2.2.15, 2.2.16). */
#define SMB_CLOSE_POSTQUERY_ATTRIB	0x1

struct smb_close_op {
	u16 flags;			/* SMB_CLOSE_POSTQUERY_ATTRIB */
	/* Out: the attributes when the server gave them (@attrs_valid). */
	u8 attrs_valid;
	struct smb_file_info attrs;
};

/* QUERY_INFO (2.2.37: the answer into @buf, its length in @len) and
 * SET_INFO (2.2.39: @len bytes of @buf), encoded as MS-FSCC says, at most
 * 64 KiB. */
struct smb_info_op {
	u8 info_type;			/* SMB2_0_INFO_* */
	u8 info_class;
	u32 additional;
	void *buf;
	size_t size;			/* QUERY_INFO: @buf's size */
	size_t len;			/* QUERY_INFO: out; SET_INFO: in */
};

/* QUERY_DIRECTORY (2.2.33): the next batch of @info_class entries (as
 * smb_clnt_query_dir() says), @len 0 when there are no more. */
struct smb_dir_op {
	u8 info_class;			/* 37 FileIdBothDirectoryInformation, 38 ... */
	u8 restart;
	void *buf;
	size_t size;			/* up to 1 MiB */
	size_t len;			/* out */
};

/* LOCK (2.2.26) of one range: SMB_LOCK_* flags. */
struct smb_lock_op {
	u64 offset;
	u64 length;
	u32 flags;
};

/* IOCTL (2.2.31): @in_len bytes of @in, the output into @out (at most
 * 64 KiB). */
struct smb_ioctl_op {
	u32 ctl_code;
	u32 flags;			/* SMB_IOCTL_IS_FSCTL */
	const void *in;
	size_t in_len;
	void *out;
	size_t out_size;
	size_t out_len;			/* out */
};

struct smb_op {
	u32 kind;			/* SMB_OP_* */
	struct smb_fid fid;		/* CREATE: out */
	int error;			/* out */
	union {
		struct smb_create_op create;
		struct smb_close_op close;
		struct smb_info_op info;	/* QUERY_INFO, SET_INFO */
		struct smb_dir_op dir;
		struct smb_lock_op lock;
		struct smb_ioctl_op ioctl;
	};
};

struct smb_req;

struct smb_req_ops {
	struct module *owner;		/* pinned while the task lives */
	void (*done)(struct smb_req *req);
};

struct smb_req {
	struct smb_clnt *clnt;
	struct smb_op *ops;
	unsigned int nr_ops;		/* 1 to SMB_TASK_MAX_OPS */
	const struct smb_req_ops *cb;	/* smb_req_async() */
	void *data;			/* the caller's */
	int error;			/* out */
};

/* smb_req_sync() - run @req; returns its @error. */
int smb_req_sync(struct smb_req *req);

/* smb_req_async() - start @req; returns the task (put with
 * smb_task_put(); smb_task_cancel() gives it up) or an ERR_PTR (-EINVAL,
 * -ENOMEM, -ENODEV, the transport's error), and then ->done is never
 * called. */
struct smb_task *smb_req_async(struct smb_req *req);

#endif /* _SMB_CLNT_H */
