// SPDX-License-Identifier: GPL-2.0
/*
 * smbclient_test.ko's check of the resumable directory enumeration
 * (smb_clnt_query_dir):
 *
 *   /sys/kernel/debug/smbclient_test/
 *     lsdir    write "SLOT DIR SIZE": open DIR and read it to its end in
 *              batches of SIZE bytes (at most 1 MiB) of
 *              FileIdFullDirectoryInformation entries. `result`: "batches
 *              N entries N largest N" (largest: the biggest batch, bytes);
 *              `listing`: a line "NAME FILEID SIZE" per entry other than
 *              . and .. (names in ASCII: others show as '?').
 *     listing  read: the last lsdir's lines.
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/unaligned.h>
#include <smb/clnt.h>

#include "smbclient_test.h"

#define LIST_DIRECTORY		0x00000001
#define READ_ATTRIBUTES		0x00000080
#define FILE_OPEN		1
#define DIRECTORY_FILE		0x00000001
#define LISTING_MAX		(2u << 20)

static DEFINE_MUTEX(listing_lock);
static char *listing;
static size_t listing_len;

/* MS-FSCC 2.4.18: the fields this test reads. */
#define FFD_NEXT	0
#define FFD_EOF		40
#define FFD_NAME_LEN	60
#define FFD_FILE_ID	72
#define FFD_NAME	80

static int take_batch(const u8 *b, size_t n, char *out, size_t *len, unsigned int *entries)
{
	size_t at = 0, k;
	u32 next, nlen;

	while (at + FFD_NAME <= n) {
		char name[256];

		next = get_unaligned_le32(b + at + FFD_NEXT);
		nlen = get_unaligned_le32(b + at + FFD_NAME_LEN);
		if (nlen > 2 * (sizeof(name) - 1) || at + FFD_NAME + nlen > n)
			return -EPROTO;
		for (k = 0; k < nlen / 2; k++) {
			u16 c = get_unaligned_le16(b + at + FFD_NAME + 2 * k);

			name[k] = c >= 0x20 && c < 0x7f ? c : '?';
		}
		name[k] = '\0';
		(*entries)++;
		if (strcmp(name, ".") && strcmp(name, "..")) {
			int w = scnprintf(out + *len, LISTING_MAX - *len, "%s %llu %llu\n", name,
					  get_unaligned_le64(b + at + FFD_FILE_ID),
					  get_unaligned_le64(b + at + FFD_EOF));

			if (*len + w + 1 >= LISTING_MAX)
				return -ENOSPC;
			*len += w;
		}
		if (!next)
			return 0;
		if (next % 8 || next < FFD_NAME)
			return -EPROTO;
		at += next;
	}
	return at == n ? 0 : -EPROTO;
}

static ssize_t lsdir_write(struct file *f, const char __user *ubuf, size_t len, loff_t *ppos)
{
	unsigned int slot, size, batches = 0, entries = 0;
	char buf[256], path[200];
	struct smb_clnt *c;
	struct smb_fid fid;
	size_t largest = 0, out_len = 0;
	char *out;
	ssize_t n;
	u8 *batch;
	int err;

	err = copy_arg(ubuf, len, buf, sizeof(buf));
	if (err)
		return err;
	if (sscanf(buf, "%u %199s %u", &slot, path, &size) != 3 || slot >= SLOTS || !size ||
	    size > (1u << 20))
		return -EINVAL;
	batch = kvmalloc(size, GFP_KERNEL);
	out = kvmalloc(LISTING_MAX, GFP_KERNEL);
	if (!batch || !out) {
		kvfree(batch);
		kvfree(out);
		return -ENOMEM;
	}
	if (down_read_killable(&slots_sem)) {
		err = -EINTR;
		goto out_free;
	}
	c = slots[slot];
	err = c ? smb_clnt_open(c, path, LIST_DIRECTORY | READ_ATTRIBUTES, FILE_OPEN,
				DIRECTORY_FILE, &fid, NULL) : -ENOENT;
	if (err)
		goto out_unlock;
	for (;;) {
		n = smb_clnt_query_dir(c, &fid, batches == 0, batch, size);
		if (n <= 0) {
			err = n;
			break;
		}
		batches++;
		largest = max_t(size_t, largest, n);
		err = take_batch(batch, n, out, &out_len, &entries);
		if (err)
			break;
	}
	smb_clnt_close(c, &fid);
	if (!err) {
		snprintf(result, sizeof(result), "batches %u entries %u largest %zu\n", batches,
			 entries, largest);
		mutex_lock(&listing_lock);
		swap(listing, out);
		listing_len = out_len;
		mutex_unlock(&listing_lock);
	}
out_unlock:
	up_read(&slots_sem);
out_free:
	kvfree(batch);
	kvfree(out);
	return err ? err : len;
}
static const struct file_operations lsdir_fops = { .owner = THIS_MODULE, .write = lsdir_write };

static ssize_t listing_read(struct file *f, char __user *ubuf, size_t len, loff_t *ppos)
{
	ssize_t r;

	mutex_lock(&listing_lock);
	r = simple_read_from_buffer(ubuf, len, ppos, listing, listing ? listing_len : 0);
	mutex_unlock(&listing_lock);
	return r;
}
static const struct file_operations listing_fops = { .owner = THIS_MODULE, .read = listing_read };

void smbclient_dir_init(struct dentry *dir)
{
	debugfs_create_file("lsdir", 0200, dir, NULL, &lsdir_fops);
	debugfs_create_file("listing", 0400, dir, NULL, &listing_fops);
}

void smbclient_dir_exit(void)
{
	kvfree(listing);
	listing = NULL;
}
