#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The baseline boot: the debug kernel without any smbfs module. The kernel's
# built-in KUnit suites have already run by the time init starts; this starts
# ksmbd, lets it serve one cifs.ko-free session of nothing, and runs kmemleak.
# Anything the gate finds here belongs to the kernel or the server, not smbfs.
t_check "ksmbd starts and listens on 127.0.0.1:445" start_ksmbd
stop_ksmbd
kmemleak_scan
t_done
