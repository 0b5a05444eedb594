// SPDX-License-Identifier: GPL-2.0
/*
 * mount.smbfs: what the kernel does not do for `mount -t smbfs`, as
 * mount.cifs(8) does it for cifs.ko:
 *
 *   - reads credentials=FILE (mount.cifs's format: username=, password=,
 *     domain= lines; '#' starts a comment);
 *   - resolves a host name in //host/share to ip=;
 *   - takes the password from $PASSWD, or asks on the terminal, when none
 *     is given (and not guest);
 *   - turns the generic options (ro, nosuid, ...) into mount flags,
 *     leaves out the ones only userspace reads (_netdev, noauto, x-...),
 *   - and calls mount(2) with the rest as one option string, a comma in
 *     the password doubled (the kernel reads ",," there as one comma).
 *
 * mount(8) runs it as: mount.smbfs SOURCE TARGET [-sfnvrw] [-o OPTIONS]
 * [-t smbfs]. The password is never printed (-v shows the options with
 * it masked) and is wiped from memory before exit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#define MAX_OPTS 8192
#define MAX_FIELD 1024

struct creds {
	char user[MAX_FIELD], pass[MAX_FIELD], domain[MAX_FIELD];
	bool has_user, has_pass, has_domain, guest;
};

static void wipe(void *p, size_t n)
{
	explicit_bzero(p, n);
}

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "mount.smbfs: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(EXIT_FAILURE);
}

static void set(char *dst, bool *has, const char *val)
{
	if (strlen(val) >= MAX_FIELD)
		die("%s: value too long", "credentials");
	strcpy(dst, val);
	*has = true;
}

/* credentials=FILE: username=, password= (or user=, pass=), domain= lines. */
static void read_credentials(const char *path, struct creds *c)
{
	char line[MAX_FIELD + 32];
	struct stat st;
	FILE *f = fopen(path, "r");

	if (!f)
		die("cannot read the credentials file %s", path);
	if (!fstat(fileno(f), &st) && (st.st_mode & S_IROTH))
		fprintf(stderr, "mount.smbfs: warning: %s is readable by all\n", path);
	while (fgets(line, sizeof(line), f)) {
		char *eq, *end = line + strcspn(line, "\r\n");
		char *k = line;

		*end = '\0';
		while (*k == ' ' || *k == '\t')
			k++;
		if (*k == '#' || !*k)
			continue;
		eq = strchr(k, '=');
		if (!eq)
			continue;
		*eq++ = '\0';
		if (!strcmp(k, "username") || !strcmp(k, "user"))
			set(c->user, &c->has_user, eq);
		else if (!strcmp(k, "password") || !strcmp(k, "pass"))
			set(c->pass, &c->has_pass, eq);
		else if (!strcmp(k, "domain") || !strcmp(k, "dom"))
			set(c->domain, &c->has_domain, eq);
	}
	wipe(line, sizeof(line));
	fclose(f);
}

/* Asks on the terminal, without echo. */
static void prompt_password(struct creds *c, const char *user)
{
	struct termios old, quiet;
	FILE *tty = fopen("/dev/tty", "r+");
	size_t n;

	if (!tty)
		die("no password given and no terminal to ask on (%s)",
		    "use password=, credentials= or $PASSWD");
	fprintf(tty, "Password for %s: ", user);
	fflush(tty);
	if (tcgetattr(fileno(tty), &old))
		die("cannot turn the terminal's echo off%s", "");
	quiet = old;
	quiet.c_lflag &= ~ECHO;
	tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
	if (!fgets(c->pass, sizeof(c->pass), tty))
		c->pass[0] = '\0';
	tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fputc('\n', tty);
	fclose(tty);
	n = strcspn(c->pass, "\r\n");
	c->pass[n] = '\0';
	c->has_pass = true;
}

/* Appends ",key=value" (or ",key") to @out, a doubled comma for each comma
 * of a password. */
static void add(char *out, const char *key, const char *val, bool secret)
{
	size_t n = strlen(out);

	n += snprintf(out + n, MAX_OPTS - n, "%s%s", n ? "," : "", key);
	if (val) {
		if (n + 1 < MAX_OPTS)
			out[n++] = '=';
		for (; *val && n + 2 < MAX_OPTS; val++) {
			out[n++] = *val;
			if (secret && *val == ',')
				out[n++] = ',';
		}
		out[n] = '\0';
	}
	if (n + 2 >= MAX_OPTS)
		die("%s: the options are too long", key);
}

/* The next option of @s: cut at a comma, except that in the value of
 * pass= or password= a doubled comma is one comma (as the kernel reads a
 * mount(2) option string). */
static char *next_opt(char **s)
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

struct flag {
	const char *name;
	unsigned long set, clear;
};

static const struct flag flags[] = {
	{ "ro", MS_RDONLY, 0 },		{ "rw", 0, MS_RDONLY },
	{ "nosuid", MS_NOSUID, 0 },	{ "suid", 0, MS_NOSUID },
	{ "nodev", MS_NODEV, 0 },	{ "dev", 0, MS_NODEV },
	{ "noexec", MS_NOEXEC, 0 },	{ "exec", 0, MS_NOEXEC },
	{ "sync", MS_SYNCHRONOUS, 0 },	{ "async", 0, MS_SYNCHRONOUS },
	{ "dirsync", MS_DIRSYNC, 0 },	{ "noatime", MS_NOATIME, 0 },
	{ "nodiratime", MS_NODIRATIME, 0 }, { "relatime", MS_RELATIME, 0 },
	{ "strictatime", MS_STRICTATIME, 0 }, { "remount", MS_REMOUNT, 0 },
};

/* Options only mount(8) and fstab read. */
static bool userspace_only(const char *k)
{
	static const char *const names[] = {
		"defaults", "auto", "noauto", "user", "nouser", "users", "_netdev",
		"nofail", "owner", "group", "comment",
	};
	size_t i;

	if (!strncmp(k, "x-", 2))
		return true;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(k, names[i]))
			return true;
	return false;
}

/* The host of //host/share[/path], into @host. */
static void source_host(const char *src, char *host, size_t size)
{
	const char *h = src, *end;

	if (!((h[0] == '/' || h[0] == '\\') && (h[1] == '/' || h[1] == '\\')))
		die("the source must be //server/share[/path], not %s", src);
	h += 2;
	end = h + strcspn(h, "/\\");
	if (end == h || (size_t)(end - h) >= size)
		die("no server in %s", src);
	memcpy(host, h, end - h);
	host[end - h] = '\0';
	if (host[0] == '[') {	/* [v6] */
		size_t n = strlen(host);

		if (host[n - 1] == ']') {
			memmove(host, host + 1, n - 2);
			host[n - 2] = '\0';
		}
	}
}

static bool numeric(const char *host)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST }, *ai;
	char h[256];

	snprintf(h, sizeof(h), "%s", host);
	h[strcspn(h, "%")] = '\0';
	if (getaddrinfo(h, NULL, &hints, &ai))
		return false;
	freeaddrinfo(ai);
	return true;
}

/* A host name's first address, into @ip. */
static void resolve(const char *host, char *ip, size_t size)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	int err = getaddrinfo(host, NULL, &hints, &ai);

	if (err)
		die("cannot resolve the server's name: %s", gai_strerror(err));
	if (getnameinfo(ai->ai_addr, ai->ai_addrlen, ip, size, NULL, 0, NI_NUMERICHOST))
		die("cannot print the address of %s", host);
	freeaddrinfo(ai);
}

int main(int argc, char **argv)
{
	static struct creds c;
	static char in[MAX_OPTS], out[MAX_OPTS];
	char host[256], ip[128] = "", *tok, *save;
	unsigned long mflags = 0;
	bool verbose = false, fake = false, has_ip = false;
	const char *src, *target, *env;
	int opt;
	size_t i;

	if (argc < 3) {
		fprintf(stderr, "usage: mount.smbfs //server/share[/path] DIR [-sfnvrw] [-o OPTIONS]\n");
		return EXIT_FAILURE;
	}
	src = argv[1];
	target = argv[2];
	optind = 3;
	while ((opt = getopt(argc, argv, "o:sfnvrwt:")) != -1) {
		switch (opt) {
		case 'o':
			if (strlen(optarg) + strlen(in) + 2 >= sizeof(in))
				die("%s", "the options are too long");
			if (in[0])
				strcat(in, ",");
			strcat(in, optarg);
			break;
		case 'v':
			verbose = true;
			break;
		case 'f':
			fake = true;
			break;
		case 'r':
			mflags |= MS_RDONLY;
			break;
		case 'w':
			mflags &= ~MS_RDONLY;
			break;
		default:
			break;
		}
	}
	/* Options in order; credentials and the password are taken out. */
	for (save = in; (tok = next_opt(&save));) {
		char *eq = strchr(tok, '=');
		char *val = eq ? eq + 1 : NULL;
		bool flag_done = false;

		if (!*tok)
			continue;
		if (eq)
			*eq = '\0';
		if (!strcmp(tok, "credentials") || !strcmp(tok, "cred")) {
			if (!val)
				die("%s needs a file", tok);
			read_credentials(val, &c);
			continue;
		}
		if (!strcmp(tok, "password") || !strcmp(tok, "pass")) {
			set(c.pass, &c.has_pass, val ? val : "");
			continue;
		}
		if (!strcmp(tok, "username") || !strcmp(tok, "user")) {
			if (!val)
				die("%s needs a value", tok);
			set(c.user, &c.has_user, val);
			continue;
		}
		if (!strcmp(tok, "domain") || !strcmp(tok, "dom")) {
			if (!val)
				die("%s needs a value", tok);
			set(c.domain, &c.has_domain, val);
			continue;
		}
		if (!strcmp(tok, "guest"))
			c.guest = true;
		if (!strcmp(tok, "ip") || !strcmp(tok, "addr"))
			has_ip = true;
		for (i = 0; !val && i < sizeof(flags) / sizeof(flags[0]); i++) {
			if (!strcmp(tok, flags[i].name)) {
				mflags = (mflags | flags[i].set) & ~flags[i].clear;
				flag_done = true;
			}
		}
		if (flag_done || userspace_only(tok))
			continue;
		add(out, tok, val, false);
	}
	if (!c.has_user && !c.guest && (env = getenv("USER")))
		set(c.user, &c.has_user, env);
	if (!c.has_pass && !c.guest) {
		env = getenv("PASSWD");
		if (env)
			set(c.pass, &c.has_pass, env);
		else
			prompt_password(&c, c.has_user ? c.user : "the share");
	}
	source_host(src, host, sizeof(host));
	if (!has_ip && !numeric(host)) {
		resolve(host, ip, sizeof(ip));
		add(out, "ip", ip, false);
	}
	if (c.has_user)
		add(out, "username", c.user, false);
	if (c.has_domain)
		add(out, "domain", c.domain, false);
	if (verbose) {
		fprintf(stderr, "mount.smbfs: mount(\"%s\", \"%s\", \"smbfs\", %#lx, \"%s%s\")\n",
			src, target, mflags, out, c.has_pass ? ",password=********" : "");
	}
	if (c.has_pass)
		add(out, "password", c.pass, true);
	wipe(&c, sizeof(c));
	if (!fake && mount(src, target, "smbfs", mflags, out)) {
		int err = errno;

		wipe(out, sizeof(out));
		fprintf(stderr, "mount.smbfs: mount(2) of %s on %s failed: %s (see dmesg)\n",
			src, target, strerror(err));
		return 32;	/* mount(8)'s "mount failure" */
	}
	wipe(out, sizeof(out));
	wipe(in, sizeof(in));
	return EXIT_SUCCESS;
}
