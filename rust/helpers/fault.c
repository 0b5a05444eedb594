// SPDX-License-Identifier: GPL-2.0
/*
 * One fault-injection point per module (Documentation/fault-injection/):
 * a struct fault_attr of the module's own, asked with should_fail(), and
 * set from debugfs with the usual knobs (probability, interval, times,
 * task-filter, ...). Without CONFIG_FAULT_INJECTION it never fails.
 */
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/fault-inject.h>

#ifdef CONFIG_FAULT_INJECTION
static DECLARE_FAULT_ATTR(smb_fault_point);
#endif

bool smb_helper_fault_should_fail(size_t size)
{
#ifdef CONFIG_FAULT_INJECTION
	return should_fail(&smb_fault_point, size);
#else
	return false;
#endif
}

/* The knobs, as /sys/kernel/debug/@name/; NULL if there are none. */
struct dentry *smb_helper_fault_debugfs(const char *name)
{
#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS
	struct dentry *d = fault_create_debugfs_attr(name, NULL, &smb_fault_point);

	return IS_ERR(d) ? NULL : d;
#else
	return NULL;
#endif
}

void smb_helper_fault_debugfs_remove(struct dentry *d)
{
	debugfs_remove(d);
}
