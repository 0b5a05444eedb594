// SPDX-License-Identifier: GPL-2.0
/*
 * The symbols smbclient.ko exports, defined in Rust (rust/exports/
 * smbclient_auth.rs, checked against the headers at compile time).
 */
#include <linux/export.h>
#include <smb/auth.h>

EXPORT_SYMBOL_NS_GPL(smb_nt_hash, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_ntlmv2_response, "SMB");

#include <smb/clnt.h>

EXPORT_SYMBOL_NS_GPL(smb_clnt_create, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_clnt_release, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_clnt_info, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_clnt_echo, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_clnt_open, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_clnt_close, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_clnt_read, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_clnt_write, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_clnt_getattr, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_clnt_rename, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_clnt_delete, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_clnt_readdir, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_clnt_query_dir, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_clnt_flush, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_clnt_lock, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_clnt_query_info, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_clnt_set_info, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_clnt_watch_fid, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_clnt_watch_lease, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_clnt_unwatch, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_clnt_oplock_ack, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_clnt_open_ex, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_clnt_set_events, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_call_sync, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_run_task, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_task_result, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_task_wait, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_task_put, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_task_cancel, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_clnt_abort, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_read_async, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_write_async, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_clnt_reserve, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_clnt_unreserve, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_req_sync, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_req_async, "SMB");
