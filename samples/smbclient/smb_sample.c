// SPDX-License-Identifier: GPL-2.0
/*
 * smb_sample.ko: the smallest in-kernel consumer of <smb/clnt.h>. At load
 * it reads one file from an SMB share and prints the file's size and
 * SHA-256 to the kernel log, then stays loaded doing nothing:
 *
 *   insmod smb_sample.ko addr=192.0.2.1 unc='\\server\share' user=alice \
 *          password=secret path=dir/file.bin
 *
 * The password is turned into its NT hash at once and wiped.
 */
#include <crypto/sha2.h>
#include <linux/err.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/inet.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uio.h>
#include <smb/auth.h>
#include <smb/clnt.h>
#include <smb/xprt.h>

MODULE_DESCRIPTION("Sample smbclient consumer: SHA-256 of a file on an SMB share");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS("SMB");

static char *addr;
module_param(addr, charp, 0);
MODULE_PARM_DESC(addr, "Server IPv4 or IPv6 address");
static unsigned short port = 445;
module_param(port, ushort, 0);
MODULE_PARM_DESC(port, "Server TCP port (default 445)");
static char *unc;
module_param(unc, charp, 0);
MODULE_PARM_DESC(unc, "The share, as \\\\server\\share");
static char *user;
module_param(user, charp, 0);
MODULE_PARM_DESC(user, "User name");
static char *password;
module_param(password, charp, 0);
MODULE_PARM_DESC(password, "Password (wiped once hashed)");
static char *path;
module_param(path, charp, 0);
MODULE_PARM_DESC(path, "File to read, relative to the share");

#define CHUNK (256 * 1024)

/* MS-SMB2 2.2.13 values. */
#define FILE_READ_DATA		0x00000001
#define FILE_READ_ATTRIBUTES	0x00000080
#define FILE_OPEN		0x00000001
#define FILE_NON_DIRECTORY_FILE	0x00000040

static int sample_read(void)
{
	struct sockaddr_storage ss = {};
	struct smb_clnt_args args = {};
	u8 hash[SMB_NT_HASH_SIZE], digest[SHA256_DIGEST_SIZE];
	struct sha256_ctx sha;
	struct smb_clnt *clnt;
	struct smb_fid fid;
	u64 size, off = 0;
	ktime_t t0;
	void *buf;
	int err;

	if (!addr || !unc || !user || !password || !path) {
		pr_err("smb_sample: addr, unc, user, password and path are required\n");
		return -EINVAL;
	}
	if (in4_pton(addr, -1, (u8 *)&((struct sockaddr_in *)&ss)->sin_addr, -1, NULL)) {
		((struct sockaddr_in *)&ss)->sin_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons(port);
		args.addrlen = sizeof(struct sockaddr_in);
	} else if (in6_pton(addr, -1, ((struct sockaddr_in6 *)&ss)->sin6_addr.s6_addr, -1, NULL)) {
		((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
		args.addrlen = sizeof(struct sockaddr_in6);
	} else {
		pr_err("smb_sample: '%s' is not an IP address\n", addr);
		return -EINVAL;
	}
	err = smb_nt_hash(password, strlen(password), hash);
	memzero_explicit(password, strlen(password));
	if (err)
		return err;

	args.addr = (struct sockaddr *)&ss;
	args.unc = unc;
	args.user = user;
	args.domain = "";
	args.nt_hash = hash;
	args.dialect_min = SMB_DIALECT_2_1;
	args.dialect_max = SMB_DIALECT_3_1_1;
	clnt = smb_clnt_create(&args);
	memzero_explicit(hash, sizeof(hash));
	if (IS_ERR(clnt)) {
		pr_err("smb_sample: %s: cannot connect: %ld\n", unc, PTR_ERR(clnt));
		return PTR_ERR(clnt);
	}
	buf = kmalloc(CHUNK, GFP_KERNEL);
	if (!buf) {
		err = -ENOMEM;
		goto out_clnt;
	}
	err = smb_clnt_open(clnt, path, FILE_READ_DATA | FILE_READ_ATTRIBUTES,
			    FILE_OPEN, FILE_NON_DIRECTORY_FILE, &fid, &size);
	if (err) {
		pr_err("smb_sample: %s\\%s: cannot open: %d\n", unc, path, err);
		goto out_buf;
	}
	t0 = ktime_get();
	sha256_init(&sha);
	for (;;) {
		struct kvec kv = { .iov_base = buf, .iov_len = CHUNK };
		struct iov_iter iter;
		ssize_t n;

		iov_iter_kvec(&iter, ITER_DEST, &kv, 1, CHUNK);
		n = smb_clnt_read(clnt, &fid, off, &iter);
		if (n < 0) {
			err = n;
			pr_err("smb_sample: %s\\%s: read at %llu: %d\n", unc, path, off, err);
			break;
		}
		if (n == 0)
			break;
		sha256_update(&sha, buf, n);
		off += n;
	}
	sha256_final(&sha, digest);
	if (!err)
		pr_info("smb_sample: %s\\%s: %llu bytes (size %llu) in %lld ms, sha256 %*phN\n",
			unc, path, off, size, ktime_ms_delta(ktime_get(), t0),
			(int)sizeof(digest), digest);
	smb_clnt_close(clnt, &fid);
out_buf:
	kfree(buf);
out_clnt:
	smb_clnt_release(clnt);
	return err;
}

static int __init smb_sample_init(void)
{
	/* A failed read fails the load: the error is the module's answer. */
	return sample_read();
}

static void __exit smb_sample_exit(void)
{
}

module_init(smb_sample_init);
module_exit(smb_sample_exit);
