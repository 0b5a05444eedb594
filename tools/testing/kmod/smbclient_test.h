/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the files of smbclient_test.ko share: the handle slots and the
 * last result.
 */
#ifndef _SMBCLIENT_TEST_H
#define _SMBCLIENT_TEST_H

#include <linux/rwsem.h>
#include <linux/types.h>

struct dentry;
struct smb_clnt;

#define SLOTS 8

/* Commands hold it for reading; create and release for writing. */
extern struct rw_semaphore slots_sem;
extern struct smb_clnt *slots[SLOTS];
/* What `result` shows. */
extern char result[256];

/* Copies a debugfs write of @len bytes into @buf (NUL-terminated, trimmed). */
int copy_arg(const char __user *ubuf, size_t len, char *buf, size_t size);

/* smbclient_aio.c: the asynchronous I/O commands. */
void smbclient_aio_init(struct dentry *dir);
/* smbclient_unwatched.c: the default break acknowledgement. */
void smbclient_unwatched_init(struct dentry *dir);
/* smbclient_dir.c: the resumable directory enumeration. */
void smbclient_dir_init(struct dentry *dir);
void smbclient_dir_exit(void);
/* smbclient_compound5.c: a five-operation compound. */
void smbclient_compound5_init(struct dentry *dir);
/* smbclient_req.c: typed operations, alone and compounded. */
void smbclient_req_init(struct dentry *dir);

#endif /* _SMBCLIENT_TEST_H */
