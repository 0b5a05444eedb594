// SPDX-License-Identifier: GPL-2.0
//! Connecting, reconnecting with backoff, and losing a connection.
//!
//! The connect worker runs on smbiod: it creates a socket in the
//! transport's namespace, installs the callbacks, connects without
//! blocking, waits for the handshake (at most `connect_timeout_ms`),
//! resets the credit window (MessageId 0, one credit, a new generation)
//! and sends NEGOTIATE. On failure it tries again after
//! `reconnect_min_ms`, doubling up to `reconnect_max_ms`.
//!
//! A lost connection fails every request that was out with `ECONNRESET`
//! (the layer above decides what may be sent again) and tells the
//! handlers, which set their sessions up again on the next connection.
#![forbid(unsafe_code)]

use crate::conn::{Conn, ConnSock};
use crate::kext::net::tcp::{CallbackSocket, TcpSocket, TcpState};
use crate::negotiate::{self, Negotiated};
use crate::rx::RxEngine;
use crate::stats::XprtStats;
use crate::xprt::{recorded_error, State, Tunables, Xprt, PRE_NEGOTIATE_MAX_FRAME};
use core::sync::atomic::Ordering;
use kernel::alloc::flags::GFP_KERNEL;
use kernel::error::{code::*, Error, Result};
use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::time::msecs_to_jiffies;

impl Xprt {
    /// Shuts the transport down for good: no reconnect, requests fail with
    /// `err`. Process context.
    pub(crate) fn kill(self: &Arc<Self>, err: Error) {
        self.set_state(State::Dead);
        let sock = {
            let mut ctl = self.ctl.lock();
            ctl.last_error = err.to_errno();
            ctl.negotiated = None;
            ctl.sock.take()
        };
        if let Some(s) = sock {
            s.shutdown();
            drop(s);
        }
        self.mids.fail_all(err);
        self.wake();
    }

    /// The connection went away (RST, close, malformed input, send
    /// failure, an unanswered probe): fail what was out and reconnect with
    /// backoff. Process context.
    pub(crate) fn disconnect(self: &Arc<Self>, generation: u64, why: Error) {
        if self.generation.load(Ordering::Acquire) != generation {
            return;
        }
        let (sock, backoff) = {
            let mut ctl = self.ctl.lock();
            if self.generation.load(Ordering::Acquire) != generation || ctl.sock.is_none() {
                return;
            }
            ctl.negotiated = None;
            ctl.last_error = why.to_errno();
            ctl.backoff_ms = next_backoff(ctl.backoff_ms, &self.tun);
            (ctl.sock.take(), ctl.backoff_ms)
        };
        XprtStats::inc(&self.stats.disconnects);
        if self.state() != State::Dead {
            self.set_state(State::Disconnected);
        }
        self.notes.lock().lost = generation;
        self.schedule_notify();
        if let Some(s) = sock {
            s.shutdown();
            drop(s);
        }
        self.mids.fail_all(ECONNRESET);
        // Requests parked for credits of the lost connection look again.
        self.wake();
        if self.state() != State::Dead {
            pr_info!(
                "transport {} to {}: connection lost (error {}); reconnecting in {} ms\n",
                self.id,
                self.key.addr,
                why.to_errno(),
                backoff
            );
            self.schedule_connect(backoff);
        }
    }

    /// The connect worker: connect, then NEGOTIATE. Runs on smbiod.
    pub(crate) fn connect(self: &Arc<Self>) {
        if self.state() == State::Dead || self.users() == 0 {
            return;
        }
        let _nofs = crate::kext::nofs::NofsScope::enter();
        match self.try_connect() {
            Ok(()) => {
                self.ctl.lock().backoff_ms = 0;
            }
            Err(e) => {
                XprtStats::inc(&self.stats.connect_failures);
                let gen = self.generation.load(Ordering::Acquire);
                let backoff = {
                    let mut ctl = self.ctl.lock();
                    ctl.last_error = e.to_errno();
                    ctl.backoff_ms = next_backoff(ctl.backoff_ms, &self.tun);
                    if let Some(s) = ctl.sock.take() {
                        s.shutdown();
                    }
                    ctl.backoff_ms
                };
                self.mids.fail_all(ECONNRESET);
                if self.state() != State::Dead {
                    self.set_state(State::Disconnected);
                    pr_debug!(
                        "transport {} to {}: connect failed (error {}), generation {}; retrying in {} ms\n",
                        self.id,
                        self.key.addr,
                        e.to_errno(),
                        gen,
                        backoff
                    );
                    self.schedule_connect(backoff);
                }
            }
        }
    }

    fn try_connect(self: &Arc<Self>) -> Result {
        // The socket holds its own reference on the namespace; until it
        // exists the transport only has the registry's weak binding.
        let net = self.globals.registry.net_of(self).ok_or(ENETDOWN)?;
        XprtStats::inc(&self.stats.connects);
        let generation = {
            let mut credits = self.credits.lock();
            credits.reset();
            u64::from(credits.generation())
        };
        self.generation.store(generation, Ordering::Release);
        self.max_frame
            .store(PRE_NEGOTIATE_MAX_FRAME, Ordering::Release);
        let sock = TcpSocket::new(&net, self.key.addr.family())?;
        drop(net);
        sock.set_nodelay();
        // A dead peer is noticed by TCP too: keepalive probes after one
        // request timer of silence, and unacknowledged data gives up after
        // two (RFC 5482), both well before a hard wait would.
        let secs = i32::try_from(self.key.timer.timeo_ms / 1000)
            .unwrap_or(i32::MAX)
            .max(1);
        let _ = sock.set_keepalive(secs, (secs / 3).max(1), 3);
        sock.set_user_timeout(
            i32::try_from(self.key.timer.timeo_ms.saturating_mul(2)).unwrap_or(i32::MAX),
        );
        let conn = Conn::new(self.clone(), generation)?;
        let cs = CallbackSocket::new(sock, conn, RxEngine::new())?;
        let cs = Arc::new(ConnSock::new(cs), GFP_KERNEL)?;
        self.set_state(State::Connecting);
        cs.socket().connect(&self.key.addr)?;
        self.ctl.lock().sock = Some(cs.clone());

        let timeout = msecs_to_jiffies(self.tun.connect_timeout_ms);
        let settled = self.events.wait_timeout(timeout, || {
            self.state() == State::Dead || cs.socket().state() != TcpState::SynSent
        });
        if self.state() == State::Dead {
            return Err(ESHUTDOWN);
        }
        match cs.socket().state() {
            TcpState::Established => {}
            _ if !settled => return Err(ETIMEDOUT),
            _ => return Err(cs.socket().error().unwrap_or(ECONNREFUSED)),
        }
        drop(cs);

        self.set_state(State::Negotiating);
        let negotiated = negotiate::run(self, generation)?;
        pr_info!(
            "transport {} to {}: connected, SMB {}\n",
            self.id,
            self.key.addr,
            crate::negotiate::dialect_name(negotiated.dialect)
        );
        {
            let mut ctl = self.ctl.lock();
            ctl.negotiated = Some(negotiated);
            ctl.last_error = 0;
        }
        self.max_frame
            .store(negotiated_max_frame(&negotiated), Ordering::Release);
        self.ever_connected.store(true, Ordering::Release);
        self.set_state(State::Connected);
        {
            let mut notes = self.notes.lock();
            if notes.connected != 0 {
                XprtStats::inc(&self.stats.reconnects);
            }
            notes.connected = generation;
        }
        self.schedule_notify();
        Ok(())
    }

    /// Whether the transport never connected and a connect failed: no
    /// server there (yet), which a caller waiting to start is told at
    /// once rather than at its timeout (reconnects go on in backoff).
    fn never_reached(&self) -> bool {
        !self.ever_connected.load(Ordering::Acquire)
            && self.state() == State::Disconnected
            && self.stats.connect_failures.load(Ordering::Relaxed) != 0
    }

    /// Sleeps (killable) until connected, `timeout_ms`, death, or the
    /// failure of the first connection.
    pub(crate) fn wait_connected(&self, timeout_ms: Option<u32>) -> Result {
        let deadline = crate::call::Deadline::new(timeout_ms);
        let outcome = self.events.wait_killable_timeout(deadline.remaining(), || {
            matches!(self.state(), State::Connected | State::Dead) || self.never_reached()
        });
        match (self.state(), outcome) {
            (State::Connected, _) => Ok(()),
            (State::Dead, _) => Err(recorded_error(self.ctl.lock().last_error, ENETDOWN)),
            _ if self.never_reached() => {
                Err(recorded_error(self.ctl.lock().last_error, ECONNREFUSED))
            }
            (_, crate::kext::sync::wait::WaitOutcome::Killed) => Err(EINTR),
            _ => Err(recorded_error(self.ctl.lock().last_error, ETIMEDOUT)),
        }
    }
}

/// The longest frame a server may send once NEGOTIATE has settled: the
/// largest READ, WRITE or IOCTL payload it granted plus room for headers
/// and a compounded reply, never more than the receive path's cap.
fn negotiated_max_frame(n: &Negotiated) -> usize {
    let largest = n
        .max_read_size
        .max(n.max_write_size)
        .max(n.max_transact_size) as usize;
    largest
        .saturating_add(8192)
        .clamp(PRE_NEGOTIATE_MAX_FRAME, crate::place::MAX_FRAME)
}

fn next_backoff(cur: u32, tun: &Tunables) -> u32 {
    if cur == 0 {
        tun.reconnect_min_ms
    } else {
        cur.saturating_mul(2).min(tun.reconnect_max_ms)
    }
}
