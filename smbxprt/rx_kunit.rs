// SPDX-License-Identifier: GPL-2.0
//! KUnit: the receive state machine over every chunk boundary of recorded
//! ksmbd traffic (rust/smbproto/tests/vectors), with frames drained,
//! parked and resumed, and broken streams.
#![forbid(unsafe_code)]

#[kernel::macros::kunit_tests(smbxprt_rx)]
mod tests {
    use crate::rx::{Bytes, Malformed, Part, Placement, RxEngine, Sink};
    use core::cell::{Cell, RefCell};
    use kernel::alloc::{flags::GFP_KERNEL, KVec};

    // Server-to-client PDUs captured from ksmbd with cifs.ko (see
    // rust/smbproto/tests/vectors/README and tools/testing/guest/capture.sh):
    // NEGOTIATE and SESSION_SETUP responses, a CREATE, an 8 KiB READ, and an
    // encrypted (transform) response.
    const PDUS: [&[u8]; 5] = [
        include_bytes!("../rust/smbproto/tests/vectors/smb3.1.1/0001-s2c.bin"),
        include_bytes!("../rust/smbproto/tests/vectors/smb3.1.1/0003-s2c.bin"),
        include_bytes!("../rust/smbproto/tests/vectors/smb3.1.1/0061-s2c.bin"),
        include_bytes!("../rust/smbproto/tests/vectors/smb3.1.1/0053-s2c.bin"),
        include_bytes!("../rust/smbproto/tests/vectors/smb3.1.1-seal/0021-s2c.bin"),
    ];

    /// Records what the engine delivers.
    #[derive(Default)]
    struct Recorder {
        frames: RefCell<KVec<KVec<u8>>>,
        drain_index: Cell<Option<usize>>,
        park_index: Cell<Option<usize>>,
        seen: Cell<usize>,
        parked: Cell<usize>,
        resumed: Cell<usize>,
        broken: Cell<Option<Malformed>>,
        max: Cell<usize>,
    }

    impl Sink for Recorder {
        type Target = KVec<u8>;

        fn max_frame(&self) -> usize {
            match self.max.get() {
                0 => 1 << 20,
                m => m,
            }
        }

        fn place(&self, hdr: &[u8], frame_len: usize, may_sleep: bool) -> Placement<KVec<u8>> {
            let i = self.seen.get();
            if self.park_index.get() == Some(i) && !may_sleep {
                return Placement::Park;
            }
            self.seen.set(i + 1);
            assert!(hdr.len() == 64 || hdr.len() == 52);
            if self.drain_index.get() == Some(i) {
                return Placement::Drain;
            }
            Placement::Target(KVec::with_capacity(frame_len, GFP_KERNEL).unwrap())
        }

        fn deliver(&self, target: &mut KVec<u8>, offset: usize, part: &Part<'_>) -> bool {
            assert_eq!(offset, target.len());
            let start = target.len();
            target.extend_with(part.len(), 0, GFP_KERNEL).unwrap();
            assert!(part.copy_to(&mut target[start..]));
            true
        }

        fn complete(&self, target: KVec<u8>, frame_len: usize) {
            assert_eq!(target.len(), frame_len);
            self.frames.borrow_mut().push(target, GFP_KERNEL).unwrap();
        }

        fn malformed(&self, why: Malformed) {
            self.broken.set(Some(why));
        }

        fn parked(&self) {
            self.parked.set(self.parked.get() + 1);
        }

        fn resumed(&self) {
            self.resumed.set(self.resumed.get() + 1);
        }
    }

    /// All PDUS as one direct-TCP stream.
    fn stream() -> KVec<u8> {
        let mut s = KVec::new();
        for p in PDUS {
            s.extend_from_slice(&(p.len() as u32).to_be_bytes(), GFP_KERNEL)
                .unwrap();
            s.extend_from_slice(p, GFP_KERNEL).unwrap();
        }
        s
    }

    /// Feeds `data` in chunks whose sizes `next_len` picks, until consumed.
    fn feed(
        rx: &mut RxEngine<KVec<u8>>,
        sink: &Recorder,
        data: &[u8],
        mut next_len: impl FnMut(usize) -> usize,
    ) {
        let mut pos = 0;
        let mut i = 0;
        while pos < data.len() {
            let len = next_len(i).max(1).min(data.len() - pos);
            let used = rx.consume(sink, &Bytes(&data[pos..pos + len]), false);
            assert_eq!(used, len, "nothing parks or breaks here");
            pos += len;
            i += 1;
        }
    }

    fn assert_all_frames(sink: &Recorder, skip: Option<usize>) {
        let frames = sink.frames.borrow();
        let want = PDUS.iter().enumerate().filter(|(i, _)| Some(*i) != skip);
        assert_eq!(frames.len(), want.clone().count());
        for (got, (_, pdu)) in frames.iter().zip(want) {
            assert_eq!(&got[..], *pdu);
        }
    }

    #[test]
    fn whole_stream_in_one_chunk() {
        let s = stream();
        let sink = Recorder::default();
        let mut rx = RxEngine::new();
        assert_eq!(rx.consume(&sink, &Bytes(&s[..]), false), s.len());
        assert_all_frames(&sink, None);
        assert!(rx.is_idle());
        assert_eq!(sink.resumed.get(), 0);
    }

    #[test]
    fn one_byte_at_a_time() {
        let s = stream();
        let sink = Recorder::default();
        let mut rx = RxEngine::new();
        feed(&mut rx, &sink, &s, |_| 1);
        assert_all_frames(&sink, None);
        // Every byte after the first of each frame resumes a frame.
        assert_eq!(sink.resumed.get(), s.len() - PDUS.len());
    }

    #[test]
    fn every_split_point() {
        // Two chunks, split at every offset where the engine's state
        // changes or could: everywhere in a frame's length, header and first
        // bytes of body, everywhere in its last bytes, and exactly between
        // frames. Deep inside a long body every split behaves alike, so
        // there one offset in 61 is enough (a full sweep there costs half a
        // minute of allocation under KASAN and kmemleak for no coverage).
        let s = stream();
        let mut starts = KVec::new();
        let mut at = 0usize;
        for p in PDUS {
            starts.push(at, GFP_KERNEL).unwrap();
            at += 4 + p.len();
        }
        let near_edge = |off: usize| {
            starts.iter().zip(PDUS.iter()).any(|(st, p)| {
                let end = st + 4 + p.len();
                (off >= *st && off < st + 4 + 64 + 64) || (off + 16 >= end && off <= end)
            })
        };
        let mut tried = 0;
        for split in 1..s.len() {
            if !near_edge(split) && split % 61 != 0 {
                continue;
            }
            tried += 1;
            let sink = Recorder::default();
            let mut rx = RxEngine::new();
            feed(&mut rx, &sink, &s, |i| if i == 0 { split } else { s.len() });
            assert_all_frames(&sink, None);
            assert!(rx.is_idle());
        }
        assert!(tried > 5 * 140);
    }

    #[test]
    fn uneven_chunks() {
        // Deterministic pseudo-random chunk sizes from 1 to 1500 bytes.
        let s = stream();
        for seed in 1u32..50 {
            let mut x = seed;
            let sink = Recorder::default();
            let mut rx = RxEngine::new();
            feed(&mut rx, &sink, &s, |_| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                ((x >> 8) % 1500) as usize + 1
            });
            assert_all_frames(&sink, None);
        }
    }

    #[test]
    fn drained_frame_is_skipped() {
        let s = stream();
        for drop in 0..PDUS.len() {
            let sink = Recorder::default();
            sink.drain_index.set(Some(drop));
            let mut rx = RxEngine::new();
            feed(&mut rx, &sink, &s, |i| 7 + i % 13);
            assert_all_frames(&sink, Some(drop));
        }
    }

    #[test]
    fn parked_frame_resumes_in_process_context() {
        let s = stream();
        for park in 0..PDUS.len() {
            let sink = Recorder::default();
            sink.park_index.set(Some(park));
            let mut rx = RxEngine::new();
            // Softirq: stops right after the parked frame's header.
            let used = rx.consume(&sink, &Bytes(&s[..]), false);
            assert!(rx.is_parked());
            assert_eq!(sink.parked.get(), 1);
            let hdr_end: usize = PDUS[..park].iter().map(|p| 4 + p.len()).sum::<usize>() + 4 + 52;
            assert!(used == hdr_end || used == hdr_end + 12);
            assert_eq!(rx.consume(&sink, &Bytes(&s[used..]), false), 0);
            // Process context takes over and reads the rest.
            rx.unpark(&sink);
            assert!(!rx.is_parked());
            assert_eq!(rx.consume(&sink, &Bytes(&s[used..]), true), s.len() - used);
            assert_all_frames(&sink, None);
        }
    }

    #[test]
    fn broken_streams_stop() {
        let cases: [(&[u8], Malformed, usize); 4] = [
            // A NetBIOS keepalive-type first byte.
            (&[0x85, 0, 0, 64], Malformed::BadLength, 0),
            // Longer than the connection allows (max set to 1000 below).
            (&[0, 0, 0x10, 0], Malformed::TooLong, 0),
            // An SMB2 header in a 60-byte frame.
            (
                &[0, 0, 0, 60, 0xfe, b'S', b'M', b'B'],
                Malformed::TooShort,
                0,
            ),
            // Neither SMB2 nor transform.
            (
                &[0, 0, 0, 64, 0xff, b'S', b'M', b'B'],
                Malformed::BadProtocol,
                0,
            ),
        ];
        for (bytes, why, _) in cases {
            let mut data = KVec::new();
            data.extend_from_slice(bytes, GFP_KERNEL).unwrap();
            // Pad so the header phase has its bytes.
            data.extend_with(64, 0, GFP_KERNEL).unwrap();
            let sink = Recorder::default();
            sink.max.set(1000);
            let mut rx = RxEngine::new();
            let used = rx.consume(&sink, &Bytes(&data[..]), false);
            assert_eq!(sink.broken.get(), Some(why));
            assert!(rx.is_broken());
            assert!(used < data.len());
            assert_eq!(rx.consume(&sink, &Bytes(&data[used..]), false), 0);
            assert_eq!(sink.frames.borrow().len(), 0);
        }
    }
}
