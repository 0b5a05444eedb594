// SPDX-License-Identifier: GPL-2.0
/*
 * smbclient_test.ko's five-operation compound (MS-SMB2 3.2.4.1.4), through
 * smb_call_sync():
 *
 *   /sys/kernel/debug/smbclient_test/
 *     compound5 write "SLOT PATH": one frame of CREATE (overwrite-if) +
 *              WRITE of 4 KiB at 0 + FLUSH + READ of 4 KiB at 0 + CLOSE,
 *              the last four on the FileId the CREATE opened (related).
 *              `result`: "statuses S S S S S written N read N same 0|1".
 */
#include <linux/debugfs.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/unaligned.h>
#include <smb/clnt.h>

#include "smbclient_test.h"

#define LEN 4096

/* "The file the CREATE opened" (MS-SMB2 3.2.4.1.4). */
static const u8 related[16] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
};

struct c5 {
	u8 create[64 + 56 + 400], write[64 + 48 + LEN], flush[64 + 24], read[64 + 49],
		close[64 + 24];
	u8 crsp[512], wrsp[128], frsp[128], rrsp[64 + 16 + LEN], clrsp[128];
	struct smb_task_op ops[5];
};

static u8 byte_at(unsigned int i)
{
	return (i * 31 + 7) & 0xff;
}

static ssize_t compound5_write(struct file *f, const char __user *ubuf, size_t len,
			       loff_t *ppos)
{
	unsigned int slot, n, i, written = 0, got = 0, same = 0, doff;
	char buf[220], path[200];
	struct smb_clnt *c;
	struct c5 *x;
	u8 *b;
	int err;

	err = copy_arg(ubuf, len, buf, sizeof(buf));
	if (err)
		return err;
	if (sscanf(buf, "%u %199s", &slot, path) != 2 || slot >= SLOTS)
		return -EINVAL;
	x = kzalloc(sizeof(*x), GFP_KERNEL);
	if (!x)
		return -ENOMEM;
	/* CREATE (2.2.13): READ_DATA | WRITE_DATA | READ_ATTRIBUTES,
	 * FILE_OVERWRITE_IF, a non-directory file. */
	b = x->create + 64;
	put_unaligned_le16(57, b);
	put_unaligned_le32(2, b + 4);
	put_unaligned_le32(0x83, b + 24);
	put_unaligned_le32(7, b + 32);
	put_unaligned_le32(5, b + 36);
	put_unaligned_le32(0x40, b + 40);
	put_unaligned_le16(64 + 56, b + 44);
	for (n = 0; path[n] && n < 200; n++) {
		b[56 + 2 * n] = path[n] == '/' ? '\\' : path[n];
		b[56 + 2 * n + 1] = 0;
	}
	put_unaligned_le16(2 * n, b + 46);
	/* WRITE (2.2.21) of LEN bytes at 0, the data after the body. */
	b = x->write + 64;
	put_unaligned_le16(49, b);
	put_unaligned_le16(64 + 48, b + 2);
	put_unaligned_le32(LEN, b + 4);
	memcpy(b + 16, related, 16);
	for (i = 0; i < LEN; i++)
		b[48 + i] = byte_at(i);
	/* FLUSH (2.2.17). */
	b = x->flush + 64;
	put_unaligned_le16(24, b);
	memcpy(b + 8, related, 16);
	/* READ (2.2.19) of LEN bytes at 0. */
	b = x->read + 64;
	put_unaligned_le16(49, b);
	b[2] = 0x50;
	put_unaligned_le32(LEN, b + 4);
	memcpy(b + 16, related, 16);
	/* CLOSE (2.2.15). */
	b = x->close + 64;
	put_unaligned_le16(24, b);
	memcpy(b + 8, related, 16);
	x->ops[0] = (struct smb_task_op){ .command = 5, .req = x->create,
		.req_len = 64 + 56 + max(2 * n, 1u), .rsp = x->crsp, .rsp_size = sizeof(x->crsp) };
	x->ops[1] = (struct smb_task_op){ .command = 9, .req = x->write,
		.req_len = sizeof(x->write), .rsp = x->wrsp, .rsp_size = sizeof(x->wrsp) };
	x->ops[2] = (struct smb_task_op){ .command = 7, .req = x->flush,
		.req_len = sizeof(x->flush), .rsp = x->frsp, .rsp_size = sizeof(x->frsp) };
	x->ops[3] = (struct smb_task_op){ .command = 8, .req = x->read,
		.req_len = sizeof(x->read), .rsp = x->rrsp, .rsp_size = sizeof(x->rrsp) };
	x->ops[4] = (struct smb_task_op){ .command = 6, .req = x->close,
		.req_len = sizeof(x->close), .rsp = x->clrsp, .rsp_size = sizeof(x->clrsp) };
	if (down_read_killable(&slots_sem)) {
		kfree(x);
		return -EINTR;
	}
	c = slots[slot];
	err = c ? smb_call_sync(c, x->ops, 5, 0, 60 * HZ) : -ENOENT;
	up_read(&slots_sem);
	if (!err) {
		if (x->ops[1].status == 0 && x->ops[1].rsp_len >= 64 + 8)
			written = get_unaligned_le32(x->wrsp + 64 + 4);
		if (x->ops[3].status == 0 && x->ops[3].rsp_len >= 64 + 16) {
			doff = x->rrsp[64 + 2];
			got = get_unaligned_le32(x->rrsp + 64 + 4);
			if (doff >= 64 + 16 && doff + got <= min_t(size_t, x->ops[3].rsp_len,
								  sizeof(x->rrsp))) {
				same = got == LEN;
				for (i = 0; i < got && same; i++)
					same = x->rrsp[doff + i] == byte_at(i);
			}
		}
		snprintf(result, sizeof(result),
			 "statuses %#x %#x %#x %#x %#x written %u read %u same %u\n",
			 x->ops[0].status, x->ops[1].status, x->ops[2].status, x->ops[3].status,
			 x->ops[4].status, written, got, same);
	}
	kfree(x);
	return err ? err : len;
}
static const struct file_operations compound5_fops = {
	.owner = THIS_MODULE, .write = compound5_write
};

void smbclient_compound5_init(struct dentry *dir)
{
	debugfs_create_file("compound5", 0200, dir, NULL, &compound5_fops);
}
