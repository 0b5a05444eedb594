// SPDX-License-Identifier: GPL-2.0
/*
 * smbclient_test.ko's asynchronous I/O commands, over smb_read_async(),
 * smb_write_async() and smb_task_cancel() (<smb/clnt.h>), as netfs will
 * use them: started from a work item under a NOFS scope, into and from
 * folio queues.
 *
 *   /sys/kernel/debug/smbclient_test/
 *     aio      write "SLOT PATH N SIZE read|write [STRIDE [FAIL]]": a work item
 *              (on system_dfl_wq, in a memalloc_nofs_save() scope)
 *              starts N asynchronous READs (WRITEs) of SIZE bytes (at
 *              most 8 MiB), I/O i at offset (i % STRIDE) * SIZE (STRIDE
 *              default N), each into (from) its own ITER_FOLIOQ over
 *              64 KiB folios; the write waits for all of them. WRITEs
 *              carry the put pattern of their offsets; a READ's data is
 *              compared with that pattern. `result`: "ios N ok N
 *              callbacks N on_smbiod N in_starter N pattern_ok N bytes N
 *              eof N start_err E start_fails N enomem N other_err N
 *              sha256 HEX" (FAIL 1: the work item's allocations are
 *              subject to failslab's and fail_page_alloc's task filter
 *              while it starts the I/Os; start_fails: starts that failed,
 *              start_err the first one's error; enomem, other_err: I/Os
 *              that completed with -ENOMEM or another error; ok: completed without
 *              error and moved SIZE bytes; pattern_ok: READs whose data is
 *              the pattern; the hash is of the data of I/O 0..STRIDE-1 in
 *              order: the file's first STRIDE * SIZE bytes).
 *     abench   write "SLOT PATH TOTAL SIZE N": a benchmark (not a test):
 *              reads TOTAL bytes of PATH (over and over if it is smaller)
 *              in asynchronous READs of SIZE bytes into folio queues,
 *              keeping N in flight: each completion starts the next READ
 *              from its callback. `result`: "bytes B ms T mib_s X.Y
 *              in_flight N errors E".
 *     areserve write "SLOT PATH BYTES SIZE": smb_clnt_reserve() of credits
 *              for BYTES, then as many asynchronous READs of SIZE bytes of
 *              PATH as they cover, each drawing on them (smb_io.credits),
 *              all in flight at once; then smb_clnt_unreserve().
 *              `result`: "asked B covered B reads N ok N left B" (left:
 *              what the reservation covered when all had started).
 *     acancel  write "SLOT PATH": two opens of PATH; the first locks
 *              4 KiB; the second's blocking LOCK of the same range goes
 *              out as an asynchronous task (smb_run_task); 1 s later
 *              smb_task_cancel(). `result`: "cancel R done E ms N unlock R
 *              relock R" (E: the task's result, expected -ECANCELED; ms:
 *              from the cancel to the callback; relock: the first open
 *              locks the range again after unlocking it, which fails if
 *              the server granted the cancelled LOCK).
 */
#include <crypto/sha2.h>
#include <linux/completion.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/folio_queue.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/unaligned.h>
#include <linux/workqueue.h>
#include <smb/clnt.h>

#include "smbtest.h"
#include "smbclient_test.h"

#define FOLIO_ORDER	4	/* 64 KiB folios */
#define AIO_MAX_IOS	64
#define AIO_MAX_SIZE	(8u << 20)

/* The put pattern (smbclient_test.c's put) at file offset @pos. */
static inline u8 pattern_at(u64 pos)
{
	return (pos * 7 + pos / 251) & 0xff;
}

/* A chain of folio queue segments holding @size bytes. */
struct fq_buf {
	struct folio_queue *head;
	size_t size;
};

static void fq_free(struct fq_buf *b)
{
	struct folio_queue *fq = b->head, *next;
	unsigned int i;

	for (; fq; fq = next) {
		next = fq->next;
		for (i = 0; i < folioq_count(fq); i++)
			folio_put(folioq_folio(fq, i));
		kfree(fq);
	}
	b->head = NULL;
}

static int fq_alloc(struct fq_buf *b, size_t size)
{
	struct folio_queue *tail = NULL, *fq;
	size_t have = 0;
	struct folio *f;

	b->head = NULL;
	b->size = size;
	while (have < size) {
		if (!tail || folioq_full(tail)) {
			fq = kmalloc(sizeof(*fq), GFP_KERNEL);
			if (!fq)
				goto nomem;
			folioq_init(fq, 0);
			fq->prev = tail;
			if (tail)
				tail->next = fq;
			else
				b->head = fq;
			tail = fq;
		}
		f = folio_alloc(GFP_KERNEL, FOLIO_ORDER);
		if (!f)
			goto nomem;
		folioq_append(tail, f);
		have += folio_size(f);
	}
	return 0;
nomem:
	fq_free(b);
	return -ENOMEM;
}

/*
 * Calls @fn on each piece of the first @len bytes of @b, with the piece's
 * offset in the buffer.
 */
static void fq_for_each(struct fq_buf *b, size_t len,
			void (*fn)(void *ctx, u8 *p, size_t n, size_t at), void *ctx)
{
	struct folio_queue *fq;
	size_t at = 0, n;
	unsigned int i;

	for (fq = b->head; fq && at < len; fq = fq->next) {
		for (i = 0; i < folioq_count(fq) && at < len; i++) {
			struct folio *f = folioq_folio(fq, i);

			n = min(folio_size(f), len - at);
			fn(ctx, folio_address(f), n, at);
			at += n;
		}
	}
}

struct aio_one {
	struct smb_io io;
	struct iov_iter iter;
	struct fq_buf buf;
	struct smb_task *task;
	u64 offset;
	bool in_starter;	/* ->done ran before the start returned */
	bool starting;
};

struct aio_run {
	struct work_struct work;
	struct smb_clnt *clnt;
	struct smb_fid fid;
	bool write;
	unsigned int n;
	size_t size;
	struct aio_one *ones;
	atomic_t left, callbacks, on_smbiod, in_starter;
	unsigned int started;
	int start_err;
	unsigned int start_fails;
	bool fail;
	struct completion started_all, all_done;
};

static void aio_done(struct smb_io *io)
{
	struct aio_one *o = container_of(io, struct aio_one, io);
	struct aio_run *run = io->data;

	if (smbtest_on_smbiod())
		atomic_inc(&run->on_smbiod);
	if (READ_ONCE(o->starting)) {
		o->in_starter = true;
		atomic_inc(&run->in_starter);
	}
	atomic_inc(&run->callbacks);
	if (atomic_dec_and_test(&run->left))
		complete(&run->all_done);
}

static const struct smb_io_ops aio_ops = {
	.owner = THIS_MODULE,
	.done = aio_done,
};

/* The starts, from a work item under NOFS, as netfs's issue_* run. */
static void aio_start_all(struct work_struct *work)
{
	struct aio_run *run = container_of(work, struct aio_run, work);
	unsigned int nofs = memalloc_nofs_save();
	unsigned int i;

#ifdef CONFIG_FAULT_INJECTION
	/* failslab's and fail_page_alloc's task filter: this task's
	 * allocations (the starts') may be made to fail. */
	if (run->fail)
		current->make_it_fail = 1;
#endif
	for (i = 0; i < run->n; i++) {
		struct aio_one *o = &run->ones[i];

		iov_iter_folio_queue(&o->iter, run->write ? ITER_SOURCE : ITER_DEST,
				     o->buf.head, 0, 0, run->size);
		o->io = (struct smb_io){
			.clnt = run->clnt, .fid = run->fid, .offset = o->offset,
			.iter = &o->iter, .ops = &aio_ops, .data = run,
		};
		WRITE_ONCE(o->starting, true);
		o->task = run->write ? smb_write_async(&o->io) : smb_read_async(&o->io);
		WRITE_ONCE(o->starting, false);
		if (IS_ERR(o->task)) {
			if (!run->start_err)
				run->start_err = PTR_ERR(o->task);
			run->start_fails++;
			o->task = NULL;
			/* It never calls back. */
			if (atomic_dec_and_test(&run->left))
				complete(&run->all_done);
		}
	}
#ifdef CONFIG_FAULT_INJECTION
	current->make_it_fail = 0;
#endif
	memalloc_nofs_restore(nofs);
	complete(&run->started_all);
}

struct pattern_fill {
	u64 base;
};

static void fill_pattern(void *ctx, u8 *p, size_t n, size_t at)
{
	struct pattern_fill *pf = ctx;
	size_t k;

	for (k = 0; k < n; k++)
		p[k] = pattern_at(pf->base + at + k);
}

struct pattern_check {
	u64 base;
	bool ok;
};

static void check_pattern(void *ctx, u8 *p, size_t n, size_t at)
{
	struct pattern_check *pc = ctx;
	size_t k;

	for (k = 0; k < n && pc->ok; k++)
		if (p[k] != pattern_at(pc->base + at + k))
			pc->ok = false;
}

static void hash_piece(void *ctx, u8 *p, size_t n, size_t at)
{
	sha256_update(ctx, p, n);
}

/* MS-SMB2 2.2.13 values. */
#define READ_DATA		0x00000001
#define WRITE_DATA		0x00000002
#define READ_ATTRIBUTES		0x00000080
#define FILE_OPEN		1
#define FILE_OPEN_IF		3
#define NON_DIRECTORY_FILE	0x40

static ssize_t aio_write(struct file *f, const char __user *ubuf, size_t len, loff_t *ppos)
{
	unsigned int slot, n, size, stride = 0, i, ok = 0, pattern_ok = 0, eof = 0, fail = 0;
	unsigned int enomem = 0, other_err = 0;
	u8 digest[SHA256_DIGEST_SIZE];
	struct sha256_ctx sha;
	char buf[256], path[180], how[8];
	struct aio_run *run;
	u64 bytes = 0;
	int err, got;

	err = copy_arg(ubuf, len, buf, sizeof(buf));
	if (err)
		return err;
	got = sscanf(buf, "%u %179s %u %u %7s %u %u", &slot, path, &n, &size, how, &stride,
		     &fail);
	if (got < 5 || slot >= SLOTS || !n || n > AIO_MAX_IOS || !size ||
	    size > AIO_MAX_SIZE || (strcmp(how, "read") && strcmp(how, "write")))
		return -EINVAL;
	if (got < 6 || !stride)
		stride = n;
	run = kzalloc(sizeof(*run), GFP_KERNEL);
	if (!run)
		return -ENOMEM;
	run->ones = kvcalloc(n, sizeof(*run->ones), GFP_KERNEL);
	if (!run->ones) {
		kfree(run);
		return -ENOMEM;
	}
	run->write = !strcmp(how, "write");
	run->fail = fail;
	run->n = n;
	run->size = size;
	for (i = 0; i < n && !err; i++) {
		struct aio_one *o = &run->ones[i];

		o->offset = (u64)(i % stride) * size;
		err = fq_alloc(&o->buf, size);
		if (!err && run->write) {
			struct pattern_fill pf = { .base = o->offset };

			fq_for_each(&o->buf, size, fill_pattern, &pf);
		}
	}
	if (err)
		goto out_free;
	if (down_read_killable(&slots_sem)) {
		err = -EINTR;
		goto out_free;
	}
	run->clnt = slots[slot];
	err = run->clnt ? smb_clnt_open(run->clnt, path,
					run->write ? WRITE_DATA | READ_ATTRIBUTES :
						     READ_DATA | READ_ATTRIBUTES,
					run->write ? FILE_OPEN_IF : FILE_OPEN,
					NON_DIRECTORY_FILE, &run->fid, NULL) : -ENOENT;
	if (err)
		goto out_unlock;
	atomic_set(&run->left, n);
	init_completion(&run->started_all);
	init_completion(&run->all_done);
	INIT_WORK(&run->work, aio_start_all);
	queue_work(system_dfl_wq, &run->work);
	/* Uninterruptible: the buffers are the I/Os' until they are done. */
	wait_for_completion(&run->started_all);
	wait_for_completion(&run->all_done);
	sha256_init(&sha);
	for (i = 0; i < n; i++) {
		struct aio_one *o = &run->ones[i];

		if (!o->task)
			continue;
		if (o->io.error == -ENOMEM)
			enomem++;
		else if (o->io.error)
			other_err++;

		if (o->io.eof)
			eof++;
		if (!o->io.error && o->io.transferred == size) {
			ok++;
			bytes += size;
			if (!run->write) {
				struct pattern_check pc = { .base = o->offset, .ok = true };

				fq_for_each(&o->buf, size, check_pattern, &pc);
				pattern_ok += pc.ok;
			}
		}
		/* I/O i and i + STRIDE cover the same range. */
		if (i < stride)
			fq_for_each(&o->buf, size, hash_piece, &sha);
		smb_task_put(o->task);
	}
	sha256_final(&sha, digest);
	snprintf(result, sizeof(result),
		 "ios %u ok %u callbacks %d on_smbiod %d in_starter %d pattern_ok %u bytes %llu eof %u start_err %d start_fails %u enomem %u other_err %u sha256 %*phN\n",
		 n, ok, atomic_read(&run->callbacks), atomic_read(&run->on_smbiod),
		 atomic_read(&run->in_starter), pattern_ok, bytes, eof, run->start_err,
		 run->start_fails, enomem, other_err, 32, digest);
	smb_clnt_close(run->clnt, &run->fid);
out_unlock:
	up_read(&slots_sem);
out_free:
	for (i = 0; i < n; i++)
		fq_free(&run->ones[i].buf);
	kvfree(run->ones);
	kfree(run);
	return err ? err : len;
}
static const struct file_operations aio_fops = { .owner = THIS_MODULE, .write = aio_write };

struct bench;

struct bench_slot {
	struct smb_io io;
	struct iov_iter iter;
	struct fq_buf buf;
	struct bench *b;
};

struct bench {
	struct smb_clnt *clnt;
	struct smb_fid fid;
	u64 total, file_size;
	size_t size;
	atomic64_t next, bytes;
	atomic_t active, errors;
	int first_err;
	struct completion done;
	struct bench_slot *slots;
};

static void bench_done(struct smb_io *io);

static const struct smb_io_ops bench_ops = {
	.owner = THIS_MODULE,
	.done = bench_done,
};

/* Starts the slot's next READ; false when there is none (or it failed). */
static bool bench_issue(struct bench_slot *s)
{
	struct bench *b = s->b;
	u64 k = atomic64_fetch_inc(&b->next);
	struct smb_task *t;

	if (k * b->size >= b->total)
		return false;
	iov_iter_folio_queue(&s->iter, ITER_DEST, s->buf.head, 0, 0, b->size);
	s->io = (struct smb_io){
		.clnt = b->clnt, .fid = b->fid,
		.offset = (k * b->size) % b->file_size,
		.iter = &s->iter, .ops = &bench_ops, .data = s,
	};
	t = smb_read_async(&s->io);
	if (IS_ERR(t)) {
		atomic_inc(&b->errors);
		cmpxchg(&b->first_err, 0, (int)PTR_ERR(t));
		return false;
	}
	/* The task goes on without our reference. */
	smb_task_put(t);
	return true;
}

/* On smbiod (or wherever the task ended): count, start the next. */
static void bench_done(struct smb_io *io)
{
	struct bench_slot *s = io->data;
	struct bench *b = s->b;

	if (io->error) {
		atomic_inc(&b->errors);
		cmpxchg(&b->first_err, 0, io->error);
	} else {
		atomic64_add(io->transferred, &b->bytes);
	}
	if ((io->error || !bench_issue(s)) && atomic_dec_and_test(&b->active))
		complete(&b->done);
}

static ssize_t abench_write(struct file *f, const char __user *ubuf, size_t len, loff_t *ppos)
{
	unsigned int slot, n, size, i;
	struct smb_open_info info;
	struct smb_open_args args = {
		.desired_access = READ_DATA | READ_ATTRIBUTES,
		.disposition = FILE_OPEN,
		.create_options = NON_DIRECTORY_FILE,
	};
	char buf[256], path[180];
	unsigned long long total;
	struct bench *b;
	ktime_t t0;
	s64 us;
	int err;

	err = copy_arg(ubuf, len, buf, sizeof(buf));
	if (err)
		return err;
	if (sscanf(buf, "%u %179s %llu %u %u", &slot, path, &total, &size, &n) != 5 ||
	    slot >= SLOTS || !n || n > AIO_MAX_IOS || !size || size > AIO_MAX_SIZE || !total)
		return -EINVAL;
	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return -ENOMEM;
	b->slots = kvcalloc(n, sizeof(*b->slots), GFP_KERNEL);
	if (!b->slots) {
		kfree(b);
		return -ENOMEM;
	}
	for (i = 0; i < n && !err; i++) {
		b->slots[i].b = b;
		err = fq_alloc(&b->slots[i].buf, size);
	}
	if (err)
		goto out_free;
	if (down_read_killable(&slots_sem)) {
		err = -EINTR;
		goto out_free;
	}
	args.path = path;
	b->clnt = slots[slot];
	err = b->clnt ? smb_clnt_open_ex(b->clnt, &args, &b->fid, &info) : -ENOENT;
	if (err)
		goto out_unlock;
	b->file_size = info.end_of_file;
	b->total = total;
	b->size = size;
	if (b->file_size < size) {
		err = -EINVAL;
		goto out_close;
	}
	/* Whole READs only: the offsets wrap at a multiple of SIZE. */
	b->file_size -= b->file_size % size;
	init_completion(&b->done);
	atomic_set(&b->active, n);
	t0 = ktime_get();
	for (i = 0; i < n; i++)
		if (!bench_issue(&b->slots[i]) && atomic_dec_and_test(&b->active))
			complete(&b->done);
	/* Uninterruptible: the buffers are the READs' until they are done. */
	wait_for_completion(&b->done);
	us = ktime_us_delta(ktime_get(), t0);
	snprintf(result, sizeof(result),
		 "bytes %lld ms %lld mib_s %lld.%lld in_flight %u errors %d first_err %d\n",
		 (long long)atomic64_read(&b->bytes), us / 1000,
		 us ? atomic64_read(&b->bytes) * 1000000 / us / (1 << 20) : 0,
		 us ? (atomic64_read(&b->bytes) * 10000000 / us / (1 << 20)) % 10 : 0,
		 n, atomic_read(&b->errors), b->first_err);
out_close:
	smb_clnt_close(b->clnt, &b->fid);
out_unlock:
	up_read(&slots_sem);
out_free:
	for (i = 0; i < n; i++)
		fq_free(&b->slots[i].buf);
	kvfree(b->slots);
	kfree(b);
	return err ? err : len;
}
static const struct file_operations abench_fops = { .owner = THIS_MODULE, .write = abench_write };

struct reserve_run {
	atomic_t left, ok;
	struct completion done;
};

static void reserve_done(struct smb_io *io)
{
	struct reserve_run *run = io->data;

	if (!io->error)
		atomic_inc(&run->ok);
	if (atomic_dec_and_test(&run->left))
		complete(&run->done);
}

static const struct smb_io_ops reserve_ops = {
	.owner = THIS_MODULE,
	.done = reserve_done,
};

static ssize_t areserve_write(struct file *f, const char __user *ubuf, size_t len, loff_t *ppos)
{
	struct smb_open_args args = {
		.desired_access = READ_DATA | READ_ATTRIBUTES,
		.disposition = FILE_OPEN,
		.create_options = NON_DIRECTORY_FILE,
	};
	unsigned long long asked;
	struct reserve_run run = {};
	struct smb_credits cr = {};
	struct smb_open_info info;
	struct aio_one *ones = NULL;
	char buf[256], path[180];
	unsigned int slot, size, n = 0, i, started = 0;
	size_t covered = 0;
	struct smb_clnt *c;
	struct smb_fid fid;
	int err;

	err = copy_arg(ubuf, len, buf, sizeof(buf));
	if (err)
		return err;
	if (sscanf(buf, "%u %179s %llu %u", &slot, path, &asked, &size) != 4 || slot >= SLOTS ||
	    !size || size > AIO_MAX_SIZE || !asked)
		return -EINVAL;
	args.path = path;
	if (down_read_killable(&slots_sem))
		return -EINTR;
	c = slots[slot];
	err = c ? smb_clnt_open_ex(c, &args, &fid, &info) : -ENOENT;
	if (err)
		goto out_unlock;
	covered = smb_clnt_reserve(c, asked, &cr);
	n = min_t(size_t, covered / size, AIO_MAX_IOS);
	ones = kvcalloc(max(n, 1u), sizeof(*ones), GFP_KERNEL);
	if (!ones) {
		err = -ENOMEM;
		goto out_close;
	}
	for (i = 0; i < n && !err; i++)
		err = fq_alloc(&ones[i].buf, size);
	if (err)
		goto out_free;
	atomic_set(&run.left, n);
	init_completion(&run.done);
	for (i = 0; i < n; i++) {
		struct aio_one *o = &ones[i];

		iov_iter_folio_queue(&o->iter, ITER_DEST, o->buf.head, 0, 0, size);
		o->io = (struct smb_io){
			.clnt = c, .fid = fid,
			.offset = (u64)i * size % max_t(u64, info.end_of_file - info.end_of_file % size, size),
			.iter = &o->iter, .ops = &reserve_ops, .data = &run, .credits = &cr,
		};
		o->task = smb_read_async(&o->io);
		if (IS_ERR(o->task)) {
			err = PTR_ERR(o->task);
			o->task = NULL;
			break;
		}
		started++;
	}
	snprintf(result, sizeof(result), "asked %llu covered %zu reads %u ok ", asked, covered, n);
	if (started < n && atomic_sub_and_test(n - started, &run.left))
		complete(&run.done);
	if (n)
		wait_for_completion(&run.done);
	for (i = 0; i < started; i++)
		smb_task_put(ones[i].task);
	snprintf(result + strlen(result), sizeof(result) - strlen(result), "%d left %zu\n",
		 atomic_read(&run.ok), cr.bytes);
out_free:
	for (i = 0; i < n; i++)
		fq_free(&ones[i].buf);
	kvfree(ones);
out_close:
	smb_clnt_unreserve(&cr);
	smb_clnt_close(c, &fid);
out_unlock:
	up_read(&slots_sem);
	return err ? err : len;
}
static const struct file_operations areserve_fops = { .owner = THIS_MODULE, .write = areserve_write };

struct acancel {
	u8 req[64 + 48 + 24];
	u8 rsp[128];
	struct smb_task_op op;
	struct completion done;
	ktime_t at;
};

static void acancel_done(struct smb_task *task, void *data)
{
	struct acancel *a = data;

	a->at = ktime_get();
	complete(&a->done);
}

static const struct smb_task_ops acancel_ops = {
	.owner = THIS_MODULE,
	.done = acancel_done,
};

static ssize_t acancel_write(struct file *f, const char __user *ubuf, size_t len, loff_t *ppos)
{
	int err, cancel = -EINVAL, done_err = 0, unlock = -EINVAL, relock = -EINVAL;
	struct smb_fid a_fid, b_fid;
	struct smb_task *task;
	struct acancel *a;
	char buf[200], path[180];
	struct smb_clnt *c;
	unsigned int slot;
	ktime_t t0;
	u8 *b;

	err = copy_arg(ubuf, len, buf, sizeof(buf));
	if (err)
		return err;
	if (sscanf(buf, "%u %179s", &slot, path) != 2 || slot >= SLOTS)
		return -EINVAL;
	a = kzalloc(sizeof(*a), GFP_KERNEL);
	if (!a)
		return -ENOMEM;
	init_completion(&a->done);
	if (down_read_killable(&slots_sem)) {
		kfree(a);
		return -EINTR;
	}
	c = slots[slot];
	err = c ? smb_clnt_open(c, path, READ_DATA | WRITE_DATA | READ_ATTRIBUTES, FILE_OPEN_IF,
				NON_DIRECTORY_FILE, &a_fid, NULL) : -ENOENT;
	if (err)
		goto out;
	err = smb_clnt_open(c, path, READ_DATA | WRITE_DATA | READ_ATTRIBUTES, FILE_OPEN,
			    NON_DIRECTORY_FILE, &b_fid, NULL);
	if (err)
		goto out_a;
	err = smb_clnt_lock(c, &a_fid, 0, 4096, SMB_LOCK_EXCLUSIVE | SMB_LOCK_FAIL_IMMEDIATELY);
	if (err)
		goto out_b;
	/* LOCK (MS-SMB2 2.2.26): one element, 4 KiB at 0, exclusive, waiting. */
	b = a->req + 64;
	put_unaligned_le16(48, b);
	put_unaligned_le16(1, b + 2);
	put_unaligned_le64(b_fid.persistent, b + 8);
	put_unaligned_le64(b_fid.volatile_id, b + 16);
	put_unaligned_le64(0, b + 24);
	put_unaligned_le64(4096, b + 32);
	put_unaligned_le32(SMB_LOCK_EXCLUSIVE, b + 40);
	a->op = (struct smb_task_op){ .command = 10, .req = a->req, .req_len = 64 + 48,
		.rsp = a->rsp, .rsp_size = sizeof(a->rsp) };
	{
		struct smb_task_setup setup = {
			.clnt = c, .ops = &a->op, .nr_ops = 1, .flags = SMB_TASK_ASYNC,
			.timeout = MAX_SCHEDULE_TIMEOUT, .callbacks = &acancel_ops, .data = a,
		};

		task = smb_run_task(&setup);
	}
	if (IS_ERR(task)) {
		err = PTR_ERR(task);
		goto out_unlock;
	}
	msleep(1000);
	t0 = ktime_get();
	cancel = smb_task_cancel(task);
	/* Uninterruptible: the task's buffers are ours until it is done. */
	wait_for_completion(&a->done);
	done_err = smb_task_result(task);
	smb_task_put(task);
out_unlock:
	unlock = smb_clnt_lock(c, &a_fid, 0, 4096, SMB_LOCK_UNLOCK);
	if (!err)
		relock = smb_clnt_lock(c, &a_fid, 0, 4096,
				       SMB_LOCK_EXCLUSIVE | SMB_LOCK_FAIL_IMMEDIATELY);
	if (!err)
		snprintf(result, sizeof(result), "cancel %d done %d ms %lld unlock %d relock %d\n",
			 cancel, done_err, ktime_ms_delta(a->at, t0), unlock, relock);
out_b:
	smb_clnt_close(c, &b_fid);
out_a:
	smb_clnt_close(c, &a_fid);
out:
	up_read(&slots_sem);
	kfree(a);
	return err ? err : len;
}
static const struct file_operations acancel_fops = { .owner = THIS_MODULE, .write = acancel_write };

void smbclient_aio_init(struct dentry *dir)
{
	debugfs_create_file("aio", 0200, dir, NULL, &aio_fops);
	debugfs_create_file("acancel", 0200, dir, NULL, &acancel_fops);
	debugfs_create_file("abench", 0200, dir, NULL, &abench_fops);
	debugfs_create_file("areserve", 0200, dir, NULL, &areserve_fops);
}
