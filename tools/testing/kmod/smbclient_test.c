// SPDX-License-Identifier: GPL-2.0
/*
 * smbclient_test.ko: drives smbclient.ko's <smb/clnt.h> from guest test
 * scripts through debugfs, as an in-kernel C consumer would. Test only.
 *
 *   /sys/kernel/debug/smbclient_test/
 *     create   write "ADDR PORT UNC USER PASSWORD DIALECT_MIN DIALECT_MAX
 *              [FLAGS [TIMEO_MS XPRT_FLAGS]]" (dialects and FLAGS in hex,
 *              FLAGS SMB_CLNT_*, XPRT_FLAGS 1 soft 2 hard; the domain is
 *              empty): smb_nt_hash() of the password, then
 *              smb_clnt_create() into the next free slot (8). The write
 *              fails with its error; `info` shows the handle.
 *     info     read: a line per handle: "SLOT dialect 0x311 session
 *              0x... tree N signing 0|1 guest 0|1 share_flags 0x..
 *              encrypted 0|1".
 *     echo     write "SLOT N": N ECHOs on the handle's session.
 *     put      write "SLOT PATH SIZE [CHUNK]": create (or overwrite) PATH
 *              and write SIZE bytes of the pattern byte(i) = (i * 7 + i /
 *              251) & 0xff with smb_clnt_write() from kvec iterators of
 *              CHUNK bytes (default 96 KiB, so that writes straddle chunk
 *              ends; at most 8 MiB), then close it.
 *     stat     write "SLOT PATH": open, smb_clnt_getattr(), close; `result`
 *              shows "size N alloc N nlink N dir 0|1 attrs 0x..".
 *     mv       write "SLOT OLD NEW": open OLD, smb_clnt_rename() to NEW.
 *     rm       write "SLOT PATH": open PATH, smb_clnt_delete(), close.
 *     ls       write "SLOT DIR": open DIR, smb_clnt_readdir(); `result`
 *              shows "entries N dirs N bytes N".
 *     cat      write "SLOT PATH [SIZE]": one compound CREATE + READ (SIZE
 *              bytes at 0, default 64 KiB, at most 8 MiB; the reply lands
 *              whole in the task's reply buffer) + CLOSE through
 *              smb_call_sync(); `result` shows "statuses 0x.. 0x.. 0x..
 *              read N sha256 HEX" (of the bytes read).
 *     aread    write "SLOT PATH N SIZE": N asynchronous tasks (smb_run_task
 *              with SMB_TASK_ASYNC), task i one READ of SIZE bytes at
 *              i * SIZE straight into its own buffer; waits for all;
 *              `result` shows "tasks N ok N callbacks N on_smbiod N
 *              bytes N sha256 HEX" (on_smbiod: done callbacks that ran in
 *              a work item of smbxprt's, i.e. on smbiod; the hash is of
 *              the buffers in order).
 *     hold     write "SLOT PATH": open PATH and keep the FileId (one).
 *     readheld write anything: one READ of 4 KiB with the kept FileId (on
 *              the slot it was opened on); fails with its error.
 *     locks    write "SLOT PATH": two opens of PATH; byte-range locks
 *              between them, an unlock of a range never locked, FLUSH,
 *              SET_INFO of the end of file to 12345 and QUERY_INFO of
 *              FileStandardInformation (and into a 4-byte buffer); `result`
 *              shows each call's return, "lock R conflict R unlock R after
 *              R stray_unlock R flush R truncate R eof N small R".
 *     blocklock write "SLOT PATH HOLD_MS": two opens of PATH; the first
 *              locks 4 KiB, and lets go HOLD_MS later (from a work item)
 *              while the second waits in a blocking lock of the same range;
 *              `result` shows "hold R blocked_ms N err R unlock R".
 *     oplock   write "SLOT PATH": open PATH with a batch oplock and watch
 *              its FileId (smb_clnt_watch_fid); open it again, which makes
 *              the server break the oplock; the callback acknowledges the
 *              break (smb_clnt_oplock_ack). `result` shows "granted L
 *              breaks N to L ack R second R".
 *     events   write "SLOT": smb_clnt_set_events() on the handle, with a
 *              callback that counts re-authentications.
 *     reconnects read: "N err E": the callback's count and its last error.
 *     aio, abench, acancel: see smbclient_aio.c; unwatched:
 *              smbclient_unwatched.c; lsdir, listing: smbclient_dir.c;
 *              compound5: smbclient_compound5.c; reqstat, reqtrunc, reqdir,
 *              reqmisc: smbclient_req.c.
 *     result   read: the last stat, ls, cat, aread, locks, oplock, aio,
 *              abench, acancel, unwatched, lsdir, compound5 or req*.
 *     release  write "SLOT" (or "all").
 */
#include <crypto/sha2.h>
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/inet.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/completion.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>
#include <linux/unaligned.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <smb/auth.h>
#include <smb/clnt.h>
#include <smb/xprt.h>

#include "smbtest.h"
#include "smbclient_test.h"

MODULE_DESCRIPTION("Test driver for smbclient.ko (debugfs)");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS("SMB");

/* Commands hold it for reading (so that they run concurrently, and a
 * caller waiting for it can be killed); create and release for writing. */
DECLARE_RWSEM(slots_sem);
struct smb_clnt *slots[SLOTS];
static struct dentry *test_dir;

int copy_arg(const char __user *ubuf, size_t len, char *buf, size_t size)
{
	if (len == 0 || len >= size)
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	strim(buf);
	return 0;
}

static ssize_t create_write(struct file *f, const char __user *ubuf,
			    size_t len, loff_t *ppos)
{
	char buf[512], ip[64], unc[160], user[64], pass[64];
	unsigned int port, dmin, dmax, flags = 0, timeo = 0, xflags = 0;
	struct sockaddr_storage ss = {};
	struct smb_clnt_args args = {};
	struct smb_clnt *c;
	u8 hash[SMB_NT_HASH_SIZE];
	int err, i;

	err = copy_arg(ubuf, len, buf, sizeof(buf));
	if (err)
		return err;
	if (sscanf(buf, "%63s %u %159s %63s %63s %x %x %x %u %u", ip, &port, unc, user,
		   pass, &dmin, &dmax, &flags, &timeo, &xflags) < 7)
		return -EINVAL;
	if (in4_pton(ip, -1, (u8 *)&((struct sockaddr_in *)&ss)->sin_addr, -1, NULL)) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		args.addrlen = sizeof(*sin);
	} else if (in6_pton(ip, -1, ((struct sockaddr_in6 *)&ss)->sin6_addr.s6_addr, -1, NULL)) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		args.addrlen = sizeof(*sin6);
	} else {
		return -EINVAL;
	}
	err = smb_nt_hash(pass, strlen(pass), hash);
	memzero_explicit(pass, sizeof(pass));
	memzero_explicit(buf, sizeof(buf));
	if (err)
		return err;
	args.addr = (struct sockaddr *)&ss;
	args.unc = unc;
	args.user = user;
	args.domain = "";
	args.nt_hash = hash;
	args.dialect_min = dmin;
	args.dialect_max = dmax;
	args.flags = flags;
	args.timeo_ms = timeo;
	args.xprt_flags = xflags;
	c = smb_clnt_create(&args);
	memzero_explicit(hash, sizeof(hash));
	if (IS_ERR(c))
		return PTR_ERR(c);
	if (down_write_killable(&slots_sem)) {
		smb_clnt_release(c);
		return -EINTR;
	}
	for (i = 0; i < SLOTS && slots[i]; i++)
		;
	if (i < SLOTS)
		slots[i] = c;
	up_write(&slots_sem);
	if (i == SLOTS) {
		smb_clnt_release(c);
		return -ENOSPC;
	}
	return len;
}

static int info_show(struct seq_file *m, void *v)
{
	struct smb_clnt_info ci;
	int i;

	if (down_read_killable(&slots_sem))
		return -EINTR;
	for (i = 0; i < SLOTS; i++) {
		if (!slots[i] || smb_clnt_info(slots[i], &ci))
			continue;
		seq_printf(m, "%d dialect %#x session %#llx tree %u signing %u guest %u share_flags %#x encrypted %u\n",
			   i, ci.dialect, (unsigned long long)ci.session_id, ci.tree_id,
			   ci.signing, ci.guest, ci.share_flags, ci.encrypted);
	}
	up_read(&slots_sem);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(info);

static ssize_t echo_write(struct file *f, const char __user *ubuf, size_t len,
			  loff_t *ppos)
{
	unsigned int slot, n, i;
	char buf[32];
	int err;

	err = copy_arg(ubuf, len, buf, sizeof(buf));
	if (err)
		return err;
	if (sscanf(buf, "%u %u", &slot, &n) != 2 || slot >= SLOTS)
		return -EINVAL;
	if (down_read_killable(&slots_sem))
		return -EINTR;
	err = slots[slot] ? 0 : -ENOENT;
	for (i = 0; i < n && !err; i++)
		err = smb_clnt_echo(slots[slot], 10 * HZ);
	up_read(&slots_sem);
	return err ? err : len;
}

#define PUT_CHUNK (96 * 1024)
#define PUT_CHUNK_MAX (8 << 20)

static ssize_t put_write(struct file *f, const char __user *ubuf, size_t len,
			 loff_t *ppos)
{
	unsigned long long size, off = 0;
	unsigned int slot, chunk = PUT_CHUNK;
	char buf[256], path[200];
	struct smb_fid fid;
	u8 *data;
	int err, cerr;

	err = copy_arg(ubuf, len, buf, sizeof(buf));
	if (err)
		return err;
	if (sscanf(buf, "%u %199s %llu %u", &slot, path, &size, &chunk) < 3 || slot >= SLOTS ||
	    !chunk || chunk > PUT_CHUNK_MAX)
		return -EINVAL;
	data = kvmalloc(chunk, GFP_KERNEL);
	if (!data)
		return -ENOMEM;
	if (down_read_killable(&slots_sem)) {
		kvfree(data);
		return -EINTR;
	}
	err = slots[slot] ? 0 : -ENOENT;
	/* GENERIC_WRITE, FILE_OVERWRITE_IF, FILE_NON_DIRECTORY_FILE. */
	if (!err)
		err = smb_clnt_open(slots[slot], path, 0x40000000 | 0x80, 5, 0x40, &fid, NULL);
	if (err)
		goto out;
	while (off < size && !err) {
		size_t n = min_t(u64, chunk, size - off), i;
		struct kvec kv = { .iov_base = data, .iov_len = n };
		struct iov_iter iter;
		ssize_t w;

		for (i = 0; i < n; i++)
			data[i] = ((off + i) * 7 + (off + i) / 251) & 0xff;
		iov_iter_kvec(&iter, ITER_SOURCE, &kv, 1, n);
		w = smb_clnt_write(slots[slot], &fid, off, &iter);
		if (w <= 0)
			err = w ? w : -EIO;
		else
			off += w;
	}
	cerr = smb_clnt_close(slots[slot], &fid);
	if (!err)
		err = cerr;
out:
	up_read(&slots_sem);
	kvfree(data);
	return err ? err : len;
}

char result[256];

/* MS-SMB2 2.2.13 values. */
#define DELETE_ACCESS		0x00010000
#define READ_ATTRIBUTES		0x00000080
#define LIST_DIRECTORY		0x00000001
#define FILE_OPEN		1
#define DIRECTORY_FILE		0x00000001

struct ls_count {
	unsigned long entries, dirs;
	u64 bytes;
};

static bool ls_actor(void *ctx, const char *name, size_t len,
		     const struct smb_file_info *info, u64 ino)
{
	struct ls_count *c = ctx;

	c->entries++;
	c->dirs += info->directory;
	c->bytes += info->end_of_file;
	return true;
}

/* "SLOT PATH [ARG]": the handle (locked) and an open of PATH. */
static int path_op(const char __user *ubuf, size_t len, const char *op)
{
	char buf[512], p1[200], p2[200] = "";
	struct smb_file_info fi;
	struct smb_clnt *c;
	struct smb_fid fid;
	unsigned int slot;
	int err, cerr;

	err = copy_arg(ubuf, len, buf, sizeof(buf));
	if (err)
		return err;
	if (sscanf(buf, "%u %199s %199s", &slot, p1, p2) < 2 || slot >= SLOTS)
		return -EINVAL;
	if (down_read_killable(&slots_sem))
		return -EINTR;
	c = slots[slot];
	err = c ? 0 : -ENOENT;
	if (err)
		goto out;
	if (!strcmp(op, "ls"))
		err = smb_clnt_open(c, p1, LIST_DIRECTORY | READ_ATTRIBUTES, FILE_OPEN,
				    DIRECTORY_FILE, &fid, NULL);
	else
		err = smb_clnt_open(c, p1, READ_ATTRIBUTES |
				    (strcmp(op, "stat") ? DELETE_ACCESS : 0),
				    FILE_OPEN, 0, &fid, NULL);
	if (err)
		goto out;
	if (!strcmp(op, "stat")) {
		err = smb_clnt_getattr(c, &fid, &fi);
		if (!err)
			snprintf(result, sizeof(result), "size %llu alloc %llu nlink %u dir %u attrs %#x\n",
				 fi.end_of_file, fi.allocation_size, fi.nlink,
				 fi.directory, fi.attributes);
	} else if (!strcmp(op, "mv")) {
		err = *p2 ? smb_clnt_rename(c, &fid, p2, false) : -EINVAL;
	} else if (!strcmp(op, "rm")) {
		err = smb_clnt_delete(c, &fid);
	} else {
		struct ls_count n = {};
		int r = smb_clnt_readdir(c, &fid, ls_actor, &n);

		err = r < 0 ? r : 0;
		if (!err)
			snprintf(result, sizeof(result), "entries %lu dirs %lu bytes %llu\n",
				 n.entries, n.dirs, n.bytes);
	}
	cerr = smb_clnt_close(c, &fid);
	if (!err)
		err = cerr;
out:
	up_read(&slots_sem);
	return err;
}

#define PATH_OP(name)							\
static ssize_t name##_write(struct file *f, const char __user *ubuf,	\
			    size_t len, loff_t *ppos)			\
{									\
	int err = path_op(ubuf, len, #name);				\
	return err ? err : len;						\
}									\
static const struct file_operations name##_fops = {			\
	.owner = THIS_MODULE, .write = name##_write			\
}
PATH_OP(stat);
PATH_OP(mv);
PATH_OP(rm);
PATH_OP(ls);

/*
 * A "SLOT PATH" command (PATH of at most 199 bytes): on success the slot's
 * handle is in *@c, its number in *@slotp (if not NULL), PATH in @path,
 * and slots_sem is held (for reading) for the caller to drop.
 */
static int lock_slot_path(const char __user *ubuf, size_t len, struct smb_clnt **c,
			  unsigned int *slotp, char path[200])
{
	unsigned int slot;
	char buf[256];
	int err;

	err = copy_arg(ubuf, len, buf, sizeof(buf));
	if (err)
		return err;
	if (sscanf(buf, "%u %199s", &slot, path) != 2 || slot >= SLOTS)
		return -EINVAL;
	if (down_read_killable(&slots_sem))
		return -EINTR;
	*c = slots[slot];
	if (!*c) {
		up_read(&slots_sem);
		return -ENOENT;
	}
	if (slotp)
		*slotp = slot;
	return 0;
}

/* MS-SMB2 2.2.13 and MS-FSCC values. */
#define READ_DATA		0x00000001
#define WRITE_DATA		0x00000002
#define INFO_FILE		1
#define FILE_STANDARD_INFO	5
#define FILE_END_OF_FILE_INFO	20

static ssize_t locks_write(struct file *f, const char __user *ubuf, size_t len,
			   loff_t *ppos)
{
	int lk, conflict, unlock, after, stray, flush, trunc, q, small;
	struct smb_fid a, b;
	char path[200];
	struct smb_clnt *c;
	u8 info[64], tiny[4];
	__le64 eof = cpu_to_le64(12345);
	size_t got = 0, got_small = 0;
	int err;

	err = lock_slot_path(ubuf, len, &c, NULL, path);
	if (err)
		return err;
	err = smb_clnt_open(c, path, READ_DATA | WRITE_DATA | READ_ATTRIBUTES,
			    FILE_OPEN, 0, &a, NULL);
	if (err)
		goto out;
	err = smb_clnt_open(c, path, READ_DATA | READ_ATTRIBUTES, FILE_OPEN, 0, &b, NULL);
	if (err) {
		smb_clnt_close(c, &a);
		goto out;
	}
	lk = smb_clnt_lock(c, &a, 0, 4096, SMB_LOCK_EXCLUSIVE | SMB_LOCK_FAIL_IMMEDIATELY);
	conflict = smb_clnt_lock(c, &b, 0, 4096, SMB_LOCK_SHARED | SMB_LOCK_FAIL_IMMEDIATELY);
	unlock = smb_clnt_lock(c, &a, 0, 4096, SMB_LOCK_UNLOCK);
	after = smb_clnt_lock(c, &b, 0, 4096, SMB_LOCK_SHARED | SMB_LOCK_FAIL_IMMEDIATELY);
	if (!after)
		smb_clnt_lock(c, &b, 0, 4096, SMB_LOCK_UNLOCK);
	stray = smb_clnt_lock(c, &a, 8192, 10, SMB_LOCK_UNLOCK);
	flush = smb_clnt_flush(c, &a);
	trunc = smb_clnt_set_info(c, &a, INFO_FILE, FILE_END_OF_FILE_INFO, 0, &eof, sizeof(eof));
	q = smb_clnt_query_info(c, &a, INFO_FILE, FILE_STANDARD_INFO, 0, info, sizeof(info), &got);
	small = smb_clnt_query_info(c, &a, INFO_FILE, FILE_STANDARD_INFO, 0, tiny, sizeof(tiny),
				    &got_small);
	smb_clnt_close(c, &b);
	smb_clnt_close(c, &a);
	/* FileStandardInformation: AllocationSize, then EndOfFile. */
	snprintf(result, sizeof(result),
		 "lock %d conflict %d unlock %d after %d stray_unlock %d flush %d truncate %d eof %llu small %d\n",
		 lk, conflict, unlock, after, stray, flush, trunc,
		 q || got < 16 ? 0ULL : get_unaligned_le64(info + 8), small);
out:
	up_read(&slots_sem);
	return err ? err : len;
}

static const struct file_operations locks_fops = { .owner = THIS_MODULE, .write = locks_write };

/* blocklock: the holder's unlock, run HOLD_MS after the blocked lock went out. */
static struct {
	struct smb_clnt *clnt;
	struct smb_fid fid;
	int err;
	struct delayed_work work;
} unlocker;

static void unlock_later(struct work_struct *w)
{
	unlocker.err = smb_clnt_lock(unlocker.clnt, &unlocker.fid, 0, 4096, SMB_LOCK_UNLOCK);
}

static ssize_t blocklock_write(struct file *f, const char __user *ubuf, size_t len,
			       loff_t *ppos)
{
	unsigned int slot, hold_ms;
	struct smb_fid a, b;
	struct smb_clnt *c;
	char buf[256], path[200];
	ktime_t t0;
	int err, lk, blocked;

	err = copy_arg(ubuf, len, buf, sizeof(buf));
	if (err)
		return err;
	if (sscanf(buf, "%u %199s %u", &slot, path, &hold_ms) != 3 || slot >= SLOTS)
		return -EINVAL;
	if (down_read_killable(&slots_sem))
		return -EINTR;
	c = slots[slot];
	err = c ? 0 : -ENOENT;
	if (err)
		goto out;
	err = smb_clnt_open(c, path, READ_DATA | WRITE_DATA | READ_ATTRIBUTES,
			    FILE_OPEN, 0, &a, NULL);
	if (err)
		goto out;
	err = smb_clnt_open(c, path, READ_DATA | WRITE_DATA | READ_ATTRIBUTES,
			    FILE_OPEN, 0, &b, NULL);
	if (err) {
		smb_clnt_close(c, &a);
		goto out;
	}
	lk = smb_clnt_lock(c, &a, 0, 4096, SMB_LOCK_EXCLUSIVE | SMB_LOCK_FAIL_IMMEDIATELY);
	unlocker.clnt = c;
	unlocker.fid = a;
	unlocker.err = -EINPROGRESS;
	schedule_delayed_work(&unlocker.work, msecs_to_jiffies(hold_ms));
	t0 = ktime_get();
	/* Blocking: waits (killably) until the holder lets go. */
	blocked = smb_clnt_lock(c, &b, 0, 4096, SMB_LOCK_EXCLUSIVE);
	snprintf(result, sizeof(result), "hold %d blocked_ms %lld err %d",
		 lk, ktime_ms_delta(ktime_get(), t0), blocked);
	flush_delayed_work(&unlocker.work);
	if (!blocked)
		smb_clnt_lock(c, &b, 0, 4096, SMB_LOCK_UNLOCK);
	snprintf(result + strlen(result), sizeof(result) - strlen(result), " unlock %d\n",
		 unlocker.err);
	smb_clnt_close(c, &b);
	smb_clnt_close(c, &a);
out:
	up_read(&slots_sem);
	return err ? err : len;
}

static const struct file_operations blocklock_fops = {
	.owner = THIS_MODULE,
	.write = blocklock_write,
};

/* The break the oplock test's callback saw, and its acknowledgement. */
static struct {
	struct smb_clnt *clnt;
	struct smb_fid fid;
	int breaks, level, ack;
	struct completion acked;
} brk_seen;

static void test_break(void *ctx, const struct smb_break *b)
{
	if (b->kind != SMB_BREAK_OPLOCK || b->fid.persistent != brk_seen.fid.persistent ||
	    b->fid.volatile_id != brk_seen.fid.volatile_id)
		return;
	brk_seen.breaks++;
	brk_seen.level = b->oplock_level;
	brk_seen.ack = smb_clnt_oplock_ack(brk_seen.clnt, &b->fid, b->oplock_level);
	complete(&brk_seen.acked);
}

static const struct smb_break_ops test_break_ops = {
	.owner = THIS_MODULE,
	.brk = test_break,
};

#define OPLOCK_BATCH 9

static ssize_t oplock_write(struct file *f, const char __user *ubuf, size_t len,
			    loff_t *ppos)
{
	struct smb_open_args args = {
		.desired_access = READ_DATA | READ_ATTRIBUTES,
		.disposition = FILE_OPEN,
		.oplock_level = OPLOCK_BATCH,
	};
	struct smb_break_watch *w;
	struct smb_open_info info;
	struct smb_fid second;
	struct smb_clnt *c;
	char path[200];
	int err, second_err;

	err = lock_slot_path(ubuf, len, &c, NULL, path);
	if (err)
		return err;
	args.path = path;
	memset(&brk_seen, 0, sizeof(brk_seen));
	init_completion(&brk_seen.acked);
	brk_seen.ack = 1;
	brk_seen.clnt = c;
	err = smb_clnt_open_ex(c, &args, &brk_seen.fid, &info);
	if (err)
		goto out;
	w = smb_clnt_watch_fid(c, &brk_seen.fid, &test_break_ops, NULL);
	if (IS_ERR(w)) {
		err = PTR_ERR(w);
		smb_clnt_close(c, &brk_seen.fid);
		goto out;
	}
	args.oplock_level = 0;
	second_err = smb_clnt_open(c, path, READ_DATA | READ_ATTRIBUTES, FILE_OPEN, 0,
				   &second, NULL);
	/* The break may be delivered after the second open returned. */
	if (info.oplock_level == OPLOCK_BATCH)
		wait_for_completion_timeout(&brk_seen.acked, 10 * HZ);
	smb_clnt_unwatch(w);
	if (!second_err)
		smb_clnt_close(c, &second);
	smb_clnt_close(c, &brk_seen.fid);
	snprintf(result, sizeof(result), "granted %u breaks %d to %d ack %d second %d\n",
		 info.oplock_level, brk_seen.breaks, brk_seen.level, brk_seen.ack, second_err);
out:
	up_read(&slots_sem);
	return err ? err : len;
}

static const struct file_operations oplock_fops = { .owner = THIS_MODULE, .write = oplock_write };

static atomic_t reconnects = ATOMIC_INIT(0);
static int reconnect_err;

static void test_reconnected(void *ctx, struct smb_clnt *clnt, int err)
{
	WRITE_ONCE(reconnect_err, err);
	atomic_inc(&reconnects);
}

static const struct smb_clnt_events test_events = {
	.owner = THIS_MODULE,
	.reconnected = test_reconnected,
};

static ssize_t events_write(struct file *f, const char __user *ubuf, size_t len,
			    loff_t *ppos)
{
	unsigned int slot;
	char buf[32];
	int err;

	err = copy_arg(ubuf, len, buf, sizeof(buf));
	if (err)
		return err;
	if (kstrtouint(buf, 10, &slot) || slot >= SLOTS)
		return -EINVAL;
	if (down_read_killable(&slots_sem))
		return -EINTR;
	atomic_set(&reconnects, 0);
	WRITE_ONCE(reconnect_err, 0);
	err = slots[slot] ? smb_clnt_set_events(slots[slot], &test_events, NULL) : -ENOENT;
	up_read(&slots_sem);
	return err ? err : len;
}

static int reconnects_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%d err %d\n", atomic_read(&reconnects), READ_ONCE(reconnect_err));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(reconnects);

static const struct file_operations events_fops = { .owner = THIS_MODULE, .write = events_write };

#define CAT_LEN 65536
#define CAT_MAX (8 << 20)

static ssize_t cat_write(struct file *f, const char __user *ubuf, size_t len,
			 loff_t *ppos)
{
	static const u8 related_fid[16] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	};
	struct cat_bufs {
		u8 create[64 + 56 + 400], read[64 + 49], close[64 + 24];
		u8 crsp[512], csp[128], digest[SHA256_DIGEST_SIZE];
		struct smb_task_op ops[3];
	} *cb;
	u8 *create, *read, *close, *crsp, *csp, *digest, *rrsp, *b;
	struct smb_task_op *ops;
	char buf[256], path[180];
	unsigned int slot, i, n, size = CAT_LEN;
	u32 dlen = 0, doff;
	int err;

	err = copy_arg(ubuf, len, buf, sizeof(buf));
	if (err)
		return err;
	if (sscanf(buf, "%u %179s %u", &slot, path, &size) < 2 || slot >= SLOTS || !size ||
	    size > CAT_MAX)
		return -EINVAL;
	cb = kzalloc(sizeof(*cb), GFP_KERNEL);
	rrsp = kvzalloc(64 + 16 + size, GFP_KERNEL);
	if (!cb || !rrsp) {
		kfree(cb);
		kvfree(rrsp);
		return -ENOMEM;
	}
	create = cb->create;
	read = cb->read;
	close = cb->close;
	crsp = cb->crsp;
	csp = cb->csp;
	digest = cb->digest;
	ops = cb->ops;
	/* CREATE (MS-SMB2 2.2.13): FILE_READ_DATA | READ_ATTRIBUTES, FILE_OPEN. */
	b = create + 64;
	put_unaligned_le16(57, b);
	put_unaligned_le32(2, b + 4);
	put_unaligned_le32(0x81, b + 24);
	put_unaligned_le32(7, b + 32);
	put_unaligned_le32(1, b + 36);
	put_unaligned_le32(0x40, b + 40);
	put_unaligned_le16(64 + 56, b + 44);
	for (n = 0; path[n] && n < 200; n++) {
		b[56 + 2 * n] = path[n] == '/' ? '\\' : path[n];
		b[56 + 2 * n + 1] = 0;
	}
	put_unaligned_le16(2 * n, b + 46);
	/* READ (2.2.19) of the file just opened. */
	b = read + 64;
	put_unaligned_le16(49, b);
	b[2] = 0x50;
	put_unaligned_le32(size, b + 4);
	memcpy(b + 16, related_fid, 16);
	/* CLOSE (2.2.15) of it. */
	b = close + 64;
	put_unaligned_le16(24, b);
	memcpy(b + 8, related_fid, 16);

	ops[0] = (struct smb_task_op){ .command = 5, .req = create,
		.req_len = 64 + 56 + max(2 * n, 1u), .rsp = crsp, .rsp_size = sizeof(cb->crsp) };
	ops[1] = (struct smb_task_op){ .command = 8, .credit_charge = DIV_ROUND_UP(size, 65536),
		.req = read, .req_len = sizeof(cb->read), .rsp = rrsp, .rsp_size = 64 + 16 + size };
	ops[2] = (struct smb_task_op){ .command = 6, .req = close,
		.req_len = sizeof(cb->close), .rsp = csp, .rsp_size = sizeof(cb->csp) };
	if (down_read_killable(&slots_sem)) {
		err = -EINTR;
		goto out;
	}
	err = slots[slot] ? smb_call_sync(slots[slot], ops, 3, SMB_TASK_REPLAYABLE, 60 * HZ) : -ENOENT;
	up_read(&slots_sem);
	if (!err && ops[1].status == 0 && ops[1].rsp_len >= 64 + 16) {
		doff = rrsp[64 + 2];
		dlen = get_unaligned_le32(rrsp + 64 + 4);
		if (doff < 64 + 16 || doff + dlen > min(ops[1].rsp_len, (size_t)64 + 16 + size))
			err = -EPROTO;
		else
			sha256(rrsp + doff, dlen, digest);
	}
	if (!err) {
		i = snprintf(result, sizeof(result), "statuses %#x %#x %#x read %u sha256 ",
			     ops[0].status, ops[1].status, ops[2].status, dlen);
		if (ops[1].status == 0)
			snprintf(result + i, sizeof(result) - i, "%*phN\n", 32, digest);
		else
			snprintf(result + i, sizeof(result) - i, "-\n");
	}
out:
	kvfree(rrsp);
	kfree(cb);
	return err ? err : len;
}
static const struct file_operations cat_fops = { .owner = THIS_MODULE, .write = cat_write };

struct aread_one {
	u8 req[64 + 49];
	u8 rsp[256];
	struct smb_task_op op;
	struct kvec kv;
	struct iov_iter iter;
	struct smb_task *task;
	void *buf;
};

struct aread_all {
	atomic_t left;
	atomic_t done_calls;
	atomic_t on_smbiod;
	struct completion all_done;
};

static void aread_done(struct smb_task *task, void *data)
{
	struct aread_all *all = data;

	if (smbtest_on_smbiod())
		atomic_inc(&all->on_smbiod);
	atomic_inc(&all->done_calls);
	if (atomic_dec_and_test(&all->left))
		complete(&all->all_done);
}

static const struct smb_task_ops aread_ops = {
	.owner = THIS_MODULE,
	.done = aread_done,
};

static ssize_t aread_write(struct file *f, const char __user *ubuf,
			   size_t len, loff_t *ppos)
{
	unsigned int slot, n, size, i, ok = 0;
	struct aread_all all = {};
	struct aread_one *one;
	struct sha256_ctx sha;
	u8 digest[SHA256_DIGEST_SIZE];
	char buf[256], path[180];
	struct smb_clnt *c;
	struct smb_fid fid;
	u64 bytes = 0;
	int err;

	err = copy_arg(ubuf, len, buf, sizeof(buf));
	if (err)
		return err;
	if (sscanf(buf, "%u %179s %u %u", &slot, path, &n, &size) != 4 || slot >= SLOTS ||
	    !n || n > 64 || !size || size > (8 << 20))
		return -EINVAL;
	one = kvcalloc(n, sizeof(*one), GFP_KERNEL);
	if (!one)
		return -ENOMEM;
	if (down_read_killable(&slots_sem)) {
		kvfree(one);
		return -EINTR;
	}
	c = slots[slot];
	err = c ? smb_clnt_open(c, path, 0x81, FILE_OPEN, 0x40, &fid, NULL) : -ENOENT;
	if (err)
		goto out;
	atomic_set(&all.left, n);
	init_completion(&all.all_done);
	for (i = 0; i < n && !err; i++) {
		struct aread_one *o = &one[i];
		struct smb_task_setup setup = {
			.clnt = c, .ops = &o->op, .nr_ops = 1, .recv_data = &o->iter,
			.flags = SMB_TASK_ASYNC | SMB_TASK_REPLAYABLE, .timeout = 120 * HZ,
			.callbacks = &aread_ops, .data = &all,
		};
		u8 *b = o->req + 64;

		o->buf = vmalloc(size);
		if (!o->buf) {
			err = -ENOMEM;
			break;
		}
		put_unaligned_le16(49, b);
		b[2] = 0x50;
		put_unaligned_le32(size, b + 4);
		put_unaligned_le64((u64)i * size, b + 8);
		put_unaligned_le64(fid.persistent, b + 16);
		put_unaligned_le64(fid.volatile_id, b + 24);
		o->op = (struct smb_task_op){ .command = 8,
			.credit_charge = DIV_ROUND_UP(size, 65536), .req = o->req,
			.req_len = sizeof(o->req), .rsp = o->rsp, .rsp_size = sizeof(o->rsp) };
		o->kv = (struct kvec){ .iov_base = o->buf, .iov_len = size };
		iov_iter_kvec(&o->iter, ITER_DEST, &o->kv, 1, size);
		o->task = smb_run_task(&setup);
		if (IS_ERR(o->task)) {
			err = PTR_ERR(o->task);
			o->task = NULL;
		}
	}
	/* The tasks that did not start never call back. */
	if (i < n || err) {
		unsigned int started = err ? i - 1 : i;

		if (atomic_sub_and_test(n - started, &all.left))
			complete(&all.all_done);
	}
	/* Uninterruptible: the buffers are the tasks' until they are done. */
	wait_for_completion(&all.all_done);
	sha256_init(&sha);
	for (i = 0; i < n; i++) {
		struct aread_one *o = &one[i];

		if (!o->task)
			continue;
		if (smb_task_result(o->task) == 0 && o->op.status == 0 &&
		    get_unaligned_le32(o->rsp + 64 + 4) == size) {
			ok++;
			bytes += size;
			sha256_update(&sha, o->buf, size);
		}
		smb_task_put(o->task);
	}
	sha256_final(&sha, digest);
	snprintf(result, sizeof(result),
		 "tasks %u ok %u callbacks %d on_smbiod %d bytes %llu sha256 %*phN\n", n, ok,
		 atomic_read(&all.done_calls), atomic_read(&all.on_smbiod), bytes, 32, digest);
	smb_clnt_close(c, &fid);
out:
	up_read(&slots_sem);
	for (i = 0; i < n; i++)
		vfree(one[i].buf);
	kvfree(one);
	return err ? err : len;
}
static const struct file_operations aread_fops = { .owner = THIS_MODULE, .write = aread_write };

static struct smb_fid held_fid;
static unsigned int held_slot = SLOTS;

static ssize_t hold_write(struct file *f, const char __user *ubuf, size_t len,
			  loff_t *ppos)
{
	struct smb_clnt *c;
	unsigned int slot;
	char path[200];
	int err;

	err = lock_slot_path(ubuf, len, &c, &slot, path);
	if (err)
		return err;
	err = smb_clnt_open(c, path, 0x81, FILE_OPEN, 0x40, &held_fid, NULL);
	if (!err)
		held_slot = slot;
	up_read(&slots_sem);
	return err ? err : len;
}

static ssize_t readheld_write(struct file *f, const char __user *ubuf,
			      size_t len, loff_t *ppos)
{
	struct iov_iter iter;
	struct kvec kv;
	ssize_t n;
	void *buf;

	buf = kmalloc(4096, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	kv = (struct kvec){ .iov_base = buf, .iov_len = 4096 };
	iov_iter_kvec(&iter, ITER_DEST, &kv, 1, 4096);
	if (down_read_killable(&slots_sem))
		return -EINTR;
	n = held_slot < SLOTS && slots[held_slot] ?
		smb_clnt_read(slots[held_slot], &held_fid, 0, &iter) : -ENOENT;
	up_read(&slots_sem);
	kfree(buf);
	return n < 0 ? n : len;
}
static const struct file_operations hold_fops = { .owner = THIS_MODULE, .write = hold_write };
static const struct file_operations readheld_fops = { .owner = THIS_MODULE, .write = readheld_write };

static int result_show(struct seq_file *m, void *v)
{
	seq_puts(m, result);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(result);

static ssize_t release_write(struct file *f, const char __user *ubuf,
			     size_t len, loff_t *ppos)
{
	unsigned int slot;
	char buf[16];
	int err, i;

	err = copy_arg(ubuf, len, buf, sizeof(buf));
	if (err)
		return err;
	if (down_write_killable(&slots_sem))
		return -EINTR;
	if (!strcmp(buf, "all")) {
		for (i = 0; i < SLOTS; i++) {
			smb_clnt_release(slots[i]);
			slots[i] = NULL;
		}
	} else if (kstrtouint(buf, 10, &slot) || slot >= SLOTS || !slots[slot]) {
		err = -EINVAL;
	} else {
		smb_clnt_release(slots[slot]);
		slots[slot] = NULL;
	}
	up_write(&slots_sem);
	return err ? err : len;
}

static const struct file_operations create_fops = { .owner = THIS_MODULE, .write = create_write };
static const struct file_operations echo_fops = { .owner = THIS_MODULE, .write = echo_write };
static const struct file_operations release_fops = { .owner = THIS_MODULE, .write = release_write };
static const struct file_operations put_fops = { .owner = THIS_MODULE, .write = put_write };

static int __init smbclient_test_init(void)
{
	INIT_DELAYED_WORK(&unlocker.work, unlock_later);
	test_dir = debugfs_create_dir("smbclient_test", NULL);
	debugfs_create_file("create", 0200, test_dir, NULL, &create_fops);
	debugfs_create_file("info", 0400, test_dir, NULL, &info_fops);
	debugfs_create_file("echo", 0200, test_dir, NULL, &echo_fops);
	debugfs_create_file("release", 0200, test_dir, NULL, &release_fops);
	debugfs_create_file("put", 0200, test_dir, NULL, &put_fops);
	debugfs_create_file("stat", 0200, test_dir, NULL, &stat_fops);
	debugfs_create_file("mv", 0200, test_dir, NULL, &mv_fops);
	debugfs_create_file("rm", 0200, test_dir, NULL, &rm_fops);
	debugfs_create_file("ls", 0200, test_dir, NULL, &ls_fops);
	debugfs_create_file("result", 0400, test_dir, NULL, &result_fops);
	debugfs_create_file("cat", 0200, test_dir, NULL, &cat_fops);
	debugfs_create_file("aread", 0200, test_dir, NULL, &aread_fops);
	debugfs_create_file("hold", 0200, test_dir, NULL, &hold_fops);
	debugfs_create_file("readheld", 0200, test_dir, NULL, &readheld_fops);
	debugfs_create_file("locks", 0200, test_dir, NULL, &locks_fops);
	debugfs_create_file("blocklock", 0200, test_dir, NULL, &blocklock_fops);
	debugfs_create_file("oplock", 0200, test_dir, NULL, &oplock_fops);
	debugfs_create_file("events", 0200, test_dir, NULL, &events_fops);
	debugfs_create_file("reconnects", 0400, test_dir, NULL, &reconnects_fops);
	smbclient_aio_init(test_dir);
	smbclient_unwatched_init(test_dir);
	smbclient_dir_init(test_dir);
	smbclient_compound5_init(test_dir);
	smbclient_req_init(test_dir);
	return 0;
}

static void __exit smbclient_test_exit(void)
{
	int i;

	debugfs_remove_recursive(test_dir);
	for (i = 0; i < SLOTS; i++)
		smb_clnt_release(slots[i]);
	smbclient_dir_exit();
}

module_init(smbclient_test_init);
module_exit(smbclient_test_exit);
