// SPDX-License-Identifier: GPL-2.0
//! Kernel TCP sockets for in-kernel protocol clients: addresses, network
//! namespaces, sockets with overloaded callbacks and receive through
//! `tcp_read_sock`.

pub mod addr;
pub mod ns;
pub mod tcp;
