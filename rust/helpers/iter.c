// SPDX-License-Identifier: GPL-2.0
/* iov_iter inlines for rust/kext/iter.rs. */
#include <linux/uio.h>

/* Whether @i is backed by kernel memory the transport may use from any
 * context: ITER_KVEC, ITER_BVEC, ITER_FOLIOQ or ITER_XARRAY. */
bool smb_helper_iov_iter_is_kernel(const struct iov_iter *i)
{
	return iov_iter_is_kvec(i) || iov_iter_is_bvec(i) ||
	       iov_iter_is_folioq(i) || iov_iter_is_xarray(i);
}

bool smb_helper_iov_iter_is_source(const struct iov_iter *i)
{
	return i->data_source == ITER_SOURCE;
}

size_t smb_helper_iov_iter_count(const struct iov_iter *i)
{
	return iov_iter_count(i);
}

/* Limits @i to @n bytes; returns how many were cut off. */
size_t smb_helper_iov_iter_truncate(struct iov_iter *i, size_t n)
{
	size_t before = iov_iter_count(i);

	iov_iter_truncate(i, n);
	return before - iov_iter_count(i);
}

void smb_helper_iov_iter_reexpand(struct iov_iter *i, size_t n)
{
	iov_iter_reexpand(i, n);
}

/*
 * Turns a copy of a destination iterator into a source one over the same
 * memory, so that what was received into it can be read back (to verify a
 * signature over a READ's payload). Only kernel-backed iterators reach here.
 */
void smb_helper_iov_iter_make_source(struct iov_iter *i)
{
	i->data_source = ITER_SOURCE;
}
