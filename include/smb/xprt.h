/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The SMB2/3 transport, exported by smbxprt.ko in the "SMB" symbol
 * namespace. See Documentation/smbxprt.rst for the design, the execution
 * contexts and the lock order.
 *
 * A transport is one TCP connection to a server, shared by every caller
 * that asks for the same (address, port, network namespace, dialect range,
 * receive mode). It connects and negotiates by itself, from the smbiod
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
	 * connection is dropped and re-established, and the request is sent
	 * again if replayable (-EIO otherwise). Neither: the module parameter
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
 * -ENETDOWN once the transport's network namespace has gone.
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
 * A signer signs or encrypts a request after the transport has assigned its
 * MessageId and credit fields, under the transmit lock, right before it is
 * sent (a signature covers the header, so it must come last). It may not sleep for long; it must not call back into
 * the transport. @data is NULL, or a copy of the call's send_data cursor
 * (the payload that ends the last PDU), which the signer may advance. The
 * table is const and names its owner module, which the transport pins for
 * the duration of the call (Documentation/abi.rst).
 */
struct smb_xprt_signer {
	struct module *owner;
	int (*sign)(void *ctx, struct kvec *iov, unsigned int nr_iov,
		    struct iov_iter *data);
};

#define SMB_XPRT_CALL_PRIORITY	0x1	/* may use the reserved credits */
/*
 * Safe to send again: if the connection is lost before the reply arrives,
 * the transport resends the request on the next connection (within the
 * call's timeout). Without it such a call fails with -EIO, since the
 * server may have acted on it.
 */
#define SMB_XPRT_CALL_REPLAYABLE	0x2
/*
 * Encrypt the request (MS-SMB2 3.1.4.3) with the keys set for the
 * SessionId in its first header (smb_xprt_set_session_keys()) on the
 * current connection; the signer is then not called. Without such keys
 * the call fails with -ENOKEY and nothing is sent: a server drops the
 * connection on a frame sealed for a session it does not know, so the
 * session must be set up again first.
 */
#define SMB_XPRT_CALL_SEAL		0x4

/*
 * One request and its reply.
 *
 * @iov[0] starts with the request's 64-byte SMB2 header; the transport
 * writes MessageId, CreditCharge and CreditRequest into it. The reply,
 * header included, is copied to @reply; -EMSGSIZE if it does not fit in
 * @reply_size bytes. @timeout is in jiffies (MAX_SCHEDULE_TIMEOUT: none).
 *
 * Bulk data travels in the caller's iterators, which must be kernel-backed
 * (ITER_KVEC, ITER_BVEC, ITER_FOLIOQ or ITER_XARRAY; anything else is
 * -EFAULT): pin user memory into a bvec first (iov_iter_extract_pages).
 * The memory must stay valid until the call returns; the transport touches
 * it from softirq and smbiod, never after returning.
 *  - @send_data (ITER_SOURCE) is sent after @iov as the end of the last PDU
 *    (a WRITE's payload, MS-SMB2 2.2.21); it comes back advanced.
 *  - @recv_data (ITER_DEST) receives the payload of a READ response
 *    (MS-SMB2 2.2.20) directly from the socket; @reply then holds the frame
 *    up to its DataOffset, and @recv_data comes back advanced by
 *    DataLength. A reply that is not a READ response with data (an error)
 *    goes whole into @reply, leaving @recv_data where it was.
 */
struct smb_xprt_call {
	struct kvec *iov;
	unsigned int nr_iov;
	struct iov_iter *send_data;	/* NULL: none */
	struct iov_iter *recv_data;	/* NULL: none */
	u32 flags;			/* SMB_XPRT_CALL_* */
	void *reply;
	size_t reply_size;
	size_t reply_len;		/* out */
	long timeout;
	const struct smb_xprt_signer *signer;	/* NULL: send as is */
	void *signer_ctx;
};

/*
 * smb_xprt_call() - send a request and wait for its reply. Sleeps
 * TASK_KILLABLE. Returns 0 (the reply's NT status is the caller's to read),
 * -ETIMEDOUT, -EINTR on a fatal signal (the reply, if it comes, is drained
 * and its credits are kept), -EIO if the connection was lost while waiting
 * (unless SMB_XPRT_CALL_REPLAYABLE), -ENOTCONN, -EMSGSIZE, or a send
 * or signer error.
 */
int smb_xprt_call(struct smb_xprt *xprt, struct smb_xprt_call *call);

/*
 * An asynchronous call (smb_xprt_call_async()): @call as for
 * smb_xprt_call(), then @ops->done(@a, result) once it is over. The
 * caller keeps @a, and everything @call points to (buffers, kvecs,
 * iterators, the signer's context), valid and untouched until @done is
 * called; @done may free it. The table is const and names its owner
 * module, which the transport pins until @done has returned.
 */
struct smb_xprt_async;

struct smb_xprt_async_ops {
	struct module *owner;
	void (*done)(struct smb_xprt_async *a, int result);
};

struct smb_xprt_async {
	struct smb_xprt_call call;
	const struct smb_xprt_async_ops *ops;
};

/*
 * smb_xprt_call_async() - start a call and return at once. Returns 0, and
 * then @a->ops->done is called exactly once, with what smb_xprt_call()
 * would have returned (except -EINTR: nothing waits to be killed), on the
 * smbiod workqueue, in process context, never from within this function.
 * Or returns an error (-EINVAL, -ENOMEM, -ENODEV) and never calls @done.
 *
 * Nothing of the call blocks smbiod: a call that must wait for the
 * connection or for credits is parked and resumed when they come; the
 * request timer (then the ECHO probe on hard transports, or the failure on
 * soft ones) runs from a timer; a replayable call is sent again from the
 * connection's next generation. Only the send itself (the transmit lock
 * and socket buffer space) may sleep briefly on smbiod. @done may sleep,
 * and may start calls, but must not wait for a reply (see the handlers
 * below). Any context that may allocate with GFP_KERNEL.
 */
int smb_xprt_call_async(struct smb_xprt *xprt, struct smb_xprt_async *a);

/*
 * smb_xprt_set_session_keys() - give the transport a session's encryption
 * keys (MS-SMB2 3.2.5.3.1: Session.EncryptionKey and DecryptionKey, each
 * as long as the negotiated cipher's key), for the connection @generation
 * the session was set up on. Replies sealed for the session are opened
 * with them on smbiod; SMB_XPRT_CALL_SEAL requests are sealed with them.
 * The transport keeps copies (wiped when freed); keys of older
 * connections are dropped. Returns 0, -EOPNOTSUPP if no cipher was
 * negotiated, -EINVAL for a key of the wrong length, -ESTALE if the
 * connection is not @generation any more, or -ENOMEM. Process context.
 */
int smb_xprt_set_session_keys(struct smb_xprt *xprt, u64 generation,
			      u64 session_id, const u8 *enc, const u8 *dec,
			      size_t key_len);

/* smb_xprt_clear_session_keys() - forget the keys of the session set up on
 * connection @generation (it ended); a later session that the server gave
 * the same SessionId keeps its own. */
void smb_xprt_clear_session_keys(struct smb_xprt *xprt, u64 generation,
				 u64 session_id);

/* smb_xprt_echo() - one ECHO round trip (MS-SMB2 2.2.28); as smb_xprt_call,
 * replayable. */
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
 * sleep briefly and may send (with smb_xprt_call() and SMB_XPRT_CALL_PRIORITY,
 * say to acknowledge a break) but must never wait for a reply: in
 * workqueue receive mode the reply would be read by smbiod, which the
 * callback is holding. Work that needs replies (SESSION_SETUP again after
 * a reconnect, reopening handles) is queued by the handler to its own
 * workqueue. Callbacks must not register or unregister handlers.
 */
enum smb_xprt_event {
	/* The connection was lost; calls in flight were failed or will be
	 * replayed. @generation is the lost connection's. */
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
	/* A successful CREATE response whose caller had left (killed, or
	 * timed out) before it came: the open exists on the server and
	 * nobody holds it. A handler that owns the session returns true once
	 * it has arranged the CLOSE (signed, if the session signs); if none
	 * does, the transport sends an unsigned CLOSE itself. */
	SMB_XPRT_MSG_ORPHAN_CREATE = 2,
};

struct smb_xprt_handler_ops {
	struct module *owner;	/* pinned while the handler is registered */
	void (*event)(void *ctx, enum smb_xprt_event event, u64 generation);
	/* @frame is valid for the call only. @tree_id: for
	 * SMB_XPRT_MSG_ORPHAN_CREATE the request's TreeId (an async reply's
	 * header does not carry it), 0 otherwise. The return value matters
	 * for SMB_XPRT_MSG_ORPHAN_CREATE only (true: taken care of). */
	bool (*message)(void *ctx, enum smb_xprt_msg_kind kind,
			const void *frame, size_t len, u32 tree_id);
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
