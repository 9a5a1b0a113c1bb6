//! [`Bytes`]: a stored key or value as scans hand it out, without copying it out of the engine.
//!
//! fjall returns keys and values as reference-counted views into its (cached) blocks; short ones are held
//! inline. A scan of a million rows that copied each key and value into a fresh `Vec<u8>` spent a fifth of
//! its time in the allocator, so scans return these views instead, and the layers above cut them further
//! (the version suffix off a key, the version tag off a value) by moving the window, not by copying.

use std::fmt;
use std::ops::{Bound, Deref, RangeBounds};

/// An immutable byte string: a window `[start, end)` into a shared buffer. Cloning and slicing never copy.
#[derive(Clone, Default)]
pub struct Bytes {
    data: fjall::Slice,
    start: usize,
    end: usize,
}

impl Bytes {
    /// The bytes in `range` of this window (indices relative to it), sharing the buffer.
    pub fn slice(&self, range: impl RangeBounds<usize>) -> Bytes {
        let (start, end) = self.slice_bounds(range);
        Bytes { data: self.data.clone(), start: self.start + start, end: self.start + end }
    }

    /// This window narrowed to `range` (indices relative to it): [`slice`](Self::slice) for a window no
    /// longer needed whole, which moves the buffer's reference instead of taking another (a scan narrows
    /// two views per row).
    pub fn narrow(mut self, range: impl RangeBounds<usize>) -> Bytes {
        let (start, end) = self.slice_bounds(range);
        self.end = self.start + end;
        self.start += start;
        self
    }

    fn slice_bounds(&self, range: impl RangeBounds<usize>) -> (usize, usize) {
        let start = match range.start_bound() {
            Bound::Included(&i) => i,
            Bound::Excluded(&i) => i + 1,
            Bound::Unbounded => 0,
        };
        let end = match range.end_bound() {
            Bound::Included(&i) => i + 1,
            Bound::Excluded(&i) => i,
            Bound::Unbounded => self.len(),
        };
        assert!(start <= end && end <= self.len(), "slice {start}..{end} of {} bytes", self.len());
        (start, end)
    }
}

impl Deref for Bytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.data[self.start..self.end]
    }
}

impl AsRef<[u8]> for Bytes {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl From<fjall::Slice> for Bytes {
    fn from(data: fjall::Slice) -> Self {
        let end = data.len();
        Bytes { data, start: 0, end }
    }
}

impl From<Vec<u8>> for Bytes {
    fn from(bytes: Vec<u8>) -> Self {
        fjall::Slice::from(bytes).into()
    }
}

impl From<&[u8]> for Bytes {
    fn from(bytes: &[u8]) -> Self {
        fjall::Slice::from(bytes).into()
    }
}

impl From<Bytes> for Vec<u8> {
    fn from(bytes: Bytes) -> Self {
        bytes.to_vec()
    }
}

impl PartialEq for Bytes {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl Eq for Bytes {}

impl PartialEq<[u8]> for Bytes {
    fn eq(&self, other: &[u8]) -> bool {
        **self == *other
    }
}

impl PartialEq<Vec<u8>> for Bytes {
    fn eq(&self, other: &Vec<u8>) -> bool {
        **self == **other
    }
}

impl fmt::Debug for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_share_and_nest() {
        let bytes = Bytes::from(b"hello, world, and more than twenty bytes".to_vec());
        let world = bytes.slice(7..12);
        assert_eq!(&*world, b"world");
        assert_eq!(&*world.slice(1..=2), b"or");
        assert_eq!(&*bytes.slice(..5), b"hello");
        assert_eq!(&*bytes.slice(35..), b"bytes");
        assert_eq!(world, b"world".to_vec());
        assert_eq!(&*world.narrow(1..).narrow(..2), b"or");
        assert_eq!(&*bytes.narrow(35..), b"bytes");
    }

    #[test]
    #[should_panic(expected = "slice 3..9 of 5 bytes")]
    fn slicing_past_the_end_panics() {
        Bytes::from(b"world".to_vec()).slice(3..9);
    }
}
