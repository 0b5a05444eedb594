// SPDX-License-Identifier: GPL-2.0
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/nsproxy.h>
#include <linux/sched.h>
#include <linux/skbuff.h>
#include <net/net_namespace.h>
#include <net/sock.h>
#include <net/tcp.h>
#include "net.h"

/*
 * Our sockets get lock classes of their own, as cifs.ko's do: their locks
 * nest with file system and memory-reclaim locks that ordinary sockets never
 * see, and sharing a class would make lockdep report false dependencies
 * between the two worlds. One key pair per family, per module.
 */
#ifdef CONFIG_DEBUG_LOCK_ALLOC
static struct lock_class_key smb_sk_key[2];
static struct lock_class_key smb_slock_key[2];
#endif

void smb_helper_sock_reclassify(struct socket *sock)
{
#ifdef CONFIG_DEBUG_LOCK_ALLOC
	struct sock *sk = sock->sk;

	if (WARN_ON(!sock_allow_reclassification(sk)))
		return;
	if (sk->sk_family == AF_INET6)
		sock_lock_init_class_and_name(sk, "slock-AF_INET6-SMB",
			&smb_slock_key[1], "sk_lock-AF_INET6-SMB", &smb_sk_key[1]);
	else
		sock_lock_init_class_and_name(sk, "slock-AF_INET-SMB",
			&smb_slock_key[0], "sk_lock-AF_INET-SMB", &smb_sk_key[0]);
#endif
}

void smb_helper_lock_sock(struct sock *sk)
{
	lock_sock(sk);
}

/* A new kernel socket for file system I/O: no reclaim recursion into file
 * systems, and never the task's page fragment (we may send on behalf of
 * another task, or from a worker). */
void smb_helper_sk_setup(struct sock *sk)
{
	sk->sk_allocation = GFP_NOFS;
	sk->sk_use_task_frag = false;
}

/*
 * Installs @cbs and @user_data, saving the old callbacks in @old, under the
 * socket lock and sk_callback_lock (write), so no callback ever sees a half
 * switched socket.
 */
void smb_helper_sk_install_callbacks(struct sock *sk,
				     const struct smb_sk_callbacks *cbs,
				     struct smb_sk_callbacks *old,
				     void *user_data)
{
	lock_sock(sk);
	write_lock_bh(&sk->sk_callback_lock);
	old->data_ready = sk->sk_data_ready;
	old->state_change = sk->sk_state_change;
	old->write_space = sk->sk_write_space;
	rcu_assign_pointer(sk->sk_user_data, user_data);
	sk->sk_data_ready = cbs->data_ready;
	sk->sk_state_change = cbs->state_change;
	sk->sk_write_space = cbs->write_space;
	write_unlock_bh(&sk->sk_callback_lock);
	release_sock(sk);
}

/* Puts @old back and clears sk_user_data, under the same locks. */
void smb_helper_sk_restore_callbacks(struct sock *sk,
				     const struct smb_sk_callbacks *old)
{
	lock_sock(sk);
	write_lock_bh(&sk->sk_callback_lock);
	sk->sk_data_ready = old->data_ready;
	sk->sk_state_change = old->state_change;
	sk->sk_write_space = old->write_space;
	rcu_assign_pointer(sk->sk_user_data, NULL);
	write_unlock_bh(&sk->sk_callback_lock);
	release_sock(sk);
}

void smb_helper_sk_callback_read_lock_bh(struct sock *sk)
{
	read_lock_bh(&sk->sk_callback_lock);
}

void smb_helper_sk_callback_read_unlock_bh(struct sock *sk)
{
	read_unlock_bh(&sk->sk_callback_lock);
}

/* Whether received data is waiting in the socket (lockless, a hint). */
bool smb_helper_sk_has_rx_data(struct sock *sk)
{
	return !skb_queue_empty_lockless(&sk->sk_receive_queue);
}

int smb_helper_sk_state(struct sock *sk)
{
	return READ_ONCE(sk->sk_state);
}

int smb_helper_sk_err(struct sock *sk)
{
	return READ_ONCE(sk->sk_err);
}

void *smb_helper_sk_user_data(struct sock *sk)
{
	return rcu_dereference_raw(sk->sk_user_data);
}

struct sock *smb_helper_socket_sk(struct socket *sock)
{
	return sock->sk;
}

struct net *smb_helper_get_net(struct net *net)
{
	return get_net(net);
}

struct net *smb_helper_maybe_get_net(struct net *net)
{
	return maybe_get_net(net);
}

void smb_helper_put_net(struct net *net)
{
	put_net(net);
}

/* The caller's network namespace, with a reference. */
struct net *smb_helper_current_net(void)
{
	return get_net(current->nsproxy->net_ns);
}

u64 smb_helper_net_cookie(const struct net *net)
{
	return net->net_cookie;
}

#include <linux/module.h>

/* Pins a callback table's owner module (Documentation/abi.rst). */
bool smb_helper_try_module_get(struct module *m)
{
	return try_module_get(m);
}

/* The index of interface @name in @net (an IPv6 scope given by name),
 * or -ENODEV. */
int smb_helper_ifindex(struct net *net, const char *name)
{
	struct net_device *dev = dev_get_by_name(net, name);
	int index;

	if (!dev)
		return -ENODEV;
	index = dev->ifindex;
	dev_put(dev);
	return index;
}
