// SPDX-License-Identifier: GPL-2.0
//! KUnit: kernel-backed iterators (rust/kext/iter.rs) and receiving a READ
//! response's payload straight into a caller's bvec iterator, over every
//! chunk boundary, through the same receive engine and request object the
//! transport uses.
#![forbid(unsafe_code)]

#[kernel::macros::kunit_tests(smbxprt_iter)]
mod tests {
    use crate::kext::iter::{Direction, IterSlot, KernelIter, KvecBuf, PageBuf};
    use crate::mid::Rqst;
    use crate::proto::credits::Charge;
    use crate::rx::{Bytes, Malformed, Part, Placement, RxEngine, Sink};
    use core::cell::Cell;
    use kernel::alloc::{flags::GFP_KERNEL, KBox, KVec};
    use kernel::error::code::*;
    use kernel::page::PAGE_SIZE;
    use kernel::prelude::*;
    use kernel::sync::Arc;

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
            let mut d = it.duplicate();
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
    fn a_slot_lends_only_for_the_scope() {
        let slot = KBox::pin_init(IterSlot::new(), GFP_KERNEL).unwrap();
        let mut pb = PageBuf::new(64, 0).unwrap();
        let mut it = pb.iter(Direction::Dest).unwrap();
        assert_eq!(slot.count(), 0);
        let r = slot.lend(&mut it, || {
            assert_eq!(slot.count(), 64);
            slot.with(|i| i.unwrap().copy_to(&[9; 10]).unwrap());
            // A second loan while one is out is refused.
            let mut pb2 = PageBuf::new(8, 0).unwrap();
            let mut it2 = pb2.iter(Direction::Dest).unwrap();
            assert_eq!(slot.lend(&mut it2, || ()), Err(EBUSY));
            7
        });
        assert_eq!(r, Ok(7));
        assert_eq!(slot.count(), 0);
        slot.with(|i| assert!(i.is_none()));
        assert_eq!(it.consumed(), 10);
    }

    /// Places every frame into one request, as the transport's sink does.
    struct OneRqst {
        rqst: Arc<Rqst>,
        refused: Cell<usize>,
        completed: Cell<Option<usize>>,
    }

    impl Sink for OneRqst {
        type Target = Arc<Rqst>;

        fn max_frame(&self) -> usize {
            1 << 20
        }

        fn place(&self, _hdr: &[u8], frame_len: usize, _may_sleep: bool) -> Placement<Arc<Rqst>> {
            assert!(self.rqst.begin(frame_len));
            Placement::Target(self.rqst.clone())
        }

        fn deliver(&self, target: &mut Arc<Rqst>, offset: usize, part: &Part<'_>) -> bool {
            let ok = target.append(offset, part);
            if !ok {
                self.refused.set(self.refused.get() + 1);
            }
            ok
        }

        fn complete(&self, target: Arc<Rqst>, frame_len: usize) {
            target.complete(frame_len);
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

    fn rqst(capacity: usize) -> Arc<Rqst> {
        let charge = Charge {
            first_message_id: 30,
            count: 1,
            generation: 1,
        };
        Rqst::new(charge, 1, capacity).unwrap()
    }

    /// Receives `pdu` in chunks of `chunk` bytes into a request with a
    /// `capacity`-byte buffer and, if `dest` is given, that iterator lent.
    fn receive(
        pdu: &[u8],
        chunk: usize,
        capacity: usize,
        dest: Option<&mut KernelIter<'_>>,
    ) -> OneRqst {
        let sink = OneRqst {
            rqst: rqst(capacity),
            refused: Cell::new(0),
            completed: Cell::new(None),
        };
        let stream = framed(pdu);
        let run = || {
            let mut rx: RxEngine<Arc<Rqst>> = RxEngine::new();
            let mut pos = 0;
            while pos < stream.len() {
                let n = chunk.min(stream.len() - pos);
                assert_eq!(rx.consume(&sink, &Bytes(&stream[pos..pos + n]), false), n);
                pos += n;
            }
            assert!(rx.is_idle());
        };
        match dest {
            Some(it) => sink.rqst.data.lend(it, run).unwrap(),
            None => run(),
        }
        sink
    }

    #[test]
    fn read_payload_lands_in_the_bvec_at_every_chunk_size() {
        for chunk in [1usize, 3, 63, 64, 79, 80, 81, 84, 85, 1000, 4096, 9000] {
            let mut pb = PageBuf::new(READ_8K.len() - DATA_OFF, 300).unwrap();
            let got = {
                let mut it = pb.iter(Direction::Dest).unwrap();
                let sink = receive(READ_8K, chunk, 128, Some(&mut it));
                assert_eq!(sink.refused.get(), 0);
                assert_eq!(sink.completed.get(), Some(READ_8K.len()));
                assert_eq!(it.consumed(), 8192);
                sink.rqst.take_reply().unwrap()
            };
            // The buffer holds the frame up to DataOffset, no more.
            assert!(got[..] == READ_8K[..DATA_OFF]);
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
        let mut it = pb.iter(Direction::Dest).unwrap();
        for chunk in [1usize, 5, 100] {
            let sink = receive(&pdu, chunk, 128, Some(&mut it));
            assert_eq!(sink.refused.get(), 0);
            assert_eq!(sink.rqst.take_reply().unwrap()[..], pdu[..]);
            assert_eq!(it.consumed(), 0);
        }
    }

    #[test]
    fn a_payload_larger_than_the_destination_is_refused() {
        let mut pb = PageBuf::new(4096, 0).unwrap();
        let mut it = pb.iter(Direction::Dest).unwrap();
        let sink = receive(READ_8K, 700, 128, Some(&mut it));
        // It is not split (the iterator is too small) and does not fit the
        // buffer: the engine drains it and the request never completes.
        assert_eq!(sink.refused.get(), 1);
        assert_eq!(sink.completed.get(), None);
        assert_eq!(it.consumed(), 0);
    }

    #[test]
    fn without_a_destination_the_reply_is_buffered_whole() {
        let sink = receive(READ_8K, 333, READ_8K.len(), None);
        assert_eq!(sink.refused.get(), 0);
        assert!(sink.rqst.take_reply().unwrap()[..] == READ_8K[..]);
    }
}
