// SPDX-License-Identifier: GPL-2.0
//! The buffers sealed requests are encrypted into (MS-SMB2 3.2.4.1.8: the
//! TRANSFORM_HEADER and the whole message, a WRITE's payload included,
//! encrypted as one). One is allocated per send; when that fails (memory
//! is short, and a sealed writeback is what would free it), the send
//! takes the transport's reserve instead: a buffer for the largest sealed
//! request the connection takes (MaxWriteSize and room for the headers),
//! set aside the first time the transport seals, and lent to one send at
//! a time. A mempool of one element, then: sealed sends go on one by one
//! under memory pressure, never fail for want of a bounce buffer.
#![forbid(unsafe_code)]

use crate::kext::fault::FaultPoint;
use crate::kext::sync::kmutex::{KillableGuard, KillableMutex};
use core::ops::{Deref, DerefMut};
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::alloc::{
    flags::{GFP_KERNEL, __GFP_NOWARN},
    KVVec,
};
use kernel::error::{code::*, Result};
use kernel::prelude::*;
use kernel::sync::{new_mutex, Mutex, MutexGuard};

/// Room for the headers of a sealed request besides a WRITE's payload.
pub(crate) const HEADROOM: usize = 64 * 1024;

/// A transport's reserve.
#[pin_data]
pub(crate) struct Reserve {
    /// Lends the reserve to one send at a time; killable, as the borrower
    /// may wait long for the socket.
    #[pin]
    gate: KillableMutex,
    /// The buffer; only taken with `gate` held, so never waited for.
    #[pin]
    buf: Mutex<KVVec<u8>>,
    /// Set aside (or tried to) already.
    provisioned: AtomicBool,
}

/// A bounce buffer: the send's own, or the reserve, lent.
pub(crate) enum Bounce<'a> {
    Own(KVVec<u8>),
    Lent {
        buf: MutexGuard<'a, KVVec<u8>>,
        _gate: KillableGuard<'a>,
    },
}

impl Deref for Bounce<'_> {
    type Target = KVVec<u8>;
    fn deref(&self) -> &KVVec<u8> {
        match self {
            Bounce::Own(b) => b,
            Bounce::Lent { buf, .. } => buf,
        }
    }
}

impl DerefMut for Bounce<'_> {
    fn deref_mut(&mut self) -> &mut KVVec<u8> {
        match self {
            Bounce::Own(b) => b,
            Bounce::Lent { buf, .. } => buf,
        }
    }
}

impl Bounce<'_> {
    /// Whether it is the reserve.
    pub(crate) fn is_lent(&self) -> bool {
        matches!(self, Bounce::Lent { .. })
    }
}

impl Reserve {
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            gate <- crate::new_killable_mutex!("Reserve::gate"),
            buf <- new_mutex!(KVVec::new(), "Reserve::buf"),
            provisioned: AtomicBool::new(false),
        })
    }

    /// An empty buffer with room for `len` bytes: a new one, or the
    /// reserve (`max` says what the reserve is made for; asked the first
    /// time only).
    /// `ENOMEM` only if neither is to be had (the reserve could not be set
    /// aside, or `len` is larger than it); `EINTR` if killed while the
    /// reserve was lent to another send.
    pub(crate) fn get(&self, len: usize, max: impl FnOnce() -> usize) -> Result<Bounce<'_>> {
        if !self.provisioned.load(Ordering::Acquire) {
            self.provision(max().max(len));
        }
        // The module's fault point (`/sys/kernel/debug/fail_smbxprt_bounce/`)
        // stands for memory that is short.
        if !FaultPoint::should_fail(len) {
            if let Ok(b) = KVVec::with_capacity(len, GFP_KERNEL | __GFP_NOWARN) {
                return Ok(Bounce::Own(b));
            }
        }
        let gate = self.gate.lock_killable()?;
        let mut buf = self.buf.lock();
        if buf.capacity() < len {
            return Err(ENOMEM);
        }
        buf.clear();
        Ok(Bounce::Lent { buf, _gate: gate })
    }

    /// Sets the reserve aside, once; a failure leaves the transport
    /// without one (its sealed sends then fail when memory is short).
    fn provision(&self, size: usize) {
        let Ok(_gate) = self.gate.lock_killable() else {
            return;
        };
        if self.provisioned.load(Ordering::Acquire) {
            return;
        }
        let mut buf = self.buf.lock();
        if buf.reserve(size, GFP_KERNEL | __GFP_NOWARN).is_err() {
            pr_warn!(
                "no reserve of {} KiB for sealed sends: they fail while memory is short\n",
                size / 1024
            );
        }
        self.provisioned.store(true, Ordering::Release);
    }
}
