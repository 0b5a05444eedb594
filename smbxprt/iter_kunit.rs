// SPDX-License-Identifier: GPL-2.0
//! KUnit: kernel-backed iterators (rust/kext/iter.rs) and receiving a READ
//! response's payload straight into a caller's bvec iterator, over every
//! chunk boundary, through the same receive engine and reply buffer the
//! transport uses, with a split hook that reads DataOffset from the reply,
//! as the layer above supplies one; and reading the payload back from the
//! iterator, as a signature check does.
#![forbid(unsafe_code)]

#[kernel::macros::kunit_tests(smbxprt_iter)]
mod tests {
    use crate::kext::iter::{Direction, IterSlot, KernelIter, KvecBuf, PageBuf};
    use crate::proto::file_io::read_response_data_span;
    use crate::reply::ReplyBuf;
    use crate::rx::{Bytes, Malformed, Part, Placement, RxEngine, Sink};
    use core::cell::{Cell, RefCell};
    use kernel::alloc::{flags::GFP_KERNEL, KBox, KVVec, KVec};
    use kernel::error::code::*;
    use kernel::page::PAGE_SIZE;
    use kernel::prelude::*;

    /// A READ response from ksmbd: 64-byte header, 16-byte fixed part,
    /// DataOffset 80, 8 KiB of data (rust/smbproto/tests/vectors).
    const READ_8K: &[u8] = include_bytes!("../rust/smbproto/tests/vectors/smb3.1.1/0053-s2c.bin");
    const DATA_OFF: usize = 80;

    fn pattern(len: usize, seed: u8) -> KVec<u8> {
        let mut v = KVec::with_capacity(len, GFP_KERNEL).unwrap();
        for i in 0..len {
            v.push((i as u8).wrapping_mul(31).wrapping_add(seed), GFP_KERNEL)
                .unwrap();
        }
        v
    }

    #[test]
    fn page_iter_copies_across_unaligned_pages() {
        let len = 3 * PAGE_SIZE;
        let mut pb = PageBuf::new(len, 100).unwrap();
        assert_eq!(pb.len(), len);
        let src = pattern(len, 7);
        {
            let mut it = pb.iter(Direction::Dest).unwrap();
            assert_eq!(it.count(), len);
            // Three uneven copies, each crossing a page boundary somewhere.
            assert_eq!(it.copy_to(&src[..5000]), Ok(5000));
            assert_eq!(it.copy_to(&src[5000..5001]), Ok(1));
            assert_eq!(it.copy_to(&src[5001..]), Ok(len - 5001));
            assert_eq!(it.count(), 0);
            assert_eq!(it.consumed(), len);
            // Full: nothing more fits.
            assert_eq!(it.copy_to(&[1, 2, 3]), Ok(0));
        }
        let mut back = KVec::from_elem(0u8, len, GFP_KERNEL).unwrap();
        pb.read(0, &mut back).unwrap();
        assert!(back[..] == src[..]);
    }

    #[test]
    fn rewind_duplicate_and_limit() {
        let src = pattern(6000, 3);
        let mut pb = PageBuf::new(6000, 0).unwrap();
        pb.write(0, &src).unwrap();
        let mut it = pb.iter(Direction::Source).unwrap();
        let mut a = [0u8; 100];
        assert_eq!(it.copy_from(&mut a), Ok(100));
        assert!(a[..] == src[..100]);
        // A duplicate reads on from the same place without moving `it`.
        {
            let mut d = it.duplicate().unwrap();
            let mut b = [0u8; 50];
            assert_eq!(d.copy_from(&mut b), Ok(50));
            assert!(b[..] == src[100..150]);
        }
        assert_eq!(it.consumed(), 100);
        // Limited to 10 bytes, then the limit is lifted.
        let got = it.limited(10, |l| {
            assert_eq!(l.count(), 10);
            let mut c = [0u8; 64];
            l.copy_from(&mut c).unwrap()
        });
        assert_eq!(got, 10);
        assert_eq!(it.count(), 6000 - 110);
        it.rewind();
        assert_eq!(it.consumed(), 0);
        assert_eq!(it.copy_from(&mut a), Ok(100));
        assert!(a[..] == src[..100]);
    }

    #[test]
    fn direction_is_enforced() {
        let mut buf = [0u8; 16];
        let bufs = [KvecBuf::new(&mut buf)];
        let mut it = KernelIter::from_kvecs(&bufs, Direction::Source).unwrap();
        assert_eq!(it.copy_to(&[1]), Err(EINVAL));
        let mut pb = PageBuf::new(16, 0).unwrap();
        let mut d = pb.iter(Direction::Dest).unwrap();
        let mut out = [0u8; 4];
        assert_eq!(d.copy_from(&mut out), Err(EINVAL));
        // Two cursors writing one buffer would alias: refused.
        assert!(d.duplicate().is_err());
    }

    #[test]
    fn overlapping_kvecs_are_refused() {
        let mut buf = [0u8; 32];
        let base = buf.as_mut_ptr();
        let iov = [
            crate::bindings::kvec {
                iov_base: base.cast(),
                iov_len: 16,
            },
            crate::bindings::kvec {
                iov_base: base.wrapping_add(8).cast(),
                iov_len: 16,
            },
        ];
        // `kvec_slices` refuses them: two `&mut` slices would alias.
        assert!(crate::kext::iter::kvecs_overlap(&iov));
        assert!(!crate::kext::iter::kvecs_overlap(&iov[..1]));
        let apart = [
            iov[0],
            crate::bindings::kvec {
                iov_base: base.wrapping_add(16).cast(),
                iov_len: 16,
            },
        ];
        assert!(!crate::kext::iter::kvecs_overlap(&apart));
    }

    #[test]
    fn kvec_iter_writes_into_its_buffers() {
        let mut a = [0u8; 3];
        let mut b = [0u8; 5];
        {
            let bufs = [KvecBuf::new(&mut a), KvecBuf::new(&mut b)];
            let mut it = KernelIter::from_kvecs(&bufs, Direction::Dest).unwrap();
            assert_eq!(it.count(), 8);
            assert_eq!(it.copy_to(&[1, 2, 3, 4, 5, 6, 7, 8, 9]), Ok(8));
        }
        assert_eq!(a, [1, 2, 3]);
        assert_eq!(b, [4, 5, 6, 7, 8]);
    }

    #[test]
    fn a_slot_holds_an_iterator_until_taken_back() {
        let mut pb = PageBuf::new(64, 0).unwrap();
        let mut pb2 = PageBuf::new(8, 0).unwrap();
        let slot = KBox::pin_init(IterSlot::new(), GFP_KERNEL).unwrap();
        let it = pb.iter(Direction::Dest).unwrap();
        assert_eq!(slot.count(), 0);
        slot.give(KBox::new(it, GFP_KERNEL).unwrap()).unwrap();
        assert_eq!(slot.count(), 64);
        slot.with(|i| i.unwrap().copy_to(&[9; 10]).unwrap());
        // A second one while one is there is refused.
        let it2 = pb2.iter(Direction::Dest).unwrap();
        assert_eq!(slot.give(KBox::new(it2, GFP_KERNEL).unwrap()), Err(EBUSY));
        let back = slot.take().unwrap();
        assert_eq!(back.consumed(), 10);
        assert_eq!(slot.count(), 0);
        slot.with(|i| assert!(i.is_none()));
    }

    /// The split hook a READ's owner supplies: the payload's range, read
    /// from the reply's own DataOffset and DataLength.
    fn read_split(head: &[u8], frame_len: usize) -> Option<(usize, usize)> {
        read_response_data_span(head, frame_len).ok()
    }

    /// Places every frame into one reply buffer, as the transport's sink
    /// does for a request.
    struct OneReply<'s, 'a> {
        buf: RefCell<ReplyBuf<'a>>,
        slot: &'s IterSlot<'a>,
        split_head: usize,
        refused: Cell<usize>,
        completed: Cell<Option<usize>>,
    }

    impl Sink for OneReply<'_, '_> {
        type Target = ();

        fn max_frame(&self) -> usize {
            1 << 20
        }

        fn place(&self, _hdr: &[u8], frame_len: usize, _may_sleep: bool) -> Placement<()> {
            let mut b = self.buf.borrow_mut();
            let lent = self.slot.count();
            assert!(!b.needs_room(0, frame_len, lent) || lent == 0 || frame_len > b.capacity());
            let head = if lent > 0 { self.split_head } else { 0 };
            b.begin(0, frame_len, head);
            Placement::Target(())
        }

        fn deliver(&self, _t: &mut (), offset: usize, part: &Part<'_>) -> bool {
            let ok = self
                .buf
                .borrow_mut()
                .append(offset, part, self.slot, &read_split);
            if !ok {
                self.refused.set(self.refused.get() + 1);
            }
            ok
        }

        fn complete(&self, _t: (), frame_len: usize) {
            assert!(self.buf.borrow().complete());
            self.completed.set(Some(frame_len));
        }

        fn malformed(&self, why: Malformed) {
            panic!("stream broken: {:?}", why);
        }
    }

    fn framed(pdu: &[u8]) -> KVec<u8> {
        let mut s = KVec::new();
        s.extend_from_slice(&(pdu.len() as u32).to_be_bytes(), GFP_KERNEL)
            .unwrap();
        s.extend_from_slice(pdu, GFP_KERNEL).unwrap();
        s
    }

    /// Receives `pdu` in chunks of `chunk` bytes into a `capacity`-byte
    /// reply buffer with `slot`'s iterator (if any) for a split payload.
    fn receive<'s, 'a>(
        pdu: &[u8],
        chunk: usize,
        capacity: usize,
        slot: &'s IterSlot<'a>,
    ) -> OneReply<'s, 'a> {
        let sink = OneReply {
            buf: RefCell::new(ReplyBuf::new(
                KVVec::with_capacity(capacity, GFP_KERNEL).unwrap(),
            )),
            slot,
            split_head: 80,
            refused: Cell::new(0),
            completed: Cell::new(None),
        };
        let stream = framed(pdu);
        let mut rx: RxEngine<()> = RxEngine::new();
        let mut pos = 0;
        while pos < stream.len() {
            let n = chunk.min(stream.len() - pos);
            assert_eq!(rx.consume(&sink, &Bytes(&stream[pos..pos + n]), false), n);
            pos += n;
        }
        assert!(rx.is_idle());
        sink
    }

    #[test]
    fn read_payload_lands_in_the_bvec_at_every_chunk_size() {
        for chunk in [1usize, 3, 63, 64, 79, 80, 81, 84, 85, 1000, 4096, 9000] {
            let mut pb = PageBuf::new(READ_8K.len() - DATA_OFF, 300).unwrap();
            {
                let slot = KBox::pin_init(IterSlot::new(), GFP_KERNEL).unwrap();
                let it = pb.iter(Direction::Dest).unwrap();
                slot.give(KBox::new(it, GFP_KERNEL).unwrap()).unwrap();
                let sink = receive(READ_8K, chunk, 128, &slot);
                assert_eq!(sink.refused.get(), 0);
                assert_eq!(sink.completed.get(), Some(READ_8K.len()));
                let b = sink.buf.borrow();
                // The buffer holds the frame up to DataOffset, no more.
                assert!(b.data[..] == READ_8K[..DATA_OFF]);
                // The payload's place is known and reads back whole.
                let (off, len, mark) = b.payload().unwrap();
                assert_eq!((*off, *len), (DATA_OFF, 8192));
                let mut again = KVec::from_elem(0u8, 8192, GFP_KERNEL).unwrap();
                assert_eq!(mark.reread(8192).copy_from(&mut again), Ok(8192));
                assert!(again[..] == READ_8K[DATA_OFF..]);
                drop(b);
                assert_eq!(slot.take().unwrap().consumed(), 8192);
            }
            let mut data = KVec::from_elem(0u8, 8192, GFP_KERNEL).unwrap();
            pb.read(0, &mut data).unwrap();
            assert!(data[..] == READ_8K[DATA_OFF..]);
        }
    }

    #[test]
    fn an_error_reply_goes_whole_into_the_buffer() {
        // READ failing with STATUS_ACCESS_DENIED: header + ERROR body.
        let mut pdu = KVec::from_elem(0u8, 64 + 9, GFP_KERNEL).unwrap();
        pdu[..64].copy_from_slice(&READ_8K[..64]);
        pdu[8..12].copy_from_slice(&0xC000_0022u32.to_le_bytes());
        pdu[64] = 9;
        let mut pb = PageBuf::new(8192, 0).unwrap();
        for chunk in [1usize, 5, 100] {
            let slot = KBox::pin_init(IterSlot::new(), GFP_KERNEL).unwrap();
            slot.give(KBox::new(pb.iter(Direction::Dest).unwrap(), GFP_KERNEL).unwrap())
                .unwrap();
            let sink = receive(&pdu, chunk, 128, &slot);
            assert_eq!(sink.refused.get(), 0);
            assert_eq!(sink.buf.borrow().data[..], pdu[..]);
            assert!(sink.buf.borrow().payload().is_none());
            drop(sink);
            assert_eq!(slot.take().unwrap().consumed(), 0);
        }
    }

    #[test]
    fn a_payload_larger_than_the_destination_is_refused() {
        let mut pb = PageBuf::new(4096, 0).unwrap();
        let slot = KBox::pin_init(IterSlot::new(), GFP_KERNEL).unwrap();
        slot.give(KBox::new(pb.iter(Direction::Dest).unwrap(), GFP_KERNEL).unwrap())
            .unwrap();
        let sink = receive(READ_8K, 700, 128, &slot);
        // It is not split (the iterator is too small) and does not fit the
        // buffer: the engine drains it and the request never completes.
        assert_eq!(sink.refused.get(), 1);
        assert_eq!(sink.completed.get(), None);
        drop(sink);
        assert_eq!(slot.take().unwrap().consumed(), 0);
    }

    #[test]
    fn without_a_destination_the_reply_is_buffered_whole() {
        let slot = KBox::pin_init(IterSlot::new(), GFP_KERNEL).unwrap();
        let sink = receive(READ_8K, 333, READ_8K.len(), &slot);
        assert_eq!(sink.refused.get(), 0);
        assert!(sink.buf.borrow().data[..] == READ_8K[..]);
    }
}
