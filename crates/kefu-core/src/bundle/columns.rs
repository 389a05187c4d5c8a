//! Two columns of the directory coded for gzip: the titles and the ids.
//!
//! **Titles**, coded by their characters' frequency ranks. gzip codes bytes, and a CJK character
//! is three of them in UTF-8: the first two are shared by thousands of characters, so its Huffman
//! codes spend bits on bytes that say little, and the same character costs three literals
//! wherever no earlier match covers it. Here each character is written as its rank among the
//! column's characters, most frequent first: one byte for the 239 most frequent, two for the next
//! 3,840, a marker and a varint beyond. A zero byte ends each title, which costs gzip less than a
//! length before it. The characters themselves are written once, in rank order, as the column's
//! alphabet. afqmc-dev's 4,500 titles (61,000 characters, 921 distinct), gzip -9 of the column
//! alone: 55,374 bytes as UTF-8 strings, 41,757 coded (39,703 for the codes, 2,054 for the
//! alphabet); the 10,000-article KB's 115,296 → 95,635.
//!
//! **Ids**, sorted and front-coded, with each document's place in that sorted list. Documents are
//! numbered by the terms they share (`order`), so their ids come in no order, and ids that differ
//! only in a counter (`afqmc-dev-0079`) are what gzip cannot shorten: it finds no match for the
//! digits that change. Sorted, each id is the bytes it shares with the one before plus the rest,
//! which is mostly one or two bytes; the places are each a step from the previous document's,
//! zigzag varints (documents kept in input order inside the ordering's leaves make those steps
//! small). afqmc-dev, gzip -9: 11,568 bytes as strings, 7,723 coded (227 for the sorted ids,
//! 7,496 for the places); the 10,000-article KB 24,106 → 17,191. Slug ids (`refund-policy`) share
//! less, and gzip finds them again where articles link to each other.
//!
//! Each column is written plain instead when its coding would not pay: titles when the codes take
//! fewer than [`CODED_MARGIN`] times the alphabet's bytes off their UTF-8 (English titles, one
//! byte a character either way; a few titles), ids that are names rather than counters (more
//! than [`SORTED_IDS_REST`] bytes of each left after what it shares).
//!
//! **Invariant:** deterministic: ranks are ordered by count, then by character; ids by their
//! bytes, then by document number.

use serde::{Deserialize, Serialize};

use crate::varint;

/// Codes below this are one byte: 0 ends a title, `code` is the character of rank `code - 1`.
const ONE_BYTE: u32 = 240;

/// First bytes from [`ONE_BYTE`] up to this one start a two-byte code; this byte starts a long
/// one (a varint follows).
const LONG: u8 = 255;

/// How many codes the two-byte form holds.
const TWO_BYTE_CODES: u32 = (LONG as u32 - ONE_BYTE) * 256;

/// A text is coded by frequency (its titles here, the store's texts in `store`) when that takes
/// at least this many times the alphabet's bytes off its UTF-8. gzip keeps about half of what the
/// coding takes off (the demo KB's articles: 31 % fewer bytes, 15 % less gzip) and little of the
/// alphabet's size, so below that the alphabet costs more than the coding saves.
pub(super) const CODED_MARGIN: u64 = 3;

/// Ids are sorted and front-coded when what is left of each after the bytes it shares with the
/// one before is at most this long on average (afqmc-dev and the 10,000-article KB 1.1, the demo
/// KB 4.0, banking77-dev 16).
const SORTED_IDS_REST: usize = 2;

/// An id column decodes to at most this many bytes per byte of it, so a corrupt bundle cannot
/// make the reader allocate much more than its own size (real ids decode to a few times theirs).
const IDS_MAX_EXPANSION: usize = 256;

/// The titles of a bundle's documents, in document order.
#[derive(Serialize, Deserialize)]
pub(super) enum Titles {
    /// As strings, where an alphabet would not pay (English titles, or few of them).
    Plain(Vec<String>),
    /// Coded (see the module).
    Coded {
        /// Every character of the titles once, most frequent first.
        alphabet: String,
        /// Each title's characters as codes, each title ended by a zero byte.
        codes: Vec<u8>,
    },
}

impl Default for Titles {
    fn default() -> Titles {
        Titles::Plain(Vec::new())
    }
}

impl Titles {
    /// The column for `titles`, given in document order.
    pub fn encode(titles: &[&str]) -> Titles {
        let mut counts = CharCounts::new();
        for title in titles {
            count_chars(&mut counts, title);
        }
        let ranked = by_frequency(counts);
        if coding_pays(&ranked, |rank| code_len(rank as u64 + 1)) {
            let (alphabet, codes) = code_titles(titles, &ranked);
            Titles::Coded { alphabet, codes }
        } else {
            Titles::Plain(titles.iter().map(|title| (*title).to_owned()).collect())
        }
    }

    /// The titles again; `None` when a code names no character of the alphabet or the codes end
    /// inside a title.
    pub fn decode(self) -> Option<Vec<String>> {
        match self {
            Titles::Plain(titles) => Some(titles),
            Titles::Coded { alphabet, codes } => decode_titles(&alphabet, &codes),
        }
    }
}

/// The ids of a bundle's documents, in document order.
#[derive(Serialize, Deserialize)]
pub(super) enum Ids {
    /// As strings: names, which gzip finds again where articles link to each other.
    Plain(Vec<String>),
    /// Sorted and front-coded (see the module).
    Sorted {
        /// The ids sorted, each as two varints, the bytes it shares with the id before it and
        /// the length of the rest, then the rest.
        sorted: Vec<u8>,
        /// For each document in turn, the place of its id in `sorted` as a zigzag varint step
        /// from the previous document's place (the first from 0).
        places: Vec<u8>,
    },
}

impl Default for Ids {
    fn default() -> Ids {
        Ids::Plain(Vec::new())
    }
}

impl Ids {
    /// The column for `ids`, given in document order.
    pub fn encode(ids: &[&str]) -> Ids {
        let (sorted, places, rest) = sort_ids(ids);
        if rest <= SORTED_IDS_REST * ids.len() {
            Ids::Sorted { sorted, places }
        } else {
            Ids::Plain(ids.iter().map(|id| (*id).to_owned()).collect())
        }
    }

    /// The ids in document order again; `None` when the columns are cut short, a place falls
    /// outside the list, two documents share a place, an id is not UTF-8, or the ids would take
    /// more than `IDS_MAX_EXPANSION` times the column's bytes.
    pub fn decode(self) -> Option<Vec<String>> {
        match self {
            Ids::Plain(ids) => Some(ids),
            Ids::Sorted { sorted, places } => decode_ids(&sorted, &places),
        }
    }
}

/// How often each character occurs, in character order (for `by_frequency`).
pub(super) type CharCounts = std::collections::BTreeMap<char, u64>;

/// Adds the characters of `text` to `counts`.
pub(super) fn count_chars(counts: &mut CharCounts, text: &str) {
    for c in text.chars() {
        *counts.entry(c).or_default() += 1;
    }
}

/// The characters of `counts`, most frequent first (ties in character order).
pub(super) fn by_frequency(counts: CharCounts) -> Vec<(char, u64)> {
    let mut ranked: Vec<(char, u64)> = counts.into_iter().collect();
    // The map gave the characters in order, and the sort is stable.
    ranked.sort_by_key(|&(_, count)| std::cmp::Reverse(count));
    ranked
}

/// Whether coding the characters of `ranked` (with their counts) in `code_len(rank)` bytes each
/// takes at least [`CODED_MARGIN`] times the alphabet's bytes off their UTF-8.
pub(super) fn coding_pays(ranked: &[(char, u64)], code_len: impl Fn(usize) -> usize) -> bool {
    let mut utf8 = 0u64;
    let mut coded = 0u64;
    let mut alphabet = 0u64;
    for (rank, &(c, count)) in ranked.iter().enumerate() {
        utf8 += count * c.len_utf8() as u64;
        coded += count * code_len(rank) as u64;
        alphabet += c.len_utf8() as u64;
    }
    coded + CODED_MARGIN * alphabet <= utf8
}

/// `titles` coded by their characters' ranks in `ranked`: the alphabet and the codes.
fn code_titles(titles: &[&str], ranked: &[(char, u64)]) -> (String, Vec<u8>) {
    let rank_of: std::collections::HashMap<char, u32> = ranked
        .iter()
        .enumerate()
        .map(|(rank, (c, _))| (*c, rank as u32))
        .collect();
    let mut codes = Vec::new();
    for title in titles {
        for c in title.chars() {
            let code = rank_of.get(&c).map_or(0, |rank| rank + 1);
            write_code(&mut codes, code);
        }
        codes.push(0);
    }
    (ranked.iter().map(|(c, _)| c).collect(), codes)
}

/// The titles `code_titles` coded; `None` on a bad code or a title not ended.
fn decode_titles(alphabet: &str, codes: &[u8]) -> Option<Vec<String>> {
    let chars: Vec<char> = alphabet.chars().collect();
    let mut titles = Vec::new();
    // One title at a time, then copied out at its exact length.
    let mut title = String::new();
    let mut pos = 0;
    while let Some(&first) = codes.get(pos) {
        pos += 1;
        let code = match first {
            0 => {
                titles.push(title.as_str().to_owned());
                title.clear();
                continue;
            }
            LONG => {
                let rest = u32::try_from(varint::read(codes, &mut pos)?).ok()?;
                rest.checked_add(ONE_BYTE + TWO_BYTE_CODES)?
            }
            first if u32::from(first) >= ONE_BYTE => {
                let second = *codes.get(pos)?;
                pos += 1;
                ONE_BYTE + (u32::from(first) - ONE_BYTE) * 256 + u32::from(second)
            }
            first => u32::from(first),
        };
        title.push(*chars.get(code as usize - 1)?);
    }
    title.is_empty().then_some(titles)
}

/// `ids` sorted and front-coded, each one's place, and the bytes of the ids left after what each
/// shares with the one before it.
fn sort_ids(ids: &[&str]) -> (Vec<u8>, Vec<u8>, usize) {
    let mut by_id: Vec<u32> = (0..ids.len() as u32).collect();
    by_id.sort_by_key(|&doc| (ids.get(doc as usize).copied().unwrap_or_default(), doc));
    let mut place_of = vec![0u32; ids.len()];
    let mut sorted = Vec::new();
    let mut rests = 0;
    let mut previous: &[u8] = &[];
    for (place, &doc) in by_id.iter().enumerate() {
        let id = ids
            .get(doc as usize)
            .copied()
            .unwrap_or_default()
            .as_bytes();
        let shared = id.iter().zip(previous).take_while(|(a, b)| a == b).count();
        varint::write(&mut sorted, shared as u64);
        varint::write(&mut sorted, (id.len() - shared) as u64);
        sorted.extend_from_slice(&id[shared..]);
        rests += id.len() - shared;
        previous = id;
        if let Some(slot) = place_of.get_mut(doc as usize) {
            *slot = place as u32;
        }
    }
    let mut places = Vec::new();
    let mut last = 0i64;
    for &place in &place_of {
        let step = i64::from(place) - last;
        varint::write(&mut places, ((step << 1) ^ (step >> 63)) as u64);
        last = i64::from(place);
    }
    (sorted, places, rests)
}

/// The ids `sort_ids` coded, in document order; `None` when they do not decode.
fn decode_ids(coded: &[u8], places: &[u8]) -> Option<Vec<String>> {
    let budget = (coded.len() + places.len()).saturating_mul(IDS_MAX_EXPANSION);
    let mut spent = 0usize;
    let mut sorted: Vec<Vec<u8>> = Vec::new();
    let mut pos = 0;
    while pos < coded.len() {
        let shared = usize::try_from(varint::read(coded, &mut pos)?).ok()?;
        let rest = usize::try_from(varint::read(coded, &mut pos)?).ok()?;
        let previous = sorted.last().map_or(&[][..], Vec::as_slice);
        let head = previous.get(..shared)?;
        let tail = coded.get(pos..pos.checked_add(rest)?)?;
        pos += rest;
        spent = spent.checked_add(shared + rest)?;
        if spent > budget {
            return None;
        }
        let mut id = Vec::with_capacity(shared + rest);
        id.extend_from_slice(head);
        id.extend_from_slice(tail);
        sorted.push(id);
    }
    let mut taken = vec![false; sorted.len()];
    let mut ids = Vec::with_capacity(sorted.len());
    let mut place = 0i64;
    let mut pos = 0;
    while pos < places.len() {
        let zigzag = varint::read(places, &mut pos)?;
        let step = (zigzag >> 1) as i64 ^ -((zigzag & 1) as i64);
        place = place.checked_add(step)?;
        let at = usize::try_from(place).ok()?;
        if std::mem::replace(taken.get_mut(at)?, true) {
            return None;
        }
        ids.push(String::from_utf8(std::mem::take(sorted.get_mut(at)?)).ok()?);
    }
    (ids.len() == sorted.len()).then_some(ids)
}

/// The bytes `write_code` takes for `code`.
fn code_len(code: u64) -> usize {
    let mut bytes = Vec::new();
    write_code(&mut bytes, u32::try_from(code).unwrap_or(u32::MAX));
    bytes.len()
}

/// Writes one character's code (never 0, which ends a title).
fn write_code(out: &mut Vec<u8>, code: u32) {
    if code < ONE_BYTE {
        out.push(code as u8);
    } else if code - ONE_BYTE < TWO_BYTE_CODES {
        let rest = code - ONE_BYTE;
        out.push((ONE_BYTE + rest / 256) as u8);
        out.push((rest % 256) as u8);
    } else {
        out.push(LONG);
        varint::write(out, u64::from(code - ONE_BYTE - TWO_BYTE_CODES));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranked(titles: &[&str]) -> Vec<(char, u64)> {
        let mut counts = CharCounts::new();
        for title in titles {
            count_chars(&mut counts, title);
        }
        by_frequency(counts)
    }

    #[test]
    fn titles_come_back_as_written_in_every_code_length() {
        // Enough distinct characters to need one-byte, two-byte and long codes.
        let many: String = (0..5000)
            .filter_map(|n| char::from_u32(0x4e00 + n))
            .collect();
        let titles = [
            "",
            "花呗怎么还款",
            "How do I reset my password?",
            &many,
            "花呗 & 借呗: iPhone15退货 🙂",
            "",
        ];
        let (alphabet, codes) = code_titles(&titles, &ranked(&titles));
        assert!(codes.contains(&LONG));
        assert!(codes.iter().any(|&b| u32::from(b) >= ONE_BYTE && b != LONG));
        let expected: Vec<String> = titles.map(str::to_owned).to_vec();
        assert_eq!(decode_titles(&alphabet, &codes), Some(expected));
    }

    #[test]
    fn the_most_frequent_characters_take_one_byte() {
        let titles = ["呗呗呗花", "借呗"];
        let (alphabet, codes) = code_titles(&titles, &ranked(&titles));
        assert_eq!(alphabet, "呗借花");
        assert_eq!(codes, [1, 1, 1, 3, 0, 2, 1, 0]);
    }

    #[test]
    fn titles_are_coded_only_when_their_characters_recur() {
        let few = ["退货政策", "运费说明"];
        assert!(matches!(Titles::encode(&few), Titles::Plain(_)));
        let many: Vec<String> = (0..200).map(|n| format!("花呗还款 {}", n % 10)).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let column = Titles::encode(&many);
        assert!(matches!(column, Titles::Coded { .. }));
        assert_eq!(
            column.decode(),
            Some(many.iter().map(|t| (*t).to_owned()).collect())
        );
        assert_eq!(
            Titles::encode(&few).decode(),
            Some(few.map(str::to_owned).to_vec())
        );
    }

    #[test]
    fn ids_come_back_in_document_order() {
        let ids = [
            "afqmc-dev-0079",
            "afqmc-dev-0380",
            "refund-policy",
            "afqmc-dev-0001",
            "refund-policy",
            "",
            "afqmc-dev-0010",
            "退货-é",
        ];
        let (sorted, places, _) = sort_ids(&ids);
        let expected: Vec<String> = ids.map(str::to_owned).to_vec();
        assert_eq!(decode_ids(&sorted, &places), Some(expected.clone()));
        assert_eq!(decode_ids(&[], &[]), Some(Vec::new()));
        // Names are kept as they are, counters sorted; both come back alike.
        assert!(matches!(Ids::encode(&ids), Ids::Plain(_)));
        assert_eq!(Ids::encode(&ids).decode(), Some(expected));
        let counters: Vec<String> = (0..300).rev().map(|n| format!("faq-{n:04}")).collect();
        let counters: Vec<&str> = counters.iter().map(String::as_str).collect();
        let column = Ids::encode(&counters);
        assert!(matches!(column, Ids::Sorted { .. }));
        assert_eq!(
            column.decode(),
            Some(counters.iter().map(|id| (*id).to_owned()).collect())
        );
    }

    #[test]
    fn sorted_ids_share_their_prefixes() {
        let (sorted, places, rest) = sort_ids(&["ab-2", "ab-10", "ab-1"]);
        // ab-1, ab-10, ab-2: (0, 4, "ab-1"), (4, 1, "0"), (3, 1, "2").
        assert_eq!(sorted, b"\x00\x04ab-1\x04\x010\x03\x012");
        assert_eq!(rest, 6);
        // places 2, 1, 0: steps +2, -1, -1 as zigzag 4, 1, 1.
        assert_eq!(places, [4, 1, 1]);
    }

    #[test]
    fn bad_id_columns_are_refused_not_panicked_on() {
        let (good, _, _) = sort_ids(&["ab-2", "ab-10", "ab-1"]);
        let cases: [(&[u8], &[u8]); 6] = [
            (&good, &[4, 1]),            // a document fewer than ids
            (&good, &[4, 1, 0]),         // two documents on one place
            (&good, &[4, 1, 6]),         // a place past the list
            (&good, &[1, 1, 1]),         // a place before the list
            (&[5, 1, b'x'], &[0]),       // sharing more than the id before
            (&[0, 2, 0xff, 0xfe], &[0]), // not UTF-8
        ];
        for (sorted, places) in cases {
            assert_eq!(decode_ids(sorted, places), None);
        }
        // One long id shared again and again is refused before it takes much memory.
        let mut sorted = vec![0, 0xe8, 0x07];
        sorted.extend(std::iter::repeat_n(b'a', 1000));
        for _ in 0..2000 {
            sorted.extend([0xe8, 0x07, 0]);
        }
        assert_eq!(decode_ids(&sorted, &[0]), None);
    }

    #[test]
    fn bad_codes_are_refused_not_panicked_on() {
        let (alphabet, _) = code_titles(&["ab"], &ranked(&["ab"]));
        let cases: [&[u8]; 5] = [
            &[9, 0],                                        // past the alphabet
            &[1],                                           // no end
            &[ONE_BYTE as u8],                              // a two-byte code cut short
            &[LONG, 0x80, 0x80],                            // a long code cut short
            &[LONG, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0], // a varint too long
        ];
        for codes in cases {
            assert_eq!(decode_titles(&alphabet, codes), None);
        }
    }
}
