// SPDX-License-Identifier: GPL-2.0
//! The codec's error type.

/// Why a buffer could not be decoded or encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// The input ends before a field or structure it must contain.
    Truncated,
    /// A length, count or size field exceeds what the buffer or protocol allows.
    Oversized,
    /// An offset is not aligned as the protocol requires.
    Misaligned,
    /// An offset or length points outside the buffer, or chained entries do
    /// not strictly advance.
    OutOfBounds,
    /// A fixed field (protocol id, structure size, ...) has the wrong value, or
    /// fields contradict each other.
    Malformed,
    /// Arithmetic on wire values overflowed.
    Overflow,
    /// The caller's output buffer is too small for the encoding.
    BufferTooSmall,
    /// A string is not valid UTF-8 or UTF-16.
    BadString,
    /// A signature or authentication tag did not verify.
    BadSignature,
    /// The message or feature is not supported by this codec.
    Unsupported,
}

/// The codec's result type.
pub type Result<T> = core::result::Result<T, Error>;
