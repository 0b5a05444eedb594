# SPDX-License-Identifier: GPL-2.0
#
# smbfs: the top-level commands. Everything runs as root inside a Debian trixie
# build root cached in $(SMBFS_CACHE) (default /var/cache/smbfs); see README.md.
#
#   make           build smbxprt.ko, smbclient.ko, smbfs.ko (debug kernel)
#   make check     every test: host tests, the VM gate, the peer smoke test
#   make demo      boot the debug kernel, start ksmbd, show what works today
#   make shell     an interactive guest with ksmbd running
#   make vm SCRIPT=tools/testing/guest/x.sh [ARGS="..."]   run one guest script
#   make check STAGES="host-codec vm-peer"                   run some stages
#   make modules-release | modules-clean                     module variants (clippy is always on)
#   make buildroot | sambaroot | kernel-debug | kernel-release   build one piece
#   make bench-xprt                                          transport benchmark (release kernel)
#   make prune-cache                                         drop stale cache entries
#   make fmt                                                 rustfmt/cargo fmt all Rust
#   make install [DESTDIR=...]                               install the mount.smbfs helper in /sbin

T := tools/testing

.PHONY: install fmt bench-xprt modules modules-release clippy modules-clean help check demo shell vm buildroot sambaroot kernel-debug kernel-release prune-cache

modules:
	$(T)/modules.sh debug

modules-release:
	$(T)/modules.sh release

# The modules are always compiled by clippy-driver (CLIPPY=1); kept as a name.
clippy:
	$(T)/modules.sh debug

modules-clean:
	$(T)/modules.sh debug --clean

help:
	@sed -n 's/^#   //p' Makefile

check:
	$(T)/check.sh $(STAGES)

demo:
	$(T)/demo.sh

shell:
	$(T)/vm.sh shell

vm:
	@test -n "$(SCRIPT)" || { echo "usage: make vm SCRIPT=tools/testing/guest/NAME.sh [ARGS=...]"; exit 2; }
	$(T)/vm.sh $(SCRIPT) $(ARGS)

buildroot:
	$(T)/buildroot.sh

sambaroot:
	$(T)/sambaroot.sh

kernel-debug:
	$(T)/kernel.sh debug

kernel-release:
	$(T)/kernel.sh release

bench-xprt:
	$(T)/bench.sh xprt $(ARGS)

prune-cache:
	$(T)/prune-cache.sh

fmt:
	$(T)/fmt.sh

# The helper is built by the host's compiler (it is plain C and libc).
install:
	$(MAKE) -C tools/mount.smbfs O=$(CURDIR)/tools/mount.smbfs install
