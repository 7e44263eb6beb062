//! The pieces of postcard's format that the hand-written readers and writers share: a
//! cursor that reads varints in their shortest form only, and the writers of varints
//! and names.
//!
//! postcard frames everything the wire carries with LEB128 varints (lengths, counts,
//! enum variants, integers), names and strings as a length and their bytes, and
//! everything else as itself. It writes each varint in its shortest form and reads longer
//! forms too; the readers here accept only the shortest, and leave any datagram they
//! refuse to the serde decoder, which reads it or says what is wrong with it.

/// A cursor over the bytes of a datagram.
pub(super) struct Reader<'a> {
    pub(super) bytes: &'a [u8],
    pub(super) pos: usize,
}

impl<'a> Reader<'a> {
    pub(super) fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, pos: 0 }
    }

    #[inline]
    pub(super) fn byte(&mut self) -> Option<u8> {
        let byte = *self.bytes.get(self.pos)?;
        self.pos += 1;
        Some(byte)
    }

    #[inline]
    pub(super) fn take(&mut self, len: usize) -> Option<&'a [u8]> {
        let taken = self.bytes.get(self.pos..self.pos.checked_add(len)?)?;
        self.pos += len;
        Some(taken)
    }

    /// The bytes not read yet.
    #[inline]
    pub(super) fn rest(&self) -> &'a [u8] {
        &self.bytes[self.pos..]
    }

    /// Whether every byte has been read.
    #[inline]
    pub(super) fn at_end(&self) -> bool {
        self.pos == self.bytes.len()
    }

    /// A canonical LEB128 varint of at most 32 bits (the shortest encoding, as postcard
    /// writes it). Always inlined: nearly every varint is one byte, and a call costs
    /// more than reading it (docs/PERFORMANCE.md).
    #[inline(always)]
    pub(super) fn varint_u32(&mut self) -> Option<u32> {
        let first = self.byte()?;
        if first < 0x80 {
            return Some(u32::from(first));
        }
        let mut value = u64::from(first & 0x7f);
        for i in 1..5 {
            let byte = self.byte()?;
            value |= u64::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                // A last byte of zero would be a longer encoding than needed.
                return u32::try_from(value).ok().filter(|_| byte != 0);
            }
        }
        None
    }

    /// A name's bytes: its length, then the bytes themselves, unchecked.
    #[inline]
    pub(super) fn name_bytes(&mut self) -> Option<&'a [u8]> {
        let len = self.varint_u32()? as usize;
        self.take(len)
    }
}

/// Writes `value` as postcard does: seven bits a byte, lowest first, shortest form.
#[inline]
pub(super) fn write_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push(value as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Writes a name as postcard writes bytes: its length, then the bytes.
#[inline]
pub(super) fn write_name(out: &mut Vec<u8>, name: &[u8]) {
    write_varint(out, name.len() as u64);
    out.extend_from_slice(name);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_canonical_varints_are_read() {
        let read = |bytes: &[u8]| Reader::new(bytes).varint_u32();
        assert_eq!(read(&[0]), Some(0));
        assert_eq!(read(&[0x7f]), Some(127));
        assert_eq!(read(&[0x80, 0x01]), Some(128));
        assert_eq!(read(&[0xff, 0xff, 0xff, 0xff, 0x0f]), Some(u32::MAX));
        assert_eq!(read(&[0x80, 0x00]), None, "zero in two bytes");
        assert_eq!(
            read(&[0xff, 0xff, 0xff, 0xff, 0x10]),
            None,
            "beyond 32 bits"
        );
        assert_eq!(read(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), None);
        assert_eq!(read(&[0x80]), None, "cut short");
    }

    #[test]
    fn varints_are_written_as_postcard_writes_them() {
        for value in [
            0,
            1,
            127,
            128,
            300,
            16_383,
            16_384,
            u64::from(u32::MAX),
            u64::MAX,
        ] {
            let mut out = Vec::new();
            write_varint(&mut out, value);
            assert_eq!(out, postcard::to_allocvec(&value).unwrap(), "{value}");
        }
    }
}
