// SPDX-License-Identifier: GPL-2.0
/*
 * smbclient_test.ko's typed operations (struct smb_req), each request
 * started with smb_req_async() from a work item in a memalloc_nofs_save()
 * scope (as netfs and writeback start theirs), its ->done counted where it
 * runs:
 *
 *   /sys/kernel/debug/smbclient_test/
 *     reqstat write "SLOT PATH": CREATE (MxAc, QFid) + QUERY_INFO
 *              (FileStandardInformation) + CLOSE (POSTQUERY_ATTRIB), one
 *              compound. `result`: "errors E E E action A eof N qeof N
 *              ceof N attrs 0|1 mxac 0x.. qfid 0|1 on_smbiod N".
 *     reqtrunc write "SLOT PATH SIZE": CREATE + SET_INFO
 *              (FileEndOfFileInformation) + CLOSE (POSTQUERY_ATTRIB), one
 *              compound. `result`: "errors E E E ceof N".
 *     reqdir   write "SLOT DIR": CREATE + QUERY_DIRECTORY + QUERY_DIRECTORY
 *              (64 KiB batches, FileIdFullDirectoryInformation), one
 *              compound, then more QUERY_DIRECTORY requests on its FileId
 *              until no more, then CLOSE. `result`: "errors E E E batches
 *              N entries N close E".
 *     reqmisc  write "SLOT PATH": one operation per request on PATH: CREATE,
 *              FLUSH, LOCK (exclusive, 0..4096, fail immediately), the same
 *              LOCK from a second open (refused), IOCTL
 *              FSCTL_QUERY_ALLOCATED_RANGES, unlock, CLOSE (POSTQUERY) of
 *              both. `result`: "create E flush E lock E conflict E ioctl E
 *              ranges N first F unlock E close E attrs 0|1 eof N
 *              on_smbiod N of N".
 */
#include <linux/completion.h>
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/unaligned.h>
#include <linux/workqueue.h>
#include <smb/clnt.h>

#include "smbclient_test.h"
#include "smbtest.h"

#define BATCH (64 * 1024)

/* MS-SMB2 2.2.13, MS-FSCC values. */
#define READ_DATA		0x1
#define WRITE_DATA		0x2
#define LIST_DIRECTORY		0x1
#define READ_ATTRIBUTES		0x80
#define FILE_OPEN		1
#define DIRECTORY_FILE		0x1
#define NON_DIRECTORY_FILE	0x40
#define INFO_FILE		1
#define FILE_STANDARD_INFO	5
#define FILE_EOF_INFO		20
#define ID_FULL_DIR_INFO	38
#define FSCTL_QUERY_ALLOCATED_RANGES 0x000940CF

/* One request run from a work item under NOFS; the caller waits. */
struct req_run {
	struct work_struct work;
	struct smb_req req;
	struct smb_task *task;
	int start_err;
	bool on_smbiod;
	struct completion done;
};

static void req_done(struct smb_req *req)
{
	struct req_run *r = container_of(req, struct req_run, req);

	r->on_smbiod = smbtest_on_smbiod();
	complete(&r->done);
}

static const struct smb_req_ops req_ops = {
	.owner = THIS_MODULE,
	.done = req_done,
};

static void req_start(struct work_struct *work)
{
	struct req_run *r = container_of(work, struct req_run, work);
	unsigned int nofs = memalloc_nofs_save();

	r->task = smb_req_async(&r->req);
	if (IS_ERR(r->task)) {
		r->start_err = PTR_ERR(r->task);
		r->task = NULL;
		complete(&r->done);
	}
	memalloc_nofs_restore(nofs);
}

/*
 * Runs @nr operations as one request, started from a work item under
 * NOFS; returns the request's error, or -EINTR if killed (the task is
 * cancelled then, and waited for). Counts ->done calls on smbiod.
 */
static int run(struct smb_clnt *c, struct smb_op *ops, unsigned int nr,
	       unsigned int *on_smbiod)
{
	struct req_run *r = kzalloc(sizeof(*r), GFP_KERNEL);
	int err;

	if (!r)
		return -ENOMEM;
	r->req = (struct smb_req){ .clnt = c, .ops = ops, .nr_ops = nr, .cb = &req_ops };
	init_completion(&r->done);
	INIT_WORK(&r->work, req_start);
	queue_work(system_dfl_wq, &r->work);
	if (wait_for_completion_killable(&r->done)) {
		flush_work(&r->work);
		if (r->task)
			smb_task_cancel(r->task);
		wait_for_completion(&r->done);
	}
	flush_work(&r->work);
	if (r->task)
		smb_task_put(r->task);
	err = r->start_err ? r->start_err : r->req.error;
	if (on_smbiod && r->on_smbiod)
		(*on_smbiod)++;
	kfree(r);
	return err;
}

static struct smb_clnt *slot_get(const char __user *ubuf, size_t len, char *path,
				 u64 *num)
{
	char buf[240];
	unsigned int slot;
	int err, n;

	err = copy_arg(ubuf, len, buf, sizeof(buf));
	if (err)
		return ERR_PTR(err);
	n = sscanf(buf, "%u %199s %llu", &slot, path, num);
	if (n < 2 || slot >= SLOTS || (num && n != 3))
		return ERR_PTR(-EINVAL);
	if (down_read_killable(&slots_sem))
		return ERR_PTR(-EINTR);
	if (!slots[slot]) {
		up_read(&slots_sem);
		return ERR_PTR(-ENOENT);
	}
	return slots[slot];
}

static void open_op(struct smb_op *op, const char *path, u32 access, u32 options,
		    u32 contexts)
{
	*op = (struct smb_op){ .kind = SMB_OP_CREATE };
	op->create = (struct smb_create_op){
		.path = path, .desired_access = access, .share_access = 7,
		.disposition = FILE_OPEN, .create_options = options,
		.contexts = contexts,
	};
}

static ssize_t reqstat_write(struct file *f, const char __user *ubuf, size_t len,
			     loff_t *ppos)
{
	unsigned int on_smbiod = 0;
	struct smb_op ops[3];
	char path[200];
	u8 info[64];
	struct smb_clnt *c = slot_get(ubuf, len, path, NULL);
	u64 qeof = 0;

	if (IS_ERR(c))
		return PTR_ERR(c);
	open_op(&ops[0], path, READ_ATTRIBUTES, 0, SMB_CREATE_CTX_MXAC | SMB_CREATE_CTX_QFID);
	ops[1] = (struct smb_op){ .kind = SMB_OP_QUERY_INFO, .fid = SMB_FID_RELATED };
	ops[1].info = (struct smb_info_op){ .info_type = INFO_FILE,
		.info_class = FILE_STANDARD_INFO, .buf = info, .size = sizeof(info) };
	ops[2] = (struct smb_op){ .kind = SMB_OP_CLOSE, .fid = SMB_FID_RELATED };
	ops[2].close.flags = SMB_CLOSE_POSTQUERY_ATTRIB;
	run(c, ops, 3, &on_smbiod);
	up_read(&slots_sem);
	/* FileStandardInformation (MS-FSCC 2.4.47): EndOfFile at 8. */
	if (!ops[1].error && ops[1].info.len >= 16)
		qeof = get_unaligned_le64(info + 8);
	snprintf(result, sizeof(result),
		 "errors %d %d %d action %u eof %llu qeof %llu ceof %llu attrs %u mxac %#x qfid %u on_smbiod %u\n",
		 ops[0].error, ops[1].error, ops[2].error, ops[0].create.create_action,
		 ops[0].create.attrs.end_of_file, qeof, ops[2].close.attrs.end_of_file,
		 ops[2].close.attrs_valid, ops[0].create.maximal_access,
		 !!(ops[0].create.contexts_found & SMB_CREATE_CTX_QFID), on_smbiod);
	return len;
}

static ssize_t reqtrunc_write(struct file *f, const char __user *ubuf, size_t len,
			      loff_t *ppos)
{
	struct smb_op ops[3];
	char path[200];
	u8 eof[8];
	u64 size = 0;
	struct smb_clnt *c = slot_get(ubuf, len, path, &size);

	if (IS_ERR(c))
		return PTR_ERR(c);
	open_op(&ops[0], path, READ_ATTRIBUTES | WRITE_DATA, NON_DIRECTORY_FILE, 0);
	/* FileEndOfFileInformation (MS-FSCC 2.4.14). */
	put_unaligned_le64(size, eof);
	ops[1] = (struct smb_op){ .kind = SMB_OP_SET_INFO, .fid = SMB_FID_RELATED };
	ops[1].info = (struct smb_info_op){ .info_type = INFO_FILE,
		.info_class = FILE_EOF_INFO, .buf = eof, .len = sizeof(eof) };
	ops[2] = (struct smb_op){ .kind = SMB_OP_CLOSE, .fid = SMB_FID_RELATED };
	ops[2].close.flags = SMB_CLOSE_POSTQUERY_ATTRIB;
	run(c, ops, 3, NULL);
	up_read(&slots_sem);
	snprintf(result, sizeof(result), "errors %d %d %d ceof %llu\n", ops[0].error,
		 ops[1].error, ops[2].error, ops[2].close.attrs.end_of_file);
	return len;
}

/* Entries in a batch of FileIdFullDirectoryInformation (NextEntryOffset
 * chained), or -1 if it is malformed. */
static int count_entries(const u8 *b, size_t len)
{
	size_t at = 0;
	int n = 0;
	u32 next;

	while (len) {
		if (at + 80 > len)
			return -1;
		n++;
		next = get_unaligned_le32(b + at);
		if (!next)
			return n;
		if (next > len - at)
			return -1;
		at += next;
	}
	return n;
}

static ssize_t reqdir_write(struct file *f, const char __user *ubuf, size_t len,
			    loff_t *ppos)
{
	unsigned int batches = 0, i;
	int entries = 0, n, close_err = 0, err;
	struct smb_op ops[3], one;
	char path[200];
	u8 *b[2];
	struct smb_clnt *c = slot_get(ubuf, len, path, NULL);
	struct smb_fid fid;

	if (IS_ERR(c))
		return PTR_ERR(c);
	b[0] = kvmalloc(BATCH, GFP_KERNEL);
	b[1] = kvmalloc(BATCH, GFP_KERNEL);
	if (!b[0] || !b[1]) {
		err = -ENOMEM;
		goto out;
	}
	open_op(&ops[0], path, LIST_DIRECTORY | READ_ATTRIBUTES, DIRECTORY_FILE, 0);
	for (i = 1; i < 3; i++) {
		ops[i] = (struct smb_op){ .kind = SMB_OP_QUERY_DIR, .fid = SMB_FID_RELATED };
		ops[i].dir = (struct smb_dir_op){ .info_class = ID_FULL_DIR_INFO,
			.restart = i == 1, .buf = b[i - 1], .size = BATCH };
	}
	run(c, ops, 3, NULL);
	err = 0;
	for (i = 1; i < 3 && !ops[0].error; i++) {
		if (ops[i].error || !ops[i].dir.len)
			continue;
		n = count_entries(b[i - 1], ops[i].dir.len);
		batches++;
		entries = n < 0 || entries < 0 ? -1 : entries + n;
	}
	if (ops[0].error)
		goto report;
	fid = ops[0].fid;
	/* The rest, a batch per request, on the FileId the compound opened. */
	while (!ops[2].error && ops[2].dir.len && entries >= 0) {
		one = (struct smb_op){ .kind = SMB_OP_QUERY_DIR, .fid = fid };
		one.dir = (struct smb_dir_op){ .info_class = ID_FULL_DIR_INFO,
			.buf = b[0], .size = BATCH };
		err = run(c, &one, 1, NULL);
		if (err || !one.dir.len)
			break;
		n = count_entries(b[0], one.dir.len);
		batches++;
		entries = n < 0 ? -1 : entries + n;
	}
	one = (struct smb_op){ .kind = SMB_OP_CLOSE, .fid = fid };
	close_err = run(c, &one, 1, NULL);
report:
	snprintf(result, sizeof(result), "errors %d %d %d batches %u entries %d close %d last %d\n",
		 ops[0].error, ops[1].error, ops[2].error, batches, entries, close_err, err);
out:
	up_read(&slots_sem);
	kvfree(b[0]);
	kvfree(b[1]);
	return err < 0 ? err : len;
}

static ssize_t reqmisc_write(struct file *f, const char __user *ubuf, size_t len,
			     loff_t *ppos)
{
	int e_create, e_flush, e_lock, e_conflict = 0, e_ioctl, e_unlock, e_close, e_close2 = 0;
	unsigned int on_smbiod = 0, runs = 0;
	struct smb_op op, second;
	struct smb_fid fid;
	char path[200];
	u8 in[16], out[256];
	struct smb_clnt *c = slot_get(ubuf, len, path, NULL);

	if (IS_ERR(c))
		return PTR_ERR(c);
	open_op(&op, path, READ_DATA | WRITE_DATA | READ_ATTRIBUTES, NON_DIRECTORY_FILE, 0);
	e_create = run(c, &op, 1, &on_smbiod);
	runs++;
	if (e_create) {
		snprintf(result, sizeof(result), "create %d\n", e_create);
		up_read(&slots_sem);
		return len;
	}
	fid = op.fid;
	op = (struct smb_op){ .kind = SMB_OP_FLUSH, .fid = fid };
	e_flush = run(c, &op, 1, &on_smbiod);
	runs++;
	op = (struct smb_op){ .kind = SMB_OP_LOCK, .fid = fid };
	op.lock = (struct smb_lock_op){ .offset = 0, .length = 4096,
		.flags = SMB_LOCK_EXCLUSIVE | SMB_LOCK_FAIL_IMMEDIATELY };
	e_lock = run(c, &op, 1, &on_smbiod);
	runs++;
	/* A second open's conflicting lock: refused. */
	open_op(&second, path, READ_DATA | WRITE_DATA, NON_DIRECTORY_FILE, 0);
	if (!run(c, &second, 1, NULL)) {
		struct smb_fid fid2 = second.fid;

		second = (struct smb_op){ .kind = SMB_OP_LOCK, .fid = fid2 };
		second.lock = op.lock;
		e_conflict = run(c, &second, 1, NULL);
		second = (struct smb_op){ .kind = SMB_OP_CLOSE, .fid = fid2 };
		e_close2 = run(c, &second, 1, NULL);
	}
	/* FSCTL_QUERY_ALLOCATED_RANGES (MS-FSCC 2.3.41) of the first 1 GiB. */
	put_unaligned_le64(0, in);
	put_unaligned_le64(1ULL << 30, in + 8);
	op = (struct smb_op){ .kind = SMB_OP_IOCTL, .fid = fid };
	op.ioctl = (struct smb_ioctl_op){ .ctl_code = FSCTL_QUERY_ALLOCATED_RANGES,
		.flags = SMB_IOCTL_IS_FSCTL, .in = in, .in_len = sizeof(in), .out = out,
		.out_size = sizeof(out) };
	e_ioctl = run(c, &op, 1, &on_smbiod);
	runs++;
	second = op;
	op = (struct smb_op){ .kind = SMB_OP_LOCK, .fid = fid };
	op.lock = (struct smb_lock_op){ .offset = 0, .length = 4096, .flags = SMB_LOCK_UNLOCK };
	e_unlock = run(c, &op, 1, &on_smbiod);
	runs++;
	op = (struct smb_op){ .kind = SMB_OP_CLOSE, .fid = fid };
	op.close.flags = SMB_CLOSE_POSTQUERY_ATTRIB;
	e_close = run(c, &op, 1, &on_smbiod);
	runs++;
	up_read(&slots_sem);
	snprintf(result, sizeof(result),
		 "create %d flush %d lock %d conflict %d ioctl %d ranges %zu first %llu unlock %d close %d close2 %d attrs %u eof %llu on_smbiod %u of %u\n",
		 e_create, e_flush, e_lock, e_conflict, e_ioctl, second.ioctl.out_len / 16,
		 second.ioctl.out_len >= 16 ? get_unaligned_le64(out) : ~0ULL, e_unlock,
		 e_close, e_close2, op.close.attrs_valid, op.close.attrs.end_of_file,
		 on_smbiod, runs);
	return len;
}

#define FOPS(name) \
	static const struct file_operations name##_fops = { \
		.owner = THIS_MODULE, .write = name##_write \
	}
FOPS(reqstat);
FOPS(reqtrunc);
FOPS(reqdir);
FOPS(reqmisc);

void smbclient_req_init(struct dentry *dir)
{
	debugfs_create_file("reqstat", 0200, dir, NULL, &reqstat_fops);
	debugfs_create_file("reqtrunc", 0200, dir, NULL, &reqtrunc_fops);
	debugfs_create_file("reqdir", 0200, dir, NULL, &reqdir_fops);
	debugfs_create_file("reqmisc", 0200, dir, NULL, &reqmisc_fops);
}
