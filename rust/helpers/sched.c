// SPDX-License-Identifier: GPL-2.0
/*
 * Scheduler, execution-context, allocation-scope and workqueue helpers for
 * rust/kext/{sync,workqueue,timer,nofs}.rs.
 */
#include <linux/hardirq.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/workqueue.h>

/* fatal_signal_pending(current): a SIGKILL is pending for this task. */
bool smb_helper_fatal_signal_pending(void)
{
	return fatal_signal_pending(current);
}

/* True while a softirq handler (a timer callback, the network receive) runs. */
bool smb_helper_in_serving_softirq(void)
{
	return in_serving_softirq();
}

/* True in process context (a task, a kworker), not in any interrupt. */
bool smb_helper_in_task(void)
{
	return in_task();
}

/* current->flags (PF_*). */
unsigned int smb_helper_current_flags(void)
{
	return current->flags;
}

unsigned int smb_helper_memalloc_nofs_save(void)
{
	return memalloc_nofs_save();
}

void smb_helper_memalloc_nofs_restore(unsigned int flags)
{
	memalloc_nofs_restore(flags);
}

/*
 * alloc_workqueue() is variadic (a printf format for the name); Rust passes
 * the name as a plain string. The name is copied into the workqueue.
 */
struct workqueue_struct *smb_helper_alloc_workqueue(const char *name,
						    unsigned int flags,
						    int max_active)
{
	return alloc_workqueue("%s", flags, max_active, name);
}

/* alloc_ordered_workqueue() is a macro over alloc_workqueue(). */
struct workqueue_struct *smb_helper_alloc_ordered_workqueue(const char *name,
							    unsigned int flags)
{
	return alloc_ordered_workqueue("%s", flags, name);
}

unsigned int smb_helper_jiffies_to_msecs(unsigned long j)
{
	return jiffies_to_msecs(j);
}
