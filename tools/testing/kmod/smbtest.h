/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the C test modules share.
 */
#ifndef _SMBTEST_H
#define _SMBTEST_H

#include <linux/kallsyms.h>
#include <linux/preempt.h>
#include <linux/string.h>
#include <linux/workqueue.h>

/*
 * Whether current runs a work item whose function is smbxprt's: smbxprt
 * queues work on smbiod only, so a callback that sees this runs on smbiod.
 */
static inline bool smbtest_on_smbiod(void)
{
	struct work_struct *w = current_work();
	char sym[KSYM_SYMBOL_LEN];

	if (!w || in_interrupt())
		return false;
	sprint_symbol(sym, (unsigned long)w->func);
	return strstr(sym, "[smbxprt]") != NULL;
}

#endif /* _SMBTEST_H */
