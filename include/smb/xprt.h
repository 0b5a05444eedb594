/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The SMB2/3 transport, exported by smbxprt.ko in the "SMB" symbol
 * namespace. See Documentation/smbxprt.rst for the design, the execution
 * contexts and the lock order.
 *
 * A transport is one TCP connection to a server, shared by every caller
 * that asks for the same (address, port, network namespace, dialect range,
 * receive mode, request timer, soft or hard). It connects and negotiates by itself, from the smbiod
 * workqueue, and reconnects with exponential backoff.
 */
#ifndef _SMB_XPRT_H
#define _SMB_XPRT_H

#include <linux/types.h>
#include <linux/uio.h>

struct net;
struct sockaddr;
struct module;

#define SMB_DIALECT_2_1		0x0210
#define SMB_DIALECT_3_0		0x0300
#define SMB_DIALECT_3_0_2	0x0302
#define SMB_DIALECT_3_1_1	0x0311

/* Receive modes (Documentation/smbxprt.rst, "Receive"). */
enum smb_xprt_recv_mode {
	SMB_XPRT_RECV_DEFAULT = 0,	/* the module parameter recv_mode */
	SMB_XPRT_RECV_SOFTIRQ = 1,	/* frames placed in sk_data_ready */
	SMB_XPRT_RECV_WORKQUEUE = 2,	/* sk_data_ready only queues work */
};

struct smb_xprt_config {
	/* sockaddr_in or sockaddr_in6, port included (0 means 445). */
	const struct sockaddr *addr;
	size_t addrlen;
	/* The network namespace; NULL for the calling task's. */
	struct net *net;
	/* Dialect range, SMB_DIALECT_*: NEGOTIATE offers every dialect in
	 * [min, max] and the server picks the highest it supports. */
	u16 dialect_min;
	u16 dialect_max;
	u32 recv_mode;			/* enum smb_xprt_recv_mode */
	/*
	 * The request timer, in milliseconds (0: the module parameter
	 * timeo_ms). A request unanswered for that long makes the transport
	 * probe the server with ECHO. SMB_XPRT_SOFT: the request then fails
	 * with -ETIMEDOUT. SMB_XPRT_HARD: it keeps waiting (killably) while
	 * the server answers the probes; when a probe goes unanswered the
	 * connection is dropped and re-established, and the request fails
	 * with -ECONNRESET (the transport never sends a request again; the
	 * caller decides whether it may). Neither: the module parameter
	 * hard. TCP keepalive and TCP_USER_TIMEOUT follow the timer.
	 */
	u32 timeo_ms;
	u32 flags;			/* SMB_XPRT_SOFT or SMB_XPRT_HARD */
};

#define SMB_XPRT_SOFT		0x1
#define SMB_XPRT_HARD		0x2

struct smb_xprt;

/*
 * smb_xprt_get() - find or create the transport for @cfg and take a
 * reference on it. A new transport starts connecting at once.
 * Process context. Returns ERR_PTR(-EINVAL) for a bad address or dialect
 * range, or ERR_PTR(-ENOMEM).
 */
struct smb_xprt *smb_xprt_get(const struct smb_xprt_config *cfg);

/*
 * smb_xprt_put() - drop a reference. The last one disconnects and frees the
 * transport; requests still waiting fail with -ESHUTDOWN. Process context.
 */
void smb_xprt_put(struct smb_xprt *xprt);

/*
 * smb_xprt_wait_connected() - sleep (TASK_KILLABLE) until the transport is
 * connected and negotiated. @timeout is in jiffies (MAX_SCHEDULE_TIMEOUT:
 * no limit). Returns 0, -ETIMEDOUT (the last connect error is then
 * reported instead, if there was one), -EINTR on a fatal signal, or
 * -ENETDOWN once the transport's network namespace has gone. A transport
 * that never connected returns its connect error (-ECONNREFUSED, ...) as
 * soon as a connect fails, without waiting out @timeout; it goes on
 * retrying in backoff for its other users.
 */
int smb_xprt_wait_connected(struct smb_xprt *xprt, long timeout);

/* What NEGOTIATE settled (MS-SMB2 2.2.4 and its 3.1.1 contexts). */
struct smb_xprt_negotiated {
	u16 dialect;
	u16 security_mode;
	u32 capabilities;
	u32 max_transact_size;
	u32 max_read_size;
	u32 max_write_size;
	u16 cipher;			/* 0 if none was negotiated */
	u16 signing_algorithm;		/* 3.1.1 SIGNING_CAPABILITIES, or 0xffff */
	u8 server_guid[16];
	/* 3.1.1: Connection.PreauthIntegrityHashValue after NEGOTIATE. */
	u8 preauth_hash[64];
	/* Connection generation: changes on every reconnect. */
	u64 generation;
	/* What the NEGOTIATE request said (for VALIDATE_NEGOTIATE_INFO,
	 * MS-SMB2 3.2.5.5). */
	u8 client_guid[16];
	u32 client_capabilities;
	u16 client_security_mode;
	u16 dialect_count;
	u16 dialects[4];
};

/* Copies the negotiated parameters; -ENOTCONN if not connected. */
int smb_xprt_negotiated(struct smb_xprt *xprt,
			struct smb_xprt_negotiated *out);

/*
 * Requests.
 *
 * A request is sunrpc's rpc_rqst: the layer above (smbclient) owns what it
 * means and when it is sent again; the transport gives it MessageIds and
 * credits, signs or seals it, sends it, times it, and places its reply.
 * Each attempt goes through, in the caller's struct smb_xprt_call:
 *
 *   smb_xprt_charge()  credits and MessageIds for its PDUs, or -EAGAIN:
 *                      the request waits for credits or the connection,
 *                      and ->wake says when to charge again;
 *   smb_xprt_send()    it goes out (from the caller's context); ->wake
 *                      says when its result is there;
 *   smb_xprt_finish()  the result: 0 with the reply in @reply, or an errno;
 *
 * or smb_xprt_cancel() at any point, after which the transport never
 * touches the struct again. After smb_xprt_finish() or smb_xprt_cancel()
 * the struct is idle (@priv NULL) and may be charged again (a replay) or
 * freed. ->wake is never called after either has returned.
 *
 * The transport never sends a request again by itself. Errors of an
 * attempt: -ENOTCONN (nothing went out: charge and send again), -ENOKEY
 * (signed or sealed, and the session has no keys on this connection:
 * nothing went out; set the session up again), -ECONNRESET (it went out,
 * and the connection was lost before the reply: only the caller knows
 * whether it may be replayed), -ETIMEDOUT (soft transports: no reply
 * within the request timer, or the server stopped answering probes), -EIO
 * (the reply failed its signature check, or was plain though the request
 * was sealed), -EMSGSIZE (the reply did not fit), -EINTR (a fatal signal
 * while waiting for the transmit lock: nothing went out).
 */

/* Flags of a request (struct smb_xprt_call's @flags). */
#define SMB_XPRT_CALL_PRIORITY	0x1	/* may use the reserved credits */
/*
 * Encrypt the request (MS-SMB2 3.1.4.3) with the keys set for the
 * SessionId in its first header on the current connection
 * (smb_xprt_set_session_keys()); its reply must be encrypted too.
 */
#define SMB_XPRT_CALL_SEAL	0x4
/*
 * Sign each PDU with its session's key (MS-SMB2 3.2.4.1.1), and verify the
 * reply's signatures before the request completes (3.2.5.1.3).
 */
#define SMB_XPRT_CALL_SIGN	0x8

struct smb_xprt_call;

struct smb_xprt_call_ops {
	struct module *owner;	/* pinned while a request uses the table */
	u32 flags;		/* SMB_XPRT_WAKE_ATOMIC */
	/*
	 * Optional, with @split_head: where a reply's payload goes. Given the
	 * first @len (= @split_head) bytes of a reply frame of at least that
	 * many bytes (a shorter one goes whole into @reply) and the frame's
	 * length, set *@data_off and *@data_len
	 * and return true to have those bytes of the frame (a READ's payload,
	 * MS-SMB2 2.2.20, wherever the server put it) go from the socket
	 * straight into @recv_data, and the rest into @reply. Called in any
	 * context, softirq included: must not sleep.
	 */
	u32 split_head;
	bool (*split)(struct smb_xprt_call *call, const void *head, size_t len,
		      size_t frame_len, u32 *data_off, u32 *data_len);
	/*
	 * The request may go on: charge again, or take the result. Called on
	 * smbiod (process context; it may send, but must not wait for a
	 * reply), or in any context if @flags has SMB_XPRT_WAKE_ATOMIC (then
	 * it may only wake a task).
	 */
	void (*wake)(struct smb_xprt_call *call);
};

#define SMB_XPRT_WAKE_ATOMIC	0x1

/*
 * One request. @iov[0] starts with the request's 64-byte SMB2 header (a
 * compound's PDUs each start a kvec, chained by NextCommand); the
 * transport writes MessageId, CreditCharge and CreditRequest into each,
 * and the signature. Bulk data travels in kernel-backed iterators (ITER_KVEC,
 * ITER_BVEC, ITER_FOLIOQ or ITER_XARRAY; anything else is -EFAULT): pin user
 * memory into a bvec first. Everything the struct points to stays valid
 * and untouched by the caller until the attempt is finished or cancelled;
 * the transport uses it from softirq and smbiod, never afterwards.
 *  - @send_data (ITER_SOURCE) is sent after @iov as the end of the last
 *    PDU (a WRITE's payload); it comes back advanced.
 *  - @recv_data (ITER_DEST) receives a split reply's payload (see ->split);
 *    @reply then holds the rest of the frame. It comes back advanced.
 */
/* The most kvecs a request may have (its PDUs and their padding). */
#define SMB_XPRT_MAX_IOV	16

/*
 * Credits set aside for requests built later (smb_xprt_reserve()), as
 * netfs's ->prepare_read sizes a subrequest by the credits it can have.
 * The transport's to fill in; a charge may draw on them.
 */
struct smb_xprt_credits {
	u32 generation;			/* the connection they belong to */
	u16 credits;			/* still held */
	u16 pad;
};

struct smb_xprt_call {
	struct kvec *iov;
	unsigned int nr_iov;		/* 1..SMB_XPRT_MAX_IOV */
	struct iov_iter *send_data;	/* NULL: none */
	struct iov_iter *recv_data;	/* NULL: none */
	u32 flags;			/* SMB_XPRT_CALL_* */
	void *reply;
	size_t reply_size;
	size_t reply_len;		/* out */
	long timeout;			/* smb_xprt_call() only: jiffies */
	const struct smb_xprt_call_ops *ops;	/* NULL for smb_xprt_call() */
	void *ctx;			/* the caller's; the transport never
					 * touches it */
	void *priv;			/* the transport's; NULL while idle */
	/* NULL, or a reservation smb_xprt_charge() draws on first (if it is
	 * of the current connection and holds enough). */
	struct smb_xprt_credits *credits;
};

/*
 * smb_xprt_charge() - take credits and MessageIds for @call's PDUs on the
 * current connection. Returns 0 (charged), -EAGAIN (it waits: ->wake will
 * be called, then charge again), or an error (the struct is idle again):
 * -ETIMEDOUT or the last connect error (soft transports, connection away
 * for one request timer), -ENETDOWN, -EINVAL, -ENOMEM. Never sleeps for
 * the server. Process context.
 */
int smb_xprt_charge(struct smb_xprt *xprt, struct smb_xprt_call *call);

/*
 * smb_xprt_reserve() - set aside up to @want ordinary credits of the
 * current connection in @res (the priority reserve left alone, and none
 * while other requests wait in line for credits). Returns the credits
 * reserved, 0 if none now. Never sleeps. Give back what a charge did not
 * use with smb_xprt_unreserve(); a reconnect voids the reservation.
 */
unsigned int smb_xprt_reserve(struct smb_xprt *xprt, u16 want,
			      struct smb_xprt_credits *res);

/* smb_xprt_unreserve() - give back what @res still holds; any context. */
void smb_xprt_unreserve(struct smb_xprt *xprt, struct smb_xprt_credits *res);

/*
 * smb_xprt_send() - send a charged request. Returns 0 (->wake will be
 * called once its result is there) or an error, nothing having gone out
 * (the struct is idle again). Process context; sleeps only for the
 * transmit lock (killably) and socket buffer space; a caught signal does
 * not cut it short.
 */
int smb_xprt_send(struct smb_xprt *xprt, struct smb_xprt_call *call);

/*
 * smb_xprt_finish() - the result of a request that is over: 0 (the reply,
 * header included, is in @reply, its length in @reply_len) or an errno
 * (see above); -EINPROGRESS if it is not over (wait for ->wake). Process
 * context.
 */
int smb_xprt_finish(struct smb_xprt *xprt, struct smb_xprt_call *call);

/*
 * smb_xprt_cancel() - give up on @call: not sent yet, its credits go back;
 * out, the transport stops using @recv_data at once, asks the server to
 * drop it (SMB2 CANCEL, MS-SMB2 3.2.4.24, sent before this returns unless
 * a fatal signal or no memory leaves it to smbiod; may sleep for the
 * transmit lock) and keeps it only to count its reply's credits. A late successful reply goes to the handlers
 * (SMB_XPRT_MSG_LATE_REPLY). A no-op on an idle struct. Process context.
 */
void smb_xprt_cancel(struct smb_xprt *xprt, struct smb_xprt_call *call);

/*
 * smb_xprt_call() - charge, send and wait for the reply (TASK_KILLABLE),
 * at most @call->timeout jiffies in all (MAX_SCHEDULE_TIMEOUT: no limit);
 * @call->ops must be NULL. Returns smb_xprt_finish()'s result, or -EINTR on
 * a fatal signal or -ETIMEDOUT at the deadline (the request is cancelled).
 */
int smb_xprt_call(struct smb_xprt *xprt, struct smb_xprt_call *call);

/* A session's keys (MS-SMB2 3.2.5.3.1). */
#define SMB_XPRT_SIGN_NONE	0xffff

struct smb_xprt_session_keys {
	u64 generation;		/* the connection the session was set up on */
	u64 session_id;
	/* The caller's name for the session object that set them, so that
	 * clearing them later cannot clear the keys of a newer session the
	 * server gave the same SessionId. */
	u64 owner;
	/* MS-SMB2 2.2.3.1.7's ids (0 HMAC-SHA256, 1 AES-CMAC, 2 AES-GMAC), or
	 * SMB_XPRT_SIGN_NONE. */
	u16 signing_algorithm;
	u16 cipher;		/* 2.2.3.1.2's id, 0 for none */
	u32 key_len;		/* of @enc and @dec: the cipher's */
	u8 signing_key[16];
	u8 enc[32];		/* Session.EncryptionKey */
	u8 dec[32];		/* Session.DecryptionKey */
};

/*
 * smb_xprt_set_session_keys() - give the transport a session's keys, for
 * the connection they were made on. Requests flagged SMB_XPRT_CALL_SIGN or
 * SMB_XPRT_CALL_SEAL are signed or sealed with them, replies verified and
 * encrypted frames opened. The transport keeps copies (wiped when freed);
 * keys of older connections are dropped. Returns 0, -EOPNOTSUPP (a cipher
 * not negotiated), -EINVAL (a key of the wrong length, an unknown
 * algorithm), -ESTALE if the connection is not @generation any more, or
 * -ENOMEM. Process context.
 */
int smb_xprt_set_session_keys(struct smb_xprt *xprt,
			      const struct smb_xprt_session_keys *keys);

/* smb_xprt_clear_session_keys() - forget the keys @owner set for the
 * session set up on connection @generation (it ended); a later session
 * that the server gave the same SessionId keeps its own. */
void smb_xprt_clear_session_keys(struct smb_xprt *xprt, u64 generation,
				 u64 session_id, u64 owner);

/* smb_xprt_echo() - one ECHO round trip (MS-SMB2 2.2.28), sessionless,
 * with a priority credit; as smb_xprt_call(). */
int smb_xprt_echo(struct smb_xprt *xprt, long timeout);

/*
 * Upper layers (sessions, the file system) learn about the connection and
 * receive server-initiated messages through handlers. A transport has any
 * number of them; each gets every event and every message and picks what
 * is its own (by SessionId, TreeId, FileId or LeaseKey).
 *
 * Callbacks run on the smbiod workqueue, in process context, one at a
 * time per transport, never with a transport lock held, and never for a
 * handler after smb_xprt_unregister_handler() has returned. They may
 * sleep briefly and may start a request (smb_xprt_charge() and
 * smb_xprt_send(), say to acknowledge a break) but must never wait for a
 * reply, so not smb_xprt_call(): in
 * workqueue receive mode the reply would be read by smbiod, which the
 * callback is holding. Work that needs replies (SESSION_SETUP again after
 * a reconnect, reopening handles) is queued by the handler to its own
 * workqueue. Callbacks must not register or unregister handlers.
 */
enum smb_xprt_event {
	/* The connection was lost; requests that were out failed with
	 * -ECONNRESET. @generation is the lost connection's. */
	SMB_XPRT_EV_DISCONNECTED = 1,
	/* Connected and negotiated, first or again; @generation is the new
	 * connection's (see smb_xprt_negotiated). Sessions must be set up
	 * again after a reconnect. Events may be coalesced: after several
	 * losses in a row a handler sees one DISCONNECTED, then CONNECTED. */
	SMB_XPRT_EV_CONNECTED = 2,
};

enum smb_xprt_msg_kind {
	/* MessageId 0xFFFFFFFFFFFFFFFF: an oplock or lease break
	 * notification (MS-SMB2 2.2.23), the whole PDU from its header. */
	SMB_XPRT_MSG_UNSOLICITED = 1,
	/* A successful reply (at most 64 KiB; the whole PDU chain from its
	 * header) to a request whose caller had cancelled it or whose timer
	 * had expired. What it means is the caller's layer's business: a
	 * CREATE's open exists on the server and nobody holds it, say. A
	 * handler that takes care of it returns true. */
	SMB_XPRT_MSG_LATE_REPLY = 2,
};

struct smb_xprt_handler_ops {
	struct module *owner;	/* pinned while the handler is registered */
	void (*event)(void *ctx, enum smb_xprt_event event, u64 generation);
	/* @frame is valid for the call only. @request: for
	 * SMB_XPRT_MSG_LATE_REPLY the 64-byte header the request went out
	 * with (an async reply's header lacks the request's TreeId), NULL
	 * otherwise. The return value matters for SMB_XPRT_MSG_LATE_REPLY
	 * only (true: taken care of). */
	bool (*message)(void *ctx, enum smb_xprt_msg_kind kind,
			const void *frame, size_t len, const void *request);
};

struct smb_xprt_handler;

/*
 * smb_xprt_register_handler() - add a handler (@ops may have NULL
 * members). Process context. Returns the handle for unregistering, or
 * ERR_PTR(-ENOMEM), or ERR_PTR(-ENODEV) if @ops->owner is going away.
 */
struct smb_xprt_handler *
smb_xprt_register_handler(struct smb_xprt *xprt,
			  const struct smb_xprt_handler_ops *ops, void *ctx);

/*
 * smb_xprt_unregister_handler() - remove a handler, waiting for a callback
 * of it that is running. Process context; not from a callback.
 */
void smb_xprt_unregister_handler(struct smb_xprt *xprt,
				 struct smb_xprt_handler *handler);

#endif /* _SMB_XPRT_H */
