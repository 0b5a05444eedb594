// SPDX-License-Identifier: GPL-2.0
/*
 * smbclient_test.ko's check of the default break acknowledgement:
 *
 *   /sys/kernel/debug/smbclient_test/
 *     unwatched write "SLOT PATH": open PATH with a batch oplock and no
 *              watch (smb_clnt_open_ex), then open it again from the same
 *              handle, which makes the server break the oplock; smbclient
 *              acknowledges the break by itself. `result`: "granted L
 *              second R ms N" (ms: how long the second open took).
 */
#include <linux/debugfs.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <smb/clnt.h>

#include "smbclient_test.h"

#define READ_DATA		0x00000001
#define READ_ATTRIBUTES		0x00000080
#define FILE_OPEN		1
#define OPLOCK_BATCH		0x09

static ssize_t unwatched_write(struct file *f, const char __user *ubuf, size_t len,
			       loff_t *ppos)
{
	struct smb_open_args args = {
		.desired_access = READ_DATA | READ_ATTRIBUTES,
		.disposition = FILE_OPEN,
		.oplock_level = OPLOCK_BATCH,
	};
	struct smb_open_info info;
	struct smb_fid first, second;
	char buf[220], path[200];
	struct smb_clnt *c;
	unsigned int slot;
	int err, second_err;
	ktime_t t0;
	s64 ms;

	err = copy_arg(ubuf, len, buf, sizeof(buf));
	if (err)
		return err;
	if (sscanf(buf, "%u %199s", &slot, path) != 2 || slot >= SLOTS)
		return -EINVAL;
	args.path = path;
	if (down_read_killable(&slots_sem))
		return -EINTR;
	c = slots[slot];
	err = c ? smb_clnt_open_ex(c, &args, &first, &info) : -ENOENT;
	if (err)
		goto out;
	t0 = ktime_get();
	second_err = smb_clnt_open(c, path, READ_DATA | READ_ATTRIBUTES, FILE_OPEN, 0,
				   &second, NULL);
	ms = ktime_ms_delta(ktime_get(), t0);
	if (!second_err)
		smb_clnt_close(c, &second);
	smb_clnt_close(c, &first);
	snprintf(result, sizeof(result), "granted %u second %d ms %lld\n",
		 info.oplock_level, second_err, ms);
out:
	up_read(&slots_sem);
	return err ? err : len;
}
static const struct file_operations unwatched_fops = {
	.owner = THIS_MODULE, .write = unwatched_write
};

void smbclient_unwatched_init(struct dentry *dir)
{
	debugfs_create_file("unwatched", 0200, dir, NULL, &unwatched_fops);
}
