//! CRC-32 (IEEE 802.3, the zlib polynomial), used as the bundle checksum.
//!
//! Hand-written rather than a dependency: it is short, and the widget's size budget counts every
//! crate. Eight bytes at a time ("slicing by 8", Kounavis and Berry, 2008): checking the bundle
//! was most of opening it, and a byte at a time took 25 ms of the 55 ms that a 14 MB bundle
//! (10,000 articles) took to open natively. The eight tables (8 KiB) are computed on first use
//! rather than stored, so the wasm carries only the code that makes them.

use std::sync::OnceLock;

/// The reflected polynomial.
const POLYNOMIAL: u32 = 0xEDB8_8320;

/// `tables[0]` is the classic byte-at-a-time table; `tables[k][b]` is the CRC of byte `b`
/// followed by `k` zero bytes, so eight table look-ups advance the CRC by eight bytes.
fn tables() -> &'static [[u32; 256]; 8] {
    static TABLES: OnceLock<[[u32; 256]; 8]> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut tables = [[0u32; 256]; 8];
        for (byte, entry) in tables[0].iter_mut().enumerate() {
            let mut crc = byte as u32;
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    POLYNOMIAL ^ (crc >> 1)
                } else {
                    crc >> 1
                };
            }
            *entry = crc;
        }
        for k in 1..8 {
            for byte in 0..256 {
                let previous = tables[k - 1][byte];
                tables[k][byte] = (previous >> 8) ^ tables[0][(previous & 0xFF) as usize];
            }
        }
        tables
    })
}

/// The CRC-32 of `bytes`, as zlib's `crc32()` computes it.
pub fn crc32(bytes: &[u8]) -> u32 {
    let [t0, t1, t2, t3, t4, t5, t6, t7] = tables();
    let mut crc = !0u32;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let [b0, b1, b2, b3, b4, b5, b6, b7] = [
            chunk[0], chunk[1], chunk[2], chunk[3], chunk[4], chunk[5], chunk[6], chunk[7],
        ];
        let low = crc ^ u32::from_le_bytes([b0, b1, b2, b3]);
        crc = t7[(low & 0xFF) as usize]
            ^ t6[((low >> 8) & 0xFF) as usize]
            ^ t5[((low >> 16) & 0xFF) as usize]
            ^ t4[(low >> 24) as usize]
            ^ t3[b4 as usize]
            ^ t2[b5 as usize]
            ^ t1[b6 as usize]
            ^ t0[b7 as usize];
    }
    for &byte in chunks.remainder() {
        crc = t0[((crc ^ u32::from(byte)) & 0xFF) as usize] ^ (crc >> 8);
    }
    !crc
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    /// The definition, one bit at a time: what the tables must agree with.
    fn bitwise(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &byte in bytes {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    super::POLYNOMIAL ^ (crc >> 1)
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn matches_the_standard_check_value() {
        // The check value every CRC-32/ISO-HDLC implementation agrees on.
        assert_eq!(super::crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(super::crc32(b""), 0);
    }

    #[test]
    fn every_length_around_the_eight_byte_steps_matches_the_definition() {
        let bytes: Vec<u8> = (0..100u32).map(|n| (n * 37 + 11) as u8).collect();
        for len in 0..bytes.len() {
            assert_eq!(
                super::crc32(&bytes[..len]),
                bitwise(&bytes[..len]),
                "{len} bytes"
            );
        }
    }

    proptest! {
        #[test]
        fn any_bytes_match_the_definition(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            prop_assert_eq!(super::crc32(&bytes), bitwise(&bytes));
        }
    }
}
