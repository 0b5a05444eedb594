// SPDX-License-Identifier: GPL-2.0
//! Is the server there? One ECHO probe per transport (MS-SMB2 2.2.28).
//!
//! While requests are out, the probe's work runs once per request-timer
//! period. It sends an ECHO only when nothing at all was received for a
//! whole period and no probe is already out, with a credit from the
//! priority reserve (a probe that cannot get one is sent at the next
//! period; it is not a dead server). However many requests wait, at most
//! one probe is out at a time.
//!
//! A probe unanswered for one period means the server is gone: the
//! connection is dropped, which fails what was out (`ECONNRESET`; the
//! layer above replays what it may). On a soft transport the requests that
//! were waiting fail with `ETIMEDOUT` first, as their callers expect from
//! a soft mount.
#![forbid(unsafe_code)]

use crate::kext::timer::jiffies;
use crate::kext::workqueue as kwq;
use crate::proto::credits::ChargeClass;
use crate::proto::header::{Command, Header, HeaderView, HEADER_LEN};
use crate::proto::message::encode;
use crate::rqst::{CallOwner, CallParams, Phase, Rqst};
use crate::stats::XprtStats;
use crate::xprt::{State, Xprt};
use kernel::alloc::flags::GFP_KERNEL;
use kernel::error::{code::*, Error, Result};
use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::time::msecs_to_jiffies;

/// A probe in flight and when it went out (jiffies).
pub(crate) struct ProbeSlot {
    rqst: Option<Arc<Rqst>>,
    sent: usize,
}

impl ProbeSlot {
    pub(crate) const fn new() -> Self {
        Self {
            rqst: None,
            sent: 0,
        }
    }

    /// The probe out, if any, taken out of the slot.
    pub(crate) fn take(&mut self) -> Option<Arc<Rqst>> {
        self.rqst.take()
    }
}

/// The probe's owner: its result is looked at by the probe's work.
struct ProbeOwner {
    xprt: Arc<Xprt>,
}

impl CallOwner for ProbeOwner {
    fn wakes_atomically(&self) -> bool {
        true
    }

    fn wake(&self) {
        self.xprt.probe_now();
    }
}

/// An ECHO request (MS-SMB2 2.2.28).
pub(crate) fn echo_request() -> Result<[u8; HEADER_LEN + 4]> {
    let mut buf = [0u8; HEADER_LEN + 4];
    encode(
        &Header::request(Command::Echo),
        &crate::proto::echo::EchoRequest,
        &mut buf,
    )
    .map_err(|_| EINVAL)?;
    Ok(buf)
}

/// `EPROTO` unless the reply's status is STATUS_SUCCESS.
pub(crate) fn reply_status_ok(reply: &[u8]) -> Result {
    match HeaderView::new(reply) {
        Ok(h) if h.status() == 0 => Ok(()),
        _ => Err(EPROTO),
    }
}

impl Xprt {
    /// The probe's work runs within one timer period (requests are out).
    /// Any context.
    pub(crate) fn probe_arm(self: &Arc<Self>) {
        let period = msecs_to_jiffies(self.key.timer.timeo_ms);
        kwq::enqueue_delayed::<Xprt, 2>(&self.globals.smbiod, self, period);
    }

    /// The probe's work runs now (a request timer expired, or the probe's
    /// reply came). Any context.
    pub(crate) fn probe_now(self: &Arc<Self>) {
        kwq::mod_delayed::<Xprt, 2>(&self.globals.smbiod, self, 0);
    }

    /// Something arrived from the server (any context).
    pub(crate) fn heard(&self) {
        self.last_rx
            .store(jiffies(), core::sync::atomic::Ordering::Relaxed);
    }

    /// smbiod: the probe's work.
    pub(crate) fn probe_tick(self: &Arc<Self>) {
        let period = msecs_to_jiffies(self.key.timer.timeo_ms);
        let now = jiffies();
        let (out, sent) = {
            let p = self.probe.lock();
            (p.rqst.clone(), p.sent)
        };
        if let Some(r) = out {
            match r.phase() {
                Phase::Finished(_) => {
                    self.probe.lock().rqst = None;
                    let result = r.finish().and_then(|f| {
                        f.result?;
                        reply_status_ok(&f.reply)
                    });
                    if let Err(e) = result {
                        if e != ENOTCONN {
                            let generation = r.st.lock().generation;
                            self.probe_failed(generation, e);
                        }
                    }
                }
                Phase::Sent if now.wrapping_sub(sent) >= period => {
                    self.probe.lock().rqst = None;
                    let generation = r.st.lock().generation;
                    drop(r.cancel());
                    self.probe_failed(generation, ETIMEDOUT);
                }
                _ => {}
            }
        } else if self.state() == State::Connected && !self.mids.is_empty() {
            let heard = self.last_rx.load(core::sync::atomic::Ordering::Relaxed);
            if now.wrapping_sub(heard) >= period {
                self.send_probe();
            }
        }
        // Keep watching while requests are out or a probe is.
        let busy = !self.mids.is_empty() || self.probe.lock().rqst.is_some();
        if busy && self.state() == State::Connected {
            self.probe_arm();
        }
    }

    /// Sends the probe: an ECHO on the current connection, with a credit
    /// from the reserve.
    fn send_probe(self: &Arc<Self>) {
        let Some(generation) = self.ctl.lock().sock.as_ref().map(|s| s.generation()) else {
            return;
        };
        let owner: Arc<dyn CallOwner> =
            match Arc::new(ProbeOwner { xprt: self.clone() }, GFP_KERNEL) {
                Ok(o) => o,
                Err(_) => return,
            };
        let params = CallParams {
            class: ChargeClass::Priority,
            seal: false,
            sign: false,
            reply_capacity: HEADER_LEN + 16,
            only_on: Some(generation),
        };
        let Ok(r) = Rqst::new(self, owner, params) else {
            return;
        };
        let Ok(mut buf) = echo_request() else {
            return;
        };
        match r.charge(1, None) {
            Ok(true) => {}
            // No credit even in the reserve: the replies being waited for
            // will bring some; try at the next period.
            _ => {
                drop(r.cancel());
                return;
            }
        }
        XprtStats::inc(&self.stats.probes);
        if r.send(&mut [&mut buf[..]], None, None).is_ok() {
            let mut p = self.probe.lock();
            p.rqst = Some(r);
            p.sent = jiffies();
        }
    }

    /// One ECHO round trip (`smb_xprt_echo`): sessionless, with a priority
    /// credit. ECHO does nothing on the server, so unlike the requests of
    /// the layers above it is sent again after a lost connection, within
    /// `timeout_ms`.
    pub(crate) fn echo(self: &Arc<Self>, timeout_ms: Option<u32>) -> Result {
        let deadline = crate::call::Deadline::new(timeout_ms);
        loop {
            let mut buf = echo_request()?;
            let params = CallParams {
                class: ChargeClass::Priority,
                seal: false,
                sign: false,
                reply_capacity: HEADER_LEN + 16,
                only_on: None,
            };
            let left = deadline.remaining_ms();
            let (r, _) = self.call_sync(&mut [&mut buf[..]], None, None, params, left);
            match r {
                Ok(reply) => {
                    XprtStats::inc(&self.stats.echoes);
                    return reply_status_ok(&reply);
                }
                Err(e) if (e == ECONNRESET || e == ENOTCONN) && !deadline.expired() => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// A probe went unanswered (or failed): the server is gone. Drop the
    /// connection `generation`; on a soft transport, fail the requests
    /// that were waiting with `ETIMEDOUT` first.
    fn probe_failed(self: &Arc<Self>, generation: u64, e: Error) {
        // Only a probe of the current connection says anything about it.
        let sock = self.ctl.lock().sock.clone();
        let Some(sock) = sock.filter(|s| s.generation() == generation) else {
            return;
        };
        pr_warn!(
            "transport {} to {}: server not responding (ECHO probe: error {}); reconnecting\n",
            self.id,
            self.key.addr,
            e.to_errno()
        );
        XprtStats::inc(&self.stats.probe_failures);
        if !self.key.timer.hard {
            self.mids.fail_all(ETIMEDOUT);
        }
        sock.request_disconnect(ETIMEDOUT);
    }
}
