// SPDX-License-Identifier: GPL-2.0
#include <linux/cred.h>
#include <linux/dcache.h>
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/netfs.h>
#include <linux/slab.h>
#include <linux/string.h>

/* Log an error to the mount's fs_context log (shown by mount(8)). */
void smb_helper_errorfc(struct fs_context *fc, const char *msg)
{
	errorfc(fc, "%s", msg);
}

/*
 * The separator of a raw mount(2) option string: ',' as usual, except in
 * the value of pass= or password=, where ",," stands for one comma (as
 * cifs.ko reads it), so that a password may hold commas.
 */
static char *smb_opt_sep(char **s)
{
	char *tok = *s, *r, *w;
	bool pass;

	if (!tok)
		return NULL;
	pass = !strncmp(tok, "pass=", 5) || !strncmp(tok, "password=", 9);
	for (r = w = tok; *r; r++, w++) {
		if (*r == ',') {
			if (pass && r[1] == ',') {
				*w = ',';
				r++;
				continue;
			}
			break;
		}
		*w = *r;
	}
	*s = *r ? r + 1 : NULL;
	*w = '\0';
	return tok;
}

/* fs_context_operations.parse_monolithic with that separator. */
int smb_helper_parse_monolithic(struct fs_context *fc, void *data)
{
	return vfs_parse_monolithic_sep(fc, data, smb_opt_sep);
}

/* The mounting task's fsuid and fsgid (the defaults of uid= and gid=). */
u32 smb_helper_fc_fsuid(const struct fs_context *fc)
{
	return from_kuid_munged(fc->user_ns, fc->cred->fsuid);
}

u32 smb_helper_fc_fsgid(const struct fs_context *fc)
{
	return from_kgid_munged(fc->user_ns, fc->cred->fsgid);
}

/* An id of the mount's user namespace as the kernel's (invalid: -1). */
kuid_t smb_helper_make_kuid(const struct super_block *sb, u32 uid)
{
	return make_kuid(sb->s_user_ns, uid);
}

kgid_t smb_helper_make_kgid(const struct super_block *sb, u32 gid)
{
	return make_kgid(sb->s_user_ns, gid);
}

/*
 * Inodes of a file system whose private inode starts with a struct
 * netfs_inode (which starts with the struct inode): the slab constructor
 * runs inode_init_once() once per object, as the VFS requires.
 */
static void smb_inode_ctor(void *obj)
{
	inode_init_once(obj);
}

struct kmem_cache *smb_helper_inode_cache_create(const char *name,
						 unsigned int size,
						 unsigned int align)
{
	struct kmem_cache_args args = { .align = align, .ctor = smb_inode_ctor };

	return kmem_cache_create(name, size, &args,
				 SLAB_RECLAIM_ACCOUNT | SLAB_ACCOUNT);
}

struct inode *smb_helper_alloc_inode_sb(struct super_block *sb,
					struct kmem_cache *cache)
{
	return alloc_inode_sb(sb, cache, GFP_KERNEL);
}

bool smb_helper_inode_is_new(struct inode *inode)
{
	return inode_state_read_once(inode) & I_NEW;
}

void smb_helper_inode_lock_attrs(struct inode *inode)
{
	spin_lock(&inode->i_lock);
}

void smb_helper_inode_unlock_attrs(struct inode *inode)
{
	spin_unlock(&inode->i_lock);
}

void smb_helper_i_size_write(struct inode *inode, loff_t size)
{
	i_size_write(inode, size);
}

loff_t smb_helper_i_size_read(const struct inode *inode)
{
	return i_size_read(inode);
}

/* Sets up the netfs part once the inode's size is known (no netfs ops
 * until the data path: nothing calls into netfs before it). */
void smb_helper_netfs_inode_init(struct netfs_inode *ni,
				 const struct netfs_request_ops *ops)
{
	netfs_inode_init(ni, ops, true);
}

struct dentry *smb_helper_dget(struct dentry *d)
{
	return dget(d);
}

bool smb_helper_dir_emit(struct dir_context *ctx, const char *name, int len,
			 u64 ino, unsigned int type)
{
	return dir_emit(ctx, name, len, ino, type);
}

bool smb_helper_dir_emit_dots(struct file *file, struct dir_context *ctx)
{
	return dir_emit_dots(file, ctx);
}

/*
 * The lockdep classes a file_system_type holds (its superblocks' and
 * inodes' locks): ours is allocated, not static, so lockdep must be told
 * of its keys before the type is registered, and forget them after it is
 * unregistered (no-ops without lockdep).
 */
void smb_helper_fs_type_keys(struct file_system_type *t, bool add)
{
	struct lock_class_key *keys[] = {
		&t->s_lock_key, &t->s_umount_key, &t->s_vfs_rename_key,
		&t->i_lock_key, &t->i_mutex_key, &t->invalidate_lock_key,
		&t->i_mutex_dir_key,
	};
	int i;

	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		if (add)
			lockdep_register_key(keys[i]);
		else
			lockdep_unregister_key(keys[i]);
	}
	for (i = 0; i < SB_FREEZE_LEVELS; i++) {
		if (add)
			lockdep_register_key(&t->s_writers_key[i]);
		else
			lockdep_unregister_key(&t->s_writers_key[i]);
	}
}

void smb_helper_remove_inode_hash(struct inode *inode)
{
	remove_inode_hash(inode);
}

/*
 * The dentry of @name under @parent, referenced: the cached one, or a new
 * one in lookup (*@in_lookup set), which the caller completes with
 * d_splice_alias() and smb_helper_d_lookup_done(); walks of the name wait
 * until then. An ERR_PTR on failure. The name is hashed as the VFS hashes
 * it (no d_hash of ours).
 */
struct dentry *smb_helper_d_child(struct dentry *parent,
				  const unsigned char *name, unsigned int len,
				  bool *in_lookup)
{
	struct qstr q = QSTR_INIT(name, len);
	struct dentry *d;

	q.hash = full_name_hash(parent, name, len);
	d = d_lookup(parent, &q);
	if (!d) {
		d = d_alloc_parallel(parent, &q);
		if (IS_ERR(d))
			return d;
	}
	*in_lookup = d_in_lookup(d);
	return d;
}

bool smb_helper_d_in_lookup(const struct dentry *d)
{
	return d_in_lookup(d);
}

void smb_helper_d_lookup_done(struct dentry *d)
{
	d_lookup_done(d);
}
