// SPDX-License-Identifier: GPL-2.0
/*
 * smbxprt_test.ko: drives smbxprt.ko from guest test scripts through
 * debugfs, as any in-kernel C consumer of <smb/xprt.h> would. Test only;
 * nothing but the test harness loads it.
 *
 *   /sys/kernel/debug/smbxprt_test/
 *     connect     write "ADDR PORT DIALECT_MIN DIALECT_MAX MODE [TIMEOUT_MS
 *                 [TIMEO_MS [FLAGS]]]" (dialects in hex, MODE 0 default,
 *                 1 softirq, 2 workqueue; TIMEO_MS the request timer, FLAGS
 *                 1 soft, 2 hard, 0 the module's defaults):
 *                 get a transport in the writer's network namespace and wait
 *                 for it to connect. The write fails with the wait's error;
 *                 the transport is kept either way.
 *     echo        write "N": N sequential ECHOs on the kept transport; the
 *                 write fails with the first error. Writers may run in
 *                 parallel.
 *     call        write "N FLAGS [TIMEOUT_MS [TAG]]": N sequential ECHO
 *                 requests through smb_xprt_call(), so that a fake server
 *                 can stand in for any request; TAG in the ECHO's Reserved
 *                 field (a fake server logs it, to tell callers apart).
 *                 FLAGS: SMB_XPRT_CALL_* flags, plus 0x100 ("replayable"):
 *                 this consumer sends a request again itself when the
 *                 transport says the connection went (ECONNRESET, or
 *                 ENOTCONN: nothing went out), within TIMEOUT_MS, as a layer
 *                 above does for requests it knows are safe to repeat;
 *                 without it such a request fails with EIO (its outcome is
 *                 unknown). The write fails with the first error.
 *     acall       write "N FLAGS [TIMEOUT_MS [TAG]]": N ECHO requests as
 *                 call does, all started at once and driven without waiting
 *                 (smb_xprt_charge, smb_xprt_send, smb_xprt_finish from the
 *                 ->wake callback on smbiod), TIMEOUT_MS each (then
 *                 smb_xprt_cancel); waits for every one, then `result`
 *                 says "acalls N ok K eio E etimedout T other O smbiod S"
 *                 (S: results taken from ->wake on smbiod, or from the
 *                 work item it queues when it finds the writer's step
 *                 holding the call).
 *     compound    write "N OPS [TIMEOUT_MS]": N compounds of OPS ECHOs
 *                 (2..8, chained by NextCommand), one after the other;
 *                 each reply must hold OPS successful PDUs. `result` says
 *                 "compounds N ok K pdus P async_finals F err E" (F: last
 *                 PDUs that were the final reply of an operation that went
 *                 async).
 *     create      write "TREE_ID [TIMEOUT_MS]": one CREATE of "late.txt"
 *                 (MS-SMB2 2.2.13) on tree TREE_ID; the write fails with
 *                 its error.
 *     events      read: what the test's handler (registered on every
 *                 connect) was told: "connected N disconnected N generation G
 *                 unsolicited N late N resent N" (late: replies whose
 *                 caller had left, handed to the handlers; the transport
 *                 does nothing else with them; resent: calls of this
 *                 module's sent again after ECONNRESET).
 *     bench       write "N": N sequential ECHOs, timed; the figures go to
 *                 dmesg and to `result`.
 *     iodata      write "write N", "read N" or "ubuf N": one WRITE with an
 *                 N-byte payload sent from a bvec iterator, or one READ of
 *                 N bytes into one (sessionless, so the server answers with
 *                 an error, which must arrive whole in the reply buffer), or
 *                 a WRITE whose payload is user memory (must be refused
 *                 with -EFAULT). The outcome goes to `result`; the write
 *                 fails on a transport error.
 *     negotiated  read: what NEGOTIATE settled.
 *     result      read: the last bench's figures.
 *     release     write anything: put the kept transport (waits for echoes
 *                 in progress).
 */
#include <linux/bvec.h>
#include <linux/debugfs.h>
#include <linux/gfp.h>
#include <linux/in.h>
#include <linux/completion.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <linux/in6.h>
#include <linux/inet.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/rwsem.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <linux/unaligned.h>
#include <smb/xprt.h>

#include "smbtest.h"

MODULE_DESCRIPTION("Test driver for smbxprt.ko (debugfs)");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS("SMB");

/* Held shared by echo writers, exclusively by connect and release. */
static DECLARE_RWSEM(test_sem);
static struct smb_xprt *test_xprt;
static struct dentry *test_dir;
static char test_result[256];
static struct smb_xprt_handler *test_handler;

/* What the handler was told; updated on smbiod, read from debugfs. */
static atomic_t ev_connected, ev_disconnected, ev_unsolicited, ev_late;
/* Calls this module sent again after ECONNRESET (its own replays). */
static atomic_t resent;
static atomic64_t ev_generation;

static void test_event(void *ctx, enum smb_xprt_event ev, u64 generation)
{
	if (ev == SMB_XPRT_EV_CONNECTED)
		atomic_inc(&ev_connected);
	else if (ev == SMB_XPRT_EV_DISCONNECTED)
		atomic_inc(&ev_disconnected);
	atomic64_set(&ev_generation, generation);
}

static bool test_message(void *ctx, enum smb_xprt_msg_kind kind,
			 const void *frame, size_t len, const void *request)
{
	if (kind == SMB_XPRT_MSG_UNSOLICITED) {
		atomic_inc(&ev_unsolicited);
		pr_info("smbxprt_test: server-initiated message, %zu bytes, command %#x\n",
			len, len >= 64 ? get_unaligned_le16((const u8 *)frame + 12) : 0);
	} else if (kind == SMB_XPRT_MSG_LATE_REPLY) {
		atomic_inc(&ev_late);
		pr_info("smbxprt_test: a late reply, command %#x, tree %#x\n",
			len >= 64 ? get_unaligned_le16((const u8 *)frame + 12) : 0,
			request ? get_unaligned_le32((const u8 *)request + 36) : 0);
	}
	return false;
}

static const struct smb_xprt_handler_ops test_handler_ops = {
	.owner = THIS_MODULE,
	.event = test_event,
	.message = test_message,
};

/* Called with test_sem held for writing. */
static void put_test_xprt(void)
{
	if (!test_xprt)
		return;
	if (test_handler)
		smb_xprt_unregister_handler(test_xprt, test_handler);
	test_handler = NULL;
	smb_xprt_put(test_xprt);
	test_xprt = NULL;
}

static int copy_arg(const char __user *ubuf, size_t len, char *buf, size_t size)
{
	if (len == 0 || len >= size)
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	return 0;
}

static ssize_t connect_write(struct file *f, const char __user *ubuf,
			     size_t len, loff_t *ppos)
{
	char buf[128], ip[64];
	unsigned int port, dmin, dmax, mode, timeout_ms = 15000, timeo_ms = 0;
	unsigned int flags = 0;
	struct sockaddr_storage ss = {};
	struct smb_xprt_config cfg = {};
	struct smb_xprt *x;
	int err, n;

	err = copy_arg(ubuf, len, buf, sizeof(buf));
	if (err)
		return err;
	n = sscanf(buf, "%63s %u %x %x %u %u %u %u", ip, &port, &dmin, &dmax,
		   &mode, &timeout_ms, &timeo_ms, &flags);
	if (n < 5)
		return -EINVAL;
	if (in4_pton(ip, -1, (u8 *)&((struct sockaddr_in *)&ss)->sin_addr, -1, NULL)) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		cfg.addrlen = sizeof(*sin);
	} else if (in6_pton(ip, -1, ((struct sockaddr_in6 *)&ss)->sin6_addr.s6_addr, -1, NULL)) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		cfg.addrlen = sizeof(*sin6);
	} else {
		return -EINVAL;
	}
	cfg.addr = (struct sockaddr *)&ss;
	cfg.dialect_min = dmin;
	cfg.dialect_max = dmax;
	cfg.recv_mode = mode;
	cfg.timeo_ms = timeo_ms;
	cfg.flags = flags;

	x = smb_xprt_get(&cfg);
	if (IS_ERR(x))
		return PTR_ERR(x);
	down_write(&test_sem);
	put_test_xprt();
	test_xprt = x;
	atomic_set(&ev_connected, 0);
	atomic_set(&ev_disconnected, 0);
	atomic_set(&ev_unsolicited, 0);
	atomic_set(&ev_late, 0);
	atomic_set(&resent, 0);
	atomic64_set(&ev_generation, 0);
	test_handler = smb_xprt_register_handler(x, &test_handler_ops, NULL);
	if (IS_ERR(test_handler)) {
		err = PTR_ERR(test_handler);
		test_handler = NULL;
		up_write(&test_sem);
		return err;
	}
	downgrade_write(&test_sem);
	err = smb_xprt_wait_connected(x, msecs_to_jiffies(timeout_ms));
	up_read(&test_sem);
	return err ? err : len;
}

static int parse_count(const char __user *ubuf, size_t len, unsigned long *n)
{
	char buf[32];
	int err = copy_arg(ubuf, len, buf, sizeof(buf));

	return err ? err : kstrtoul(strim(buf), 10, n);
}

static ssize_t echo_write(struct file *f, const char __user *ubuf, size_t len,
			  loff_t *ppos)
{
	unsigned long n, i;
	int err;

	err = parse_count(ubuf, len, &n);
	if (err)
		return err;
	down_read(&test_sem);
	err = test_xprt ? 0 : -ENOTCONN;
	for (i = 0; i < n && !err; i++) {
		err = smb_xprt_echo(test_xprt, 10 * HZ);
		if (err)
			pr_warn("echo %lu of %lu failed: %d\n", i + 1, n, err);
		cond_resched();
	}
	up_read(&test_sem);
	return err ? err : len;
}

/* An SMB2 header (MS-SMB2 2.2.1.2) for @cmd; the transport fills in the
 * MessageId and credit fields. */
static void fill_header(u8 *h, u16 cmd, u16 charge)
{
	memset(h, 0, 64);
	memcpy(h, "\xfeSMB", 4);
	put_unaligned_le16(64, h + 4);
	put_unaligned_le16(charge, h + 6);
	put_unaligned_le16(cmd, h + 12);
}

/* The consumer's own "safe to send again" flag (not the transport's). */
#define TEST_REPLAYABLE	0x100

/* Whether a call that failed with @err may go again: ENOTCONN (nothing
 * went out) always, ECONNRESET (it was out when the connection went) only
 * when the caller said it is safe to run twice. */
static bool may_retry(int err, bool replayable)
{
	if (err == -ECONNRESET && replayable) {
		atomic_inc(&resent);
		return true;
	}
	return err == -ENOTCONN;
}

static ssize_t call_write(struct file *f, const char __user *ubuf, size_t len,
			  loff_t *ppos)
{
	unsigned long n, i, timeout_ms = 10000;
	unsigned int flags, tag = 0;
	char buf[64];
	int err;

	err = copy_arg(ubuf, len, buf, sizeof(buf));
	if (err)
		return err;
	if (sscanf(buf, "%lu %u %lu %u", &n, &flags, &timeout_ms, &tag) < 2)
		return -EINVAL;
	down_read(&test_sem);
	err = test_xprt ? 0 : -ENOTCONN;
	for (i = 0; i < n && !err; i++) {
		u8 req[64 + 4], reply[128];
		struct kvec iov = { .iov_base = req, .iov_len = sizeof(req) };
		struct smb_xprt_call call = {
			.iov = &iov, .nr_iov = 1, .flags = flags,
			.reply = reply, .reply_size = sizeof(reply),
			.timeout = msecs_to_jiffies(timeout_ms),
		};

		unsigned long deadline = jiffies + msecs_to_jiffies(timeout_ms);

		call.flags = flags & ~TEST_REPLAYABLE;
		do {
			/* ECHO (MS-SMB2 2.2.28). */
			fill_header(req, 0x000d, 1);
			put_unaligned_le16(4, req + 64);
			put_unaligned_le16(tag, req + 66);
			call.timeout = max_t(long, (long)(deadline - jiffies), 1);
			err = smb_xprt_call(test_xprt, &call);
		} while (may_retry(err, flags & TEST_REPLAYABLE) &&
			 time_before(jiffies, deadline) && !fatal_signal_pending(current));
		if (err == -ECONNRESET && !(flags & TEST_REPLAYABLE))
			err = -EIO;
		if (err)
			pr_info("call %lu of %lu (flags %#x) failed: %d (pid %d)\n", i + 1, n,
				flags, err, task_pid_nr(current));
	}
	up_read(&test_sem);
	return err ? err : len;
}

struct acall_all {
	atomic_t left, on_smbiod;
	struct completion all_done;
};

/* One call of `acall`: its request, driven by acall_step() from the
 * writer, from ->wake on smbiod, or from `retry` when ->wake found a step
 * of it running elsewhere. */
struct acall_one {
	struct smb_xprt_call call;
	struct kvec iov;
	u8 req[64 + 4], reply[128];
	unsigned int tag;
	int result;
	bool replayable, sent, done;
	bool woken;			/* this step came from ->wake (on smbiod) */
	unsigned long deadline;
	struct mutex lock;		/* one step at a time */
	struct work_struct retry;
	struct delayed_work timeout;
	struct acall_all *all;
};

static void acall_end(struct acall_one *o, int result)
{
	struct acall_all *all = o->all;

	if (o->done)
		return;
	o->done = true;
	o->result = result;
	/* Ended by the transport's ->wake on smbiod, directly or through
	 * the retry work it queued when the writer held the call's lock. */
	if (smbtest_on_smbiod() || o->woken)
		atomic_inc(&all->on_smbiod);
	/* The writer frees everything once the last one is done. */
	if (atomic_dec_and_test(&all->left))
		complete(&all->all_done);
}

/* Charges, sends and takes the result as far as it goes (o->lock held). */
static void acall_run(struct acall_one *o)
{
	int r;

	while (!o->done) {
		if (o->sent) {
			r = smb_xprt_finish(test_xprt, &o->call);
			if (r == -EINPROGRESS)
				return;
			o->sent = false;
			if (may_retry(r, o->replayable) && time_before(jiffies, o->deadline))
				continue;
			acall_end(o, r == -ECONNRESET ? -EIO : r);
			return;
		}
		fill_header(o->req, 0x000d, 1);
		put_unaligned_le16(4, o->req + 64);
		put_unaligned_le16(o->tag, o->req + 66);
		r = smb_xprt_charge(test_xprt, &o->call);
		if (r == -EAGAIN)
			return;
		if (!r)
			r = smb_xprt_send(test_xprt, &o->call);
		if (r == -ENOTCONN && time_before(jiffies, o->deadline))
			continue;
		if (r) {
			acall_end(o, r);
			return;
		}
		o->sent = true;
	}
}

static void acall_step(struct acall_one *o)
{
	mutex_lock(&o->lock);
	acall_run(o);
	mutex_unlock(&o->lock);
}

static void acall_retry(struct work_struct *w)
{
	struct acall_one *o = container_of(w, struct acall_one, retry);

	mutex_lock(&o->lock);
	o->woken = true;
	acall_run(o);
	o->woken = false;
	mutex_unlock(&o->lock);
}

/* ->wake, on smbiod. A step of this call running elsewhere (the writer's
 * first one, the timeout's cancel) holds the lock: go on from a work item
 * instead of waiting here, since smb_xprt_cancel() waits for ->wake. */
static void acall_wake(struct smb_xprt_call *call)
{
	struct acall_one *o = container_of(call, struct acall_one, call);

	if (!mutex_trylock(&o->lock)) {
		queue_work(system_unbound_wq, &o->retry);
		return;
	}
	acall_run(o);
	mutex_unlock(&o->lock);
}

/* The call's own deadline: it gives up (the transport cancels it). */
static void acall_timeout(struct work_struct *w)
{
	struct acall_one *o = container_of(to_delayed_work(w), struct acall_one, timeout);

	mutex_lock(&o->lock);
	if (!o->done) {
		smb_xprt_cancel(test_xprt, &o->call);
		o->sent = false;
		acall_end(o, -ETIMEDOUT);
	}
	mutex_unlock(&o->lock);
}

static const struct smb_xprt_call_ops acall_ops = {
	.owner = THIS_MODULE,
	.wake = acall_wake,
};

static ssize_t acall_write(struct file *f, const char __user *ubuf, size_t len,
			   loff_t *ppos)
{
	unsigned long n, i, timeout_ms = 10000;
	unsigned int flags, tag = 0, ok = 0, eio = 0, etimedout = 0, other = 0;
	struct acall_all all;
	struct acall_one *one;
	char buf[64];
	int err;

	err = copy_arg(ubuf, len, buf, sizeof(buf));
	if (err)
		return err;
	if (sscanf(buf, "%lu %u %lu %u", &n, &flags, &timeout_ms, &tag) < 2 || !n || n > 64)
		return -EINVAL;
	one = kcalloc(n, sizeof(*one), GFP_KERNEL);
	if (!one)
		return -ENOMEM;
	atomic_set(&all.left, n);
	atomic_set(&all.on_smbiod, 0);
	init_completion(&all.all_done);
	down_read(&test_sem);
	err = test_xprt ? 0 : -ENOTCONN;
	for (i = 0; i < n; i++) {
		struct acall_one *o = &one[i];

		o->all = &all;
		o->tag = tag;
		o->replayable = flags & TEST_REPLAYABLE;
		o->deadline = jiffies + msecs_to_jiffies(timeout_ms);
		mutex_init(&o->lock);
		INIT_WORK(&o->retry, acall_retry);
		INIT_DELAYED_WORK(&o->timeout, acall_timeout);
		o->iov = (struct kvec){ .iov_base = o->req, .iov_len = sizeof(o->req) };
		o->call = (struct smb_xprt_call){
			.iov = &o->iov, .nr_iov = 1, .flags = flags & ~TEST_REPLAYABLE,
			.reply = o->reply, .reply_size = sizeof(o->reply),
			.ops = &acall_ops,
		};
		if (err) {
			o->done = true;
			o->result = err;
			if (atomic_dec_and_test(&all.left))
				complete(&all.all_done);
			continue;
		}
		schedule_delayed_work(&o->timeout, msecs_to_jiffies(timeout_ms));
		acall_step(o);
	}
	/* Uninterruptible: the buffers are the calls' until they are done. */
	wait_for_completion(&all.all_done);
	for (i = 0; i < n; i++) {
		cancel_delayed_work_sync(&one[i].timeout);
		cancel_work_sync(&one[i].retry);
		/* A call that is over holds nothing of the transport's. */
		smb_xprt_cancel(test_xprt, &one[i].call);
	}
	up_read(&test_sem);
	for (i = 0; i < n; i++) {
		switch (one[i].result) {
		case 0: ok++; break;
		case -EIO: eio++; break;
		case -ETIMEDOUT: etimedout++; break;
		default:
			other++;
			pr_info("acall %lu of %lu (flags %#x) failed: %d\n", i + 1, n, flags,
				one[i].result);
		}
	}
	snprintf(test_result, sizeof(test_result),
		 "acalls %lu ok %u eio %u etimedout %u other %u smbiod %d\n", n, ok, eio,
		 etimedout, other, atomic_read(&all.on_smbiod));
	kfree(one);
	return err ? err : len;
}

/* ECHO requests chained by NextCommand into a compound of up to this many. */
#define COMPOUND_MAX	8

static ssize_t compound_write(struct file *f, const char __user *ubuf,
			      size_t len, loff_t *ppos)
{
	unsigned long n, i, ops, timeout_ms = 10000, pdus = 0, finals = 0;
	struct {
		u8 req[COMPOUND_MAX][72], reply[COMPOUND_MAX * 80];
		struct kvec iov[COMPOUND_MAX];
	} *c;
	unsigned long ok = 0;
	char buf[64];
	int err;

	err = copy_arg(ubuf, len, buf, sizeof(buf));
	if (err)
		return err;
	if (sscanf(buf, "%lu %lu %lu", &n, &ops, &timeout_ms) < 2 || !n || ops < 2 ||
	    ops > COMPOUND_MAX)
		return -EINVAL;
	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	down_read(&test_sem);
	err = test_xprt ? 0 : -ENOTCONN;
	for (i = 0; i < n && !err; i++) {
		struct smb_xprt_call call = {
			.iov = c->iov, .nr_iov = ops,
			.reply = c->reply, .reply_size = sizeof(c->reply),
			.timeout = msecs_to_jiffies(timeout_ms),
		};
		size_t at = 0, k;

		for (k = 0; k < ops; k++) {
			fill_header(c->req[k], 0x000d, 1);
			put_unaligned_le16(4, c->req[k] + 64);
			put_unaligned_le16(0, c->req[k] + 66);
			memset(c->req[k] + 68, 0, 4);
			if (k + 1 < ops)
				put_unaligned_le32(72, c->req[k] + 20);
			c->iov[k] = (struct kvec){ .iov_base = c->req[k],
						.iov_len = k + 1 < ops ? 72 : 68 };
		}
		err = smb_xprt_call(test_xprt, &call);
		if (err)
			break;
		/* Each PDU of the reply: a success, none interim; the last one
		 * may be the final reply of an operation that went async. */
		for (k = 0; k < ops; k++) {
			u32 next;

			if (at + 64 > call.reply_len ||
			    memcmp(c->reply + at, "\xfeSMB", 4) ||
			    get_unaligned_le32(c->reply + at + 8)) {
				err = -EPROTO;
				break;
			}
			pdus++;
			if (k + 1 == ops && (get_unaligned_le32(c->reply + at + 16) & 0x2))
				finals++;
			next = get_unaligned_le32(c->reply + at + 20);
			if (!next)
				break;
			at += next;
		}
		if (!err && k + 1 != ops)
			err = -EPROTO;
		if (!err)
			ok++;
	}
	up_read(&test_sem);
	snprintf(test_result, sizeof(test_result), "compounds %lu ok %lu pdus %lu async_finals %lu err %d\n",
		 n, ok, pdus, finals, err);
	kfree(c);
	return err ? err : len;
}

static ssize_t create_write(struct file *f, const char __user *ubuf,
			    size_t len, loff_t *ppos)
{
	static const char name[] = "l\0a\0t\0e\0.\0t\0x\0t\0";
	unsigned long timeout_ms = 10000;
	unsigned int tree_id;
	u8 req[64 + 56 + sizeof(name) - 1], reply[512];
	struct kvec iov = { .iov_base = req, .iov_len = sizeof(req) };
	struct smb_xprt_call call = {
		.iov = &iov, .nr_iov = 1,
		.reply = reply, .reply_size = sizeof(reply),
	};
	char buf[64];
	u8 *b = req + 64;
	int err;

	err = copy_arg(ubuf, len, buf, sizeof(buf));
	if (err)
		return err;
	if (sscanf(buf, "%u %lu", &tree_id, &timeout_ms) < 1)
		return -EINVAL;
	call.timeout = msecs_to_jiffies(timeout_ms);
	/* CREATE (MS-SMB2 2.2.13): open or create, read/write. */
	fill_header(req, 0x0005, 1);
	put_unaligned_le32(tree_id, req + 36);
	memset(b, 0, 56);
	put_unaligned_le16(57, b);			/* StructureSize */
	put_unaligned_le32(2, b + 4);			/* ImpersonationLevel */
	put_unaligned_le32(0x0012019f, b + 24);		/* DesiredAccess */
	put_unaligned_le32(0x80, b + 28);		/* FileAttributes */
	put_unaligned_le32(7, b + 32);			/* ShareAccess */
	put_unaligned_le32(3, b + 36);			/* CreateDisposition: OPEN_IF */
	put_unaligned_le16(64 + 56, b + 44);		/* NameOffset */
	put_unaligned_le16(sizeof(name) - 1, b + 46);	/* NameLength */
	memcpy(b + 56, name, sizeof(name) - 1);
	down_read(&test_sem);
	err = test_xprt ? smb_xprt_call(test_xprt, &call) : -ENOTCONN;
	up_read(&test_sem);
	if (err)
		pr_info("create failed: %d\n", err);
	return err ? err : len;
}

static int events_show(struct seq_file *m, void *v)
{
	seq_printf(m, "connected %d disconnected %d generation %llu unsolicited %d late %d resent %d\n",
		   atomic_read(&ev_connected), atomic_read(&ev_disconnected),
		   (unsigned long long)atomic64_read(&ev_generation),
		   atomic_read(&ev_unsolicited), atomic_read(&ev_late),
		   atomic_read(&resent));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(events);

static ssize_t bench_write(struct file *f, const char __user *ubuf, size_t len,
			   loff_t *ppos)
{
	struct smb_xprt_negotiated neg = {};
	unsigned long n, i;
	u64 start, ns;
	int err;

	err = parse_count(ubuf, len, &n);
	if (err)
		return err;
	if (!n)
		return -EINVAL;
	down_read(&test_sem);
	err = test_xprt ? 0 : -ENOTCONN;
	start = ktime_get_ns();
	for (i = 0; i < n && !err; i++)
		err = smb_xprt_echo(test_xprt, 10 * HZ);
	ns = ktime_get_ns() - start;
	if (!err)
		smb_xprt_negotiated(test_xprt, &neg);
	up_read(&test_sem);
	if (err)
		return err;
	snprintf(test_result, sizeof(test_result),
		 "echo_bench n=%lu total_us=%llu rtt_us=%llu.%02llu per_sec=%llu dialect=%#x\n",
		 n, ns / 1000, ns / n / 1000, ns / n % 1000 / 10,
		 ns ? (u64)n * NSEC_PER_SEC / ns : 0, neg.dialect);
	pr_info("%s", test_result);
	return len;
}

struct test_pages {
	struct bio_vec bv[8];
	unsigned int nr;
};

/* @len bytes over whole pages, the first @offset bytes into its page. */
static int test_pages_alloc(struct test_pages *tp, size_t len, size_t offset, u8 fill)
{
	tp->nr = 0;
	while (len) {
		struct page *p;
		size_t n = min_t(size_t, len, PAGE_SIZE - offset);

		if (tp->nr == ARRAY_SIZE(tp->bv))
			return -EINVAL;
		p = alloc_page(GFP_KERNEL);
		if (!p)
			return -ENOMEM;
		memset(page_address(p), fill, PAGE_SIZE);
		bvec_set_page(&tp->bv[tp->nr++], p, n, offset);
		len -= n;
		offset = 0;
	}
	return 0;
}

static void test_pages_free(struct test_pages *tp)
{
	while (tp->nr)
		__free_page(tp->bv[--tp->nr].bv_page);
}

static ssize_t iodata_write(struct file *f, const char __user *ubuf,
			    size_t len, loff_t *ppos)
{
	char buf[64], op[8];
	u8 req[64 + 49], reply[256];
	struct kvec iov = { .iov_base = req };
	struct smb_xprt_call call = {
		.iov = &iov, .nr_iov = 1, .reply = reply,
		.reply_size = sizeof(reply), .timeout = 10 * HZ,
	};
	struct test_pages tp = {};
	struct iov_iter it;
	unsigned long n;
	size_t before;
	int err;

	err = copy_arg(ubuf, len, buf, sizeof(buf));
	if (err)
		return err;
	if (sscanf(buf, "%7s %lu", op, &n) != 2 || !n || n > 16384)
		return -EINVAL;
	memset(req, 0, sizeof(req));
	if (!strcmp(op, "read")) {
		/* READ (MS-SMB2 2.2.19) of a FileId the server cannot know. */
		fill_header(req, 0x0008, 1);
		put_unaligned_le16(49, req + 64);
		put_unaligned_le32(n, req + 64 + 4);
		memset(req + 64 + 16, 0xff, 16);
		iov.iov_len = 64 + 49;
		err = test_pages_alloc(&tp, n, 1000, 0x5a);
		if (err)
			goto out;
		iov_iter_bvec(&it, ITER_DEST, tp.bv, tp.nr, n);
		call.recv_data = &it;
	} else if (!strcmp(op, "write") || !strcmp(op, "ubuf")) {
		/* WRITE (MS-SMB2 2.2.21): the payload follows the 48-byte
		 * fixed part, at DataOffset 112. */
		fill_header(req, 0x0009, 1);
		put_unaligned_le16(49, req + 64);
		put_unaligned_le16(64 + 48, req + 64 + 2);
		put_unaligned_le32(n, req + 64 + 4);
		memset(req + 64 + 16, 0xff, 16);
		iov.iov_len = 64 + 48;
		if (op[0] == 'u') {
			/* The writer's own buffer: user memory. */
			import_ubuf(ITER_SOURCE, (void __user *)ubuf, len, &it);
		} else {
			err = test_pages_alloc(&tp, n, 1000, 0xa5);
			if (err)
				goto out;
			iov_iter_bvec(&it, ITER_SOURCE, tp.bv, tp.nr, n);
		}
		call.send_data = &it;
	} else {
		return -EINVAL;
	}
	before = iov_iter_count(&it);
	down_read(&test_sem);
	err = test_xprt ? smb_xprt_call(test_xprt, &call) : -ENOTCONN;
	up_read(&test_sem);
	snprintf(test_result, sizeof(test_result),
		 "iodata op=%s n=%lu err=%d status=%#x reply_len=%zu iter_used=%zu\n",
		 op, n, err, err || call.reply_len < 12 ? 0 :
		 get_unaligned_le32(reply + 8), err ? 0 : call.reply_len,
		 before - iov_iter_count(&it));
	pr_info("%s", test_result);
out:
	test_pages_free(&tp);
	return err ? err : len;
}

static ssize_t release_write(struct file *f, const char __user *ubuf,
			     size_t len, loff_t *ppos)
{
	down_write(&test_sem);
	put_test_xprt();
	up_write(&test_sem);
	return len;
}

static int negotiated_show(struct seq_file *m, void *v)
{
	struct smb_xprt_negotiated n;
	int err;

	down_read(&test_sem);
	err = test_xprt ? smb_xprt_negotiated(test_xprt, &n) : -ENOTCONN;
	up_read(&test_sem);
	if (err)
		return err;
	seq_printf(m, "dialect %#x\nsecurity_mode %#x\ncapabilities %#x\n",
		   n.dialect, n.security_mode, n.capabilities);
	seq_printf(m, "max_read %u\nmax_write %u\nmax_transact %u\n",
		   n.max_read_size, n.max_write_size, n.max_transact_size);
	seq_printf(m, "cipher %u\nsigning %#x\ngeneration %llu\n", n.cipher,
		   n.signing_algorithm, n.generation);
	seq_printf(m, "preauth %*phN\n", 16, n.preauth_hash);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(negotiated);

static int result_show(struct seq_file *m, void *v)
{
	seq_puts(m, test_result);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(result);

static const struct file_operations connect_fops = { .owner = THIS_MODULE, .write = connect_write };
static const struct file_operations echo_fops = { .owner = THIS_MODULE, .write = echo_write };
static const struct file_operations bench_fops = { .owner = THIS_MODULE, .write = bench_write };
static const struct file_operations call_fops = { .owner = THIS_MODULE, .write = call_write };
static const struct file_operations acall_fops = { .owner = THIS_MODULE, .write = acall_write };
static const struct file_operations create_fops = { .owner = THIS_MODULE, .write = create_write };
static const struct file_operations compound_fops = { .owner = THIS_MODULE, .write = compound_write };
static const struct file_operations iodata_fops = { .owner = THIS_MODULE, .write = iodata_write };
static const struct file_operations release_fops = { .owner = THIS_MODULE, .write = release_write };

static int __init smbxprt_test_init(void)
{
	test_dir = debugfs_create_dir("smbxprt_test", NULL);
	debugfs_create_file("connect", 0200, test_dir, NULL, &connect_fops);
	debugfs_create_file("echo", 0200, test_dir, NULL, &echo_fops);
	debugfs_create_file("bench", 0200, test_dir, NULL, &bench_fops);
	debugfs_create_file("release", 0200, test_dir, NULL, &release_fops);
	debugfs_create_file("iodata", 0200, test_dir, NULL, &iodata_fops);
	debugfs_create_file("call", 0200, test_dir, NULL, &call_fops);
	debugfs_create_file("acall", 0200, test_dir, NULL, &acall_fops);
	debugfs_create_file("create", 0200, test_dir, NULL, &create_fops);
	debugfs_create_file("compound", 0200, test_dir, NULL, &compound_fops);
	debugfs_create_file("events", 0400, test_dir, NULL, &events_fops);
	debugfs_create_file("negotiated", 0400, test_dir, NULL, &negotiated_fops);
	debugfs_create_file("result", 0400, test_dir, NULL, &result_fops);
	return 0;
}

static void __exit smbxprt_test_exit(void)
{
	debugfs_remove_recursive(test_dir);
	down_write(&test_sem);
	put_test_xprt();
	up_write(&test_sem);
}

module_init(smbxprt_test_init);
module_exit(smbxprt_test_exit);
