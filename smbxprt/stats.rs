// SPDX-License-Identifier: GPL-2.0
//! Per-transport counters, shown in debugfs
//! (`/sys/kernel/debug/smbxprt/<id>/stats`). All updates are relaxed atomic
//! adds, safe from any context.
#![forbid(unsafe_code)]

use core::fmt;
use core::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Upper bounds (µs) of the round-trip-time histogram buckets; the last
/// bucket is everything slower.
pub(crate) const RTT_BOUNDS_US: [u64; 12] = [
    50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 1_000_000,
];

/// What a transport counts.
#[derive(Default)]
pub(crate) struct XprtStats {
    pub(crate) requests: AtomicU64,
    pub(crate) replies: AtomicU64,
    pub(crate) bytes_sent: AtomicU64,
    pub(crate) bytes_received: AtomicU64,
    pub(crate) echoes: AtomicU64,
    /// Frames placed straight into a waiting request by `data_ready`.
    pub(crate) placed_in_data_ready: AtomicU64,
    /// Frames whose body smbiod read (parked frames, workqueue mode).
    pub(crate) placed_by_smbiod: AtomicU64,
    /// Frames resumed in a later chunk than the one they began in.
    pub(crate) resumed_parses: AtomicU64,
    /// Replies to a MessageId no request holds (never used, or its
    /// request's connection already gave it up).
    pub(crate) unknown_mid: AtomicU64,
    /// Interim (STATUS_PENDING) replies.
    pub(crate) interim: AtomicU64,
    /// Server-initiated messages (oplock/lease breaks).
    pub(crate) unsolicited: AtomicU64,
    pub(crate) malformed: AtomicU64,
    pub(crate) connects: AtomicU64,
    pub(crate) connect_failures: AtomicU64,
    pub(crate) disconnects: AtomicU64,
    /// Connections made again after one was lost.
    pub(crate) reconnects: AtomicU64,
    /// Requests that had to wait for credits.
    pub(crate) credit_stalls: AtomicU64,
    /// Replies whose request's owner had left (cancelled, timed out), and
    /// the successful ones no handler took.
    pub(crate) late_replies: AtomicU64,
    pub(crate) late_replies_unclaimed: AtomicU64,
    /// Messages for the handlers dropped because too many were queued.
    pub(crate) messages_dropped: AtomicU64,
    /// Requests sent sealed, sealed frames received and opened, and those
    /// that could not be opened (no key, bad tag: the connection is
    /// dropped, MS-SMB2 3.2.5.1.1.1).
    pub(crate) sealed: AtomicU64,
    /// Sealed sends that borrowed the bounce buffer reserve (no memory
    /// for their own).
    pub(crate) seal_reserve_uses: AtomicU64,
    pub(crate) opened: AtomicU64,
    pub(crate) open_failures: AtomicU64,
    /// The most requests that were in flight at once.
    pub(crate) in_flight_peak: AtomicU64,
    /// Reply PDUs whose signature was verified, replies that failed the
    /// check (their requests fail with EIO), and plain replies to
    /// encrypted requests (failed likewise).
    pub(crate) verified: AtomicU64,
    pub(crate) bad_signatures: AtomicU64,
    pub(crate) unprotected_replies: AtomicU64,
    /// Sends a caught signal interrupted, finished with signals blocked.
    pub(crate) interrupted_sends: AtomicU64,
    /// Reconnects because no credit was left and nothing was in flight.
    pub(crate) zero_credit_resets: AtomicU64,
    /// Frames longer than the negotiated limit (the connection is dropped).
    pub(crate) oversized: AtomicU64,
    /// CANCELs sent for requests whose task left.
    pub(crate) cancels: AtomicU64,
    /// Request timers that expired.
    pub(crate) timeouts: AtomicU64,
    /// ECHO probes sent (one per transport at a time, after a period of
    /// silence with requests out), and those that went unanswered (each
    /// drops the connection).
    pub(crate) probes: AtomicU64,
    pub(crate) probe_failures: AtomicU64,
    rtt: [AtomicU64; RTT_BOUNDS_US.len() + 1],
    rtt_sum_us: AtomicU64,
}

impl XprtStats {
    /// Adds `n` to a counter.
    pub(crate) fn add(c: &AtomicU64, n: u64) {
        c.fetch_add(n, Relaxed);
    }

    /// Raises a high-water mark to `n`.
    pub(crate) fn max(c: &AtomicU64, n: u64) {
        c.fetch_max(n, Relaxed);
    }

    /// Counts one event.
    pub(crate) fn inc(c: &AtomicU64) {
        c.fetch_add(1, Relaxed);
    }

    /// Records one round trip.
    pub(crate) fn record_rtt(&self, us: u64) {
        let i = RTT_BOUNDS_US
            .iter()
            .position(|b| us < *b)
            .unwrap_or(RTT_BOUNDS_US.len());
        self.rtt[i].fetch_add(1, Relaxed);
        self.rtt_sum_us.fetch_add(us, Relaxed);
    }

    /// Writes the counters as `name value` lines.
    pub(crate) fn show(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rows: [(&str, &AtomicU64); 36] = [
            ("requests", &self.requests),
            ("replies", &self.replies),
            ("bytes_sent", &self.bytes_sent),
            ("bytes_received", &self.bytes_received),
            ("echoes", &self.echoes),
            ("placed_in_data_ready", &self.placed_in_data_ready),
            ("placed_by_smbiod", &self.placed_by_smbiod),
            ("resumed_parses", &self.resumed_parses),
            ("unknown_mid", &self.unknown_mid),
            ("interim", &self.interim),
            ("unsolicited", &self.unsolicited),
            ("malformed", &self.malformed),
            ("connects", &self.connects),
            ("connect_failures", &self.connect_failures),
            ("disconnects", &self.disconnects),
            ("reconnects", &self.reconnects),
            ("credit_stalls", &self.credit_stalls),
            ("in_flight_peak", &self.in_flight_peak),
            ("late_replies", &self.late_replies),
            ("late_replies_unclaimed", &self.late_replies_unclaimed),
            ("messages_dropped", &self.messages_dropped),
            ("sealed", &self.sealed),
            ("seal_reserve_uses", &self.seal_reserve_uses),
            ("opened", &self.opened),
            ("open_failures", &self.open_failures),
            ("verified", &self.verified),
            ("bad_signatures", &self.bad_signatures),
            ("unprotected_replies", &self.unprotected_replies),
            ("interrupted_sends", &self.interrupted_sends),
            ("zero_credit_resets", &self.zero_credit_resets),
            ("oversized", &self.oversized),
            ("cancels", &self.cancels),
            ("timeouts", &self.timeouts),
            ("probes", &self.probes),
            ("probe_failures", &self.probe_failures),
            ("rtt_sum_us", &self.rtt_sum_us),
        ];
        for (name, c) in rows {
            writeln!(f, "{name} {}", c.load(Relaxed))?;
        }
        let mut lower = 0;
        for (i, c) in self.rtt.iter().enumerate() {
            match RTT_BOUNDS_US.get(i) {
                Some(upper) => writeln!(f, "rtt_us[{lower},{upper}) {}", c.load(Relaxed))?,
                None => writeln!(f, "rtt_us[{lower},inf) {}", c.load(Relaxed))?,
            }
            lower = RTT_BOUNDS_US.get(i).copied().unwrap_or(lower);
        }
        Ok(())
    }
}
