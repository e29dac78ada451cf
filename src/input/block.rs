//! A chunk's buffer, filled straight from the source in large reads.
//!
//! The bytes are read into the buffer the chunk is sent in: a `BufReader` hands a read of
//! at least its capacity straight to its source when its own buffer is empty, so a byte
//! is copied once, by the kernel (or the decompressor). The buffers come back from the
//! workers ([`Spares`]): their pages are already faulted in, where a new allocation this
//! size is a fresh mmap that the kernel faults in and zeroes again.

use super::{Chunk, Sink, CHUNK_BYTES};
use std::io::{self, Read};

/// How chunks are cut: a parameter so that tests and the fuzzer can cut at every byte.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Sizes {
    /// A chunk ends with the first record that reaches this size.
    pub chunk: usize,
    /// A frame goes to the next chunk when it would end more than this past `chunk`.
    pub frame_slack: usize,
}

impl Sizes {
    pub(crate) const FILES: Sizes = Sizes { chunk: CHUNK_BYTES, frame_slack: 4096 };

    /// A block's capacity: a chunk and the end of its last record (1 MiB for a line), so
    /// that it need not grow: growing copies it.
    fn block(&self) -> usize {
        self.chunk + self.chunk / 4
    }
}

/// What a new buffer is zeroed by at first, doubling from there: a small file costs no
/// more than its size, however large the block could grow.
const FIRST_ZEROED: usize = 64 << 10;

/// A buffer being filled: the bytes read are `buf[..filled]`; the rest of `buf` up to its
/// length is initialised (zeroed, or left by an earlier chunk) and is read over.
pub(super) struct Block {
    buf: Vec<u8>,
    filled: usize,
    sizes: Sizes,
    /// Where the bytes after a chunk wait while it is sent.
    tail: Vec<u8>,
}

impl Block {
    /// A block that starts with `start`.
    pub(super) fn new(spare: Option<Vec<u8>>, start: &[u8], sizes: Sizes) -> Block {
        let mut block = Block { buf: Vec::new(), filled: 0, sizes, tail: Vec::new() };
        block.start(spare, start);
        block
    }

    /// Starts over in `spare` if that is big enough, else in a new buffer, with `start`.
    fn start(&mut self, spare: Option<Vec<u8>>, start: &[u8]) {
        let capacity = self.sizes.block().max(start.len());
        self.buf = spare.filter(|b| b.capacity() >= capacity).unwrap_or_else(|| Vec::with_capacity(capacity));
        self.filled = 0;
        self.append(start);
    }

    pub(super) fn data(&self) -> &[u8] {
        &self.buf[..self.filled]
    }

    fn append(&mut self, bytes: &[u8]) {
        let end = self.filled + bytes.len();
        if self.buf.len() < end {
            self.buf.resize(end, 0);
        }
        self.buf[self.filled..end].copy_from_slice(bytes);
        self.filled = end;
    }

    /// Reads once, at most up to `end` bytes in the block. Returns what the read gave: 0 at
    /// the end of the stream.
    pub(super) fn fill(&mut self, reader: &mut dyn Read, end: usize) -> io::Result<usize> {
        // Zero no further ahead than what was read so far: a length prefix that lies, or a
        // small file, costs no more than what is there.
        let end = end.min((2 * self.buf.len()).max(self.filled + FIRST_ZEROED));
        if self.buf.len() < end {
            self.buf.resize(end, 0);
        }
        loop {
            match reader.read(&mut self.buf[self.filled..end]) {
                Ok(n) => {
                    self.filled += n;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Sends the first `at` bytes as the chunk `chunk` makes of them, and goes on with the
    /// rest in a spare buffer, taken once the chunk is sent: a reader waiting for room in
    /// the queue holds no second buffer.
    pub(super) fn send(&mut self, at: usize, sink: &mut dyn Sink, chunk: impl FnOnce(Vec<u8>) -> Chunk) {
        let mut tail = std::mem::take(&mut self.tail);
        tail.clear();
        tail.extend_from_slice(&self.buf[at..self.filled]);
        let mut data = std::mem::take(&mut self.buf);
        data.truncate(at);
        sink.chunk(chunk(data));
        self.start(sink.spare(), &tail);
        self.tail = tail;
    }

    /// Everything read, as a chunk's data.
    pub(super) fn into_data(self) -> Vec<u8> {
        let mut data = self.buf;
        data.truncate(self.filled);
        data
    }
}

/// Chunk buffers the workers are done with, for the readers to fill again. A buffer
/// comes back only when a reader sent it, and a reader takes one before allocating, so
/// no more buffers exist at once than chunks did before; one grown for an outsized record
/// is not kept.
#[derive(Clone)]
pub struct Spares {
    tx: crossbeam_channel::Sender<Vec<u8>>,
    rx: crossbeam_channel::Receiver<Vec<u8>>,
}

impl Spares {
    /// A pool of at most `depth` buffers.
    pub fn new(depth: usize) -> Spares {
        let (tx, rx) = crossbeam_channel::bounded(depth);
        Spares { tx, rx }
    }

    /// Keeps a chunk's buffer for another chunk, if it is a block's size and there is room.
    pub fn give(&self, data: Vec<u8>) {
        let block = Sizes::FILES.block();
        if (block..=2 * block).contains(&data.capacity()) {
            let _ = self.tx.try_send(data);
        }
    }

    /// A buffer to fill, if one came back.
    pub fn take(&self) -> Option<Vec<u8>> {
        self.rx.try_recv().ok()
    }
}
