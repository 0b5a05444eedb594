// SPDX-License-Identifier: GPL-2.0
/*
 * Locking and signal-mask helpers for rust/kext/sync/{bh,kmutex,signal}.rs:
 * static inlines and macros of <linux/spinlock.h>, <linux/mutex.h> and
 * <linux/signal.h>.
 */
#include <linux/mutex.h>
#include <linux/sched/signal.h>
#include <linux/signal.h>
#include <linux/spinlock.h>

void smb_helper_spin_lock_bh(spinlock_t *lock)
{
	spin_lock_bh(lock);
}

void smb_helper_spin_unlock_bh(spinlock_t *lock)
{
	spin_unlock_bh(lock);
}

int smb_helper_spin_trylock_bh(spinlock_t *lock)
{
	return spin_trylock_bh(lock);
}

void smb_helper_spin_assert_is_held(spinlock_t *lock)
{
	lockdep_assert_held(lock);
}

void smb_helper_mutex_init(struct mutex *lock, const char *name,
			   struct lock_class_key *key)
{
	__mutex_init(lock, name, key);
}

int smb_helper_mutex_lock_killable(struct mutex *lock)
{
	return mutex_lock_killable(lock);
}

void smb_helper_mutex_unlock(struct mutex *lock)
{
	mutex_unlock(lock);
}

/*
 * Blocks every signal but SIGKILL (and SIGSTOP, which cannot be blocked) for
 * the current task, saving the old mask in @old: signal_pending() is then
 * false unless a fatal signal is pending, so a blocking sendmsg() is not cut
 * short by a caught signal. Returns 0 or an errno.
 */
int smb_helper_block_signals(sigset_t *old)
{
	sigset_t mask;

	siginitsetinv(&mask, sigmask(SIGKILL) | sigmask(SIGSTOP));
	return sigprocmask(SIG_BLOCK, &mask, old);
}

/* Restores the mask smb_helper_block_signals() saved (pending signals are
 * then delivered on the way back to user space). */
void smb_helper_restore_signals(const sigset_t *old)
{
	sigset_t copy = *old;

	sigprocmask(SIG_SETMASK, &copy, NULL);
}

/* signal_pending(current), whether fatal or not. */
bool smb_helper_signal_pending(void)
{
	return signal_pending(current);
}
