// SPDX-License-Identifier: GPL-2.0
#include <linux/fs_context.h>
#include <linux/string.h>

/* Log an error to the mount's fs_context log (shown by mount(8)). */
void smb_helper_errorfc(struct fs_context *fc, const char *msg)
{
	errorfc(fc, "%s", msg);
}

/*
 * The separator of a raw mount(2) option string: ',' as usual, except in
 * the value of pass= or password=, where ",," stands for one comma (as
 * cifs.ko reads it), so that a password may hold commas.
 */
static char *smb_opt_sep(char **s)
{
	char *tok = *s, *r, *w;
	bool pass;

	if (!tok)
		return NULL;
	pass = !strncmp(tok, "pass=", 5) || !strncmp(tok, "password=", 9);
	for (r = w = tok; *r; r++, w++) {
		if (*r == ',') {
			if (pass && r[1] == ',') {
				*w = ',';
				r++;
				continue;
			}
			break;
		}
		*w = *r;
	}
	*s = *r ? r + 1 : NULL;
	*w = '\0';
	return tok;
}

/* fs_context_operations.parse_monolithic with that separator. */
int smb_helper_parse_monolithic(struct fs_context *fc, void *data)
{
	return vfs_parse_monolithic_sep(fc, data, smb_opt_sep);
}
