// SPDX-License-Identifier: GPL-2.0
//! A message as a sequence of byte segments, without allocation.
//!
//! A PDU is rarely one contiguous buffer: the header and fixed body sit in one
//! small buffer, the payload in pages. These traits let the MACs, hashes and
//! AEADs walk such a message in order, as if it were contiguous. They are
//! implemented here for slices and arrays of slices; the kernel implements
//! them for its page lists.

/// A read-only message made of one or more segments, in order.
pub trait Segments {
    /// Total length in bytes of all segments.
    fn total_len(&self) -> usize;
    /// Calls `f` on every segment, in order. Empty segments may be skipped.
    fn for_each_segment(&self, f: &mut dyn FnMut(&[u8]));
}

/// A mutable message made of one or more segments, in order.
pub trait SegmentsMut {
    /// Total length in bytes of all segments.
    fn total_len(&self) -> usize;
    /// Calls `f` on every segment, in order. Empty segments may be skipped.
    fn for_each_segment_mut(&mut self, f: &mut dyn FnMut(&mut [u8]));
}

impl Segments for [u8] {
    fn total_len(&self) -> usize {
        self.len()
    }
    fn for_each_segment(&self, f: &mut dyn FnMut(&[u8])) {
        f(self)
    }
}

impl<const N: usize> Segments for [u8; N] {
    fn total_len(&self) -> usize {
        N
    }
    fn for_each_segment(&self, f: &mut dyn FnMut(&[u8])) {
        f(self)
    }
}

impl Segments for [&[u8]] {
    fn total_len(&self) -> usize {
        self.iter().fold(0usize, |n, s| n.saturating_add(s.len()))
    }
    fn for_each_segment(&self, f: &mut dyn FnMut(&[u8])) {
        for s in self {
            f(s)
        }
    }
}

impl Segments for [&mut [u8]] {
    fn total_len(&self) -> usize {
        self.iter().fold(0usize, |n, s| n.saturating_add(s.len()))
    }
    fn for_each_segment(&self, f: &mut dyn FnMut(&[u8])) {
        for s in self {
            f(s)
        }
    }
}

impl<T: Segments + ?Sized> Segments for &T {
    fn total_len(&self) -> usize {
        (**self).total_len()
    }
    fn for_each_segment(&self, f: &mut dyn FnMut(&[u8])) {
        (**self).for_each_segment(f)
    }
}

impl<T: Segments + ?Sized> Segments for &mut T {
    fn total_len(&self) -> usize {
        (**self).total_len()
    }
    fn for_each_segment(&self, f: &mut dyn FnMut(&[u8])) {
        (**self).for_each_segment(f)
    }
}

impl SegmentsMut for [u8] {
    fn total_len(&self) -> usize {
        self.len()
    }
    fn for_each_segment_mut(&mut self, f: &mut dyn FnMut(&mut [u8])) {
        f(self)
    }
}

impl<const N: usize> SegmentsMut for [u8; N] {
    fn total_len(&self) -> usize {
        N
    }
    fn for_each_segment_mut(&mut self, f: &mut dyn FnMut(&mut [u8])) {
        f(self)
    }
}

impl SegmentsMut for [&mut [u8]] {
    fn total_len(&self) -> usize {
        self.iter().fold(0usize, |n, s| n.saturating_add(s.len()))
    }
    fn for_each_segment_mut(&mut self, f: &mut dyn FnMut(&mut [u8])) {
        for s in self {
            f(s)
        }
    }
}

impl<T: SegmentsMut + ?Sized> SegmentsMut for &mut T {
    fn total_len(&self) -> usize {
        (**self).total_len()
    }
    fn for_each_segment_mut(&mut self, f: &mut dyn FnMut(&mut [u8])) {
        (**self).for_each_segment_mut(f)
    }
}

/// Three read-only parts in order: used to present a PDU whose signature
/// field must read as zero (`header[..48]`, 16 zero bytes, the rest).
pub(crate) struct Chain3<'a> {
    pub(crate) first: &'a dyn Segments,
    pub(crate) second: &'a dyn Segments,
    pub(crate) third: &'a dyn Segments,
}

impl Segments for Chain3<'_> {
    fn total_len(&self) -> usize {
        self.first
            .total_len()
            .saturating_add(self.second.total_len())
            .saturating_add(self.third.total_len())
    }
    fn for_each_segment(&self, f: &mut dyn FnMut(&[u8])) {
        self.first.for_each_segment(f);
        self.second.for_each_segment(f);
        self.third.for_each_segment(f);
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    #[test]
    fn walks_segments_in_order() {
        let a = [1u8, 2];
        let b = [3u8];
        let parts: [&[u8]; 3] = [&a, &[], &b];
        let mut seen = [0u8; 3];
        let mut n = 0;
        parts[..].for_each_segment(&mut |s| {
            for &x in s {
                seen[n] = x;
                n += 1;
            }
        });
        assert_eq!(seen, [1, 2, 3]);
        assert_eq!(parts[..].total_len(), 3);
    }

    #[test]
    fn mutates_segments_in_order() {
        let mut a = [0u8; 2];
        let mut b = [0u8; 1];
        {
            let mut parts: [&mut [u8]; 2] = [&mut a, &mut b];
            let mut k = 0u8;
            parts[..].for_each_segment_mut(&mut |s| {
                for x in s.iter_mut() {
                    k += 1;
                    *x = k;
                }
            });
        }
        assert_eq!((a, b), ([1, 2], [3]));
    }
}
