// SPDX-License-Identifier: GPL-2.0
//! Little-endian field access over byte slices, with every bound checked.

use super::error::{Error, Result};

/// Reads a little-endian `u16` at `off`.
pub fn get_u16(buf: &[u8], off: usize) -> Result<u16> {
    let end = off.checked_add(2).ok_or(Error::Overflow)?;
    let b = buf.get(off..end).ok_or(Error::Truncated)?;
    let mut a = [0u8; 2];
    a.copy_from_slice(b);
    Ok(u16::from_le_bytes(a))
}

/// Reads a little-endian `u32` at `off`.
pub fn get_u32(buf: &[u8], off: usize) -> Result<u32> {
    let end = off.checked_add(4).ok_or(Error::Overflow)?;
    let b = buf.get(off..end).ok_or(Error::Truncated)?;
    let mut a = [0u8; 4];
    a.copy_from_slice(b);
    Ok(u32::from_le_bytes(a))
}

/// Reads a little-endian `u64` at `off`.
pub fn get_u64(buf: &[u8], off: usize) -> Result<u64> {
    let end = off.checked_add(8).ok_or(Error::Overflow)?;
    let b = buf.get(off..end).ok_or(Error::Truncated)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(b);
    Ok(u64::from_le_bytes(a))
}

/// Writes a little-endian `u16` at `off`.
pub fn put_u16(buf: &mut [u8], off: usize, v: u16) -> Result<()> {
    put_bytes(buf, off, &v.to_le_bytes())
}

/// Writes a little-endian `u32` at `off`.
pub fn put_u32(buf: &mut [u8], off: usize, v: u32) -> Result<()> {
    put_bytes(buf, off, &v.to_le_bytes())
}

/// Writes a little-endian `u64` at `off`.
pub fn put_u64(buf: &mut [u8], off: usize, v: u64) -> Result<()> {
    put_bytes(buf, off, &v.to_le_bytes())
}

/// Copies `src` into `buf` at `off`.
pub fn put_bytes(buf: &mut [u8], off: usize, src: &[u8]) -> Result<()> {
    let end = off.checked_add(src.len()).ok_or(Error::Overflow)?;
    buf.get_mut(off..end)
        .ok_or(Error::BufferTooSmall)?
        .copy_from_slice(src);
    Ok(())
}

/// Returns `buf[off..off + len]`, checking for overflow and bounds.
pub fn slice(buf: &[u8], off: usize, len: usize) -> Result<&[u8]> {
    let end = off.checked_add(len).ok_or(Error::Overflow)?;
    buf.get(off..end).ok_or(Error::OutOfBounds)
}
