//! LEB128 variable-length unsigned integers for the postings lists.

/// Appends `value` as LEB128: seven bits a byte, low bits first, high bit set on all but the last.
pub fn write(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Reads one LEB128 value at `*pos`, advancing it. `None` on truncated or over-long input, so a
/// corrupt bundle never panics or loops.
pub fn read(bytes: &[u8], pos: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *bytes.get(*pos)?;
        *pos += 1;
        value |= u64::from(byte & 0x7F) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_trips_edges_and_rejects_truncation() {
        for value in [0, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX] {
            let mut buf = Vec::new();
            super::write(&mut buf, value);
            let mut pos = 0;
            assert_eq!(super::read(&buf, &mut pos), Some(value));
            assert_eq!(pos, buf.len());
            let mut pos = 0;
            assert_eq!(super::read(&buf[..buf.len() - 1], &mut pos), None);
        }
    }
}
