/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Types shared by rust/helpers/net.c and the Rust bindings. struct sock is
 * too config-dependent for bindgen to lay out reliably (its cache-line
 * group markers carry alignment bindgen drops), so Rust never touches its
 * fields: it goes through these helpers.
 */
#ifndef _SMB_RUST_HELPERS_NET_H
#define _SMB_RUST_HELPERS_NET_H

struct sock;

struct smb_sk_callbacks {
	void (*data_ready)(struct sock *sk);
	void (*state_change)(struct sock *sk);
	void (*write_space)(struct sock *sk);
};

#endif
