//! Ticket references such as `KF-7Q3M2K`: short, random, and easy to read aloud or retype.

/// Every reference starts with this, so support staff recognise one in an email at a glance.
pub const REFERENCE_PREFIX: &str = "KF-";

/// The characters a reference code is drawn from: digits and capitals without `0`, `O`, `1`, `I`
/// and `L`, which people confuse when reading a reference back over the phone.
pub const REFERENCE_ALPHABET: &[u8; 31] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/// How many characters follow [`REFERENCE_PREFIX`]; 31^6 is about 887 million codes, so a random
/// collision is rare and is handled by retrying.
pub const REFERENCE_CODE_LEN: usize = 6;

/// The largest multiple of the alphabet size that fits in a byte; random bytes at or above it are
/// discarded so that every character is equally likely.
const ACCEPT_BELOW: u8 = (256 / REFERENCE_ALPHABET.len() * REFERENCE_ALPHABET.len()) as u8;

/// Draws a new random reference from the operating system's random source.
pub fn generate() -> Result<String, getrandom::Error> {
    let mut reference = String::with_capacity(REFERENCE_PREFIX.len() + REFERENCE_CODE_LEN);
    reference.push_str(REFERENCE_PREFIX);
    let mut code_len = 0;
    let mut buf = [0u8; 16];
    while code_len < REFERENCE_CODE_LEN {
        getrandom::fill(&mut buf)?;
        for byte in buf {
            if code_len == REFERENCE_CODE_LEN {
                break;
            }
            if byte < ACCEPT_BELOW {
                let index = usize::from(byte) % REFERENCE_ALPHABET.len();
                reference.push(char::from(REFERENCE_ALPHABET[index]));
                code_len += 1;
            }
        }
    }
    Ok(reference)
}

/// Whether `value` has the shape of a reference this server issues.
#[must_use]
pub fn is_reference(value: &str) -> bool {
    value.strip_prefix(REFERENCE_PREFIX).is_some_and(|code| {
        code.len() == REFERENCE_CODE_LEN && code.bytes().all(|b| REFERENCE_ALPHABET.contains(&b))
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::collections::HashSet;

    use super::*;

    #[test]
    fn alphabet_has_no_ambiguous_characters() {
        for ambiguous in [b'0', b'O', b'1', b'I', b'L'] {
            assert!(!REFERENCE_ALPHABET.contains(&ambiguous));
        }
        let unique: HashSet<u8> = REFERENCE_ALPHABET.iter().copied().collect();
        assert_eq!(unique.len(), REFERENCE_ALPHABET.len());
        assert_eq!(ACCEPT_BELOW, 248);
    }

    #[test]
    fn generated_references_are_well_formed_and_vary() {
        let refs: HashSet<String> = (0..200).map(|_| generate().unwrap()).collect();
        assert!(refs.iter().all(|r| is_reference(r)), "{refs:?}");
        // 200 draws from ~887 million codes colliding would point at a broken random source.
        assert_eq!(refs.len(), 200);
    }

    #[test]
    fn is_reference_rejects_other_shapes() {
        assert!(is_reference("KF-7Q3M2K"));
        for bad in [
            "KF-7Q3M2",
            "KF-7Q3M2KK",
            "kf-7Q3M2K",
            "KF-7Q3M2O",
            "XX-7Q3M2K",
            "",
        ] {
            assert!(!is_reference(bad), "{bad}");
        }
    }
}
