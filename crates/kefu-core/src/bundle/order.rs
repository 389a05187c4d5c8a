//! Numbering documents so that documents sharing words sit side by side.
//!
//! A postings list stores the gaps between the document numbers that hold a term. Documents come
//! from the KB compiler sorted by id, which says nothing of their text (afqmc-dev's ids are in
//! hash order), so a term's documents are scattered and its gaps large. Numbering documents that
//! share terms close together makes the gaps small, and small gaps fit the one-byte postings
//! entries and repeat for gzip; the titles of neighbouring documents also share more, which the
//! directory's title column gains from.
//!
//! The method is recursive graph bisection (Dhulipala et al., "Compressing Graphs and Indexes
//! with Recursive Graph Bisection", KDD 2016): split the documents in two halves, move documents
//! between the halves while that lowers an estimate of the gaps' cost, then split each half
//! again. The estimate for a term with `a` documents in half A (of `n_a`) and `b` in half B is
//! `a · log2(n_a / (a + 1)) + b · log2(n_b / (b + 1))`: the bits its gaps would take if its
//! documents were spread evenly through each half.
//!
//! **Invariant:** deterministic. The arithmetic is integer (a fixed-point log2 computed by
//! squaring, not the platform's `f64::log2`), ties are broken by document number, and threads
//! only ever work on disjoint halves, so the same documents give the same numbering on any
//! machine and any number of cores.

/// Below this many documents a part is not split further: its documents go back to their
/// order on input (the KB's, by id).
const LEAF_LEN: usize = 16;

/// At most this many rounds of moves per split; most splits settle in fewer (a round that moves
/// nothing ends it). The paper uses 20.
const MAX_ROUNDS: usize = 20;

/// Fractional bits of the fixed-point log2.
const LOG_FRACTION_BITS: u32 = 16;

/// Splits this deep or shallower run their two halves on two threads.
const PARALLEL_DEPTH: usize = 2;

/// An order of documents (or of any items that hold terms), given as the old number of each new
/// one: `order[new] = old`.
///
/// `doc_terms[doc]` lists the terms of document `doc` as numbers below `n_terms`, each once;
/// terms held by a single document may be left out (they do not affect the order).
pub(crate) fn by_shared_terms(doc_terms: &[Vec<u32>], n_terms: usize) -> Vec<u32> {
    // Where threads are unavailable (wasm32-unknown-unknown) or pointless (one core), none is
    // started: spawning one there would fail.
    let parallel = std::thread::available_parallelism().is_ok_and(|n| n.get() > 1);
    by_shared_terms_on(doc_terms, n_terms, parallel)
}

/// [`by_shared_terms`], with the first splits' halves on threads of their own or not; the order
/// is the same either way (a test checks it).
fn by_shared_terms_on(doc_terms: &[Vec<u32>], n_terms: usize, parallel: bool) -> Vec<u32> {
    let n_docs = doc_terms.len();
    let log2 = log2_table(n_docs + 1);
    let mut order: Vec<u32> = (0..n_docs as u32).collect();
    let context = Context {
        doc_terms,
        n_terms,
        log2: &log2,
        parallel,
    };
    context.bisect(&mut order, 0, &mut Scratch::new(n_terms));
    order
}

/// What every split reads.
struct Context<'a> {
    doc_terms: &'a [Vec<u32>],
    n_terms: usize,
    /// `log2[i]` is log2(i) in fixed point, for `i` up to the number of documents plus one.
    log2: &'a [i64],
    /// Whether the first splits' halves may run on threads of their own.
    parallel: bool,
}

/// Per-term counters of one split, allocated once per thread and reset term by term, since a
/// split touches only its own documents' terms.
struct Scratch {
    in_first: Vec<u32>,
    in_second: Vec<u32>,
    /// The cost saved by moving one document holding the term out of the first half, and out of
    /// the second.
    gain_leaving_first: Vec<i64>,
    gain_leaving_second: Vec<i64>,
    gains: Vec<(i64, u32)>,
    second_gains: Vec<(i64, u32)>,
}

impl Scratch {
    fn new(n_terms: usize) -> Scratch {
        Scratch {
            in_first: vec![0; n_terms],
            in_second: vec![0; n_terms],
            gain_leaving_first: vec![0; n_terms],
            gain_leaving_second: vec![0; n_terms],
            gains: Vec::new(),
            second_gains: Vec::new(),
        }
    }
}

impl Context<'_> {
    fn terms_of(&self, doc: u32) -> &[u32] {
        self.doc_terms.get(doc as usize).map_or(&[], Vec::as_slice)
    }

    fn log2(&self, value: u32) -> i64 {
        self.log2.get(value as usize).copied().unwrap_or(0)
    }

    /// The estimated cost of a term with `a` of its documents in a half of `n_a` documents and
    /// `b` in one of `n_b`.
    fn cost(&self, a: u32, n_a: u32, b: u32, n_b: u32) -> i64 {
        i64::from(a) * (self.log2(n_a) - self.log2(a + 1))
            + i64::from(b) * (self.log2(n_b) - self.log2(b + 1))
    }

    /// Orders `part` (document numbers) so that documents sharing terms are close.
    fn bisect(&self, part: &mut [u32], depth: usize, scratch: &mut Scratch) {
        if part.len() <= LEAF_LEN {
            part.sort_unstable();
            return;
        }
        // The halves start as the part's documents in their current order, which is the KB's
        // (by id) at the top: a KB whose ids already group related documents starts close.
        let middle = part.len() / 2;
        for _ in 0..MAX_ROUNDS {
            if !self.move_round(part, middle, scratch) {
                break;
            }
        }
        let (first, second) = part.split_at_mut(middle);
        if self.parallel && depth < PARALLEL_DEPTH {
            std::thread::scope(|scope| {
                let other = scope.spawn(|| {
                    self.bisect(second, depth + 1, &mut Scratch::new(self.n_terms));
                });
                self.bisect(first, depth + 1, scratch);
                // A panic in the other half is a bug here; pass it on unchanged.
                if let Err(panic) = other.join() {
                    std::panic::resume_unwind(panic);
                }
            });
        } else {
            self.bisect(first, depth + 1, scratch);
            self.bisect(second, depth + 1, scratch);
        }
    }

    /// One round: pairs the documents that most want to leave each half and swaps them while
    /// a swap lowers the cost. Returns whether anything moved.
    fn move_round(&self, part: &mut [u32], middle: usize, scratch: &mut Scratch) -> bool {
        let (first, second) = part.split_at_mut(middle);
        let (n_first, n_second) = (first.len() as u32, second.len() as u32);
        for (half, counts) in [
            (&*first, &mut scratch.in_first),
            (&*second, &mut scratch.in_second),
        ] {
            for &doc in half {
                for &term in self.terms_of(doc) {
                    if let Some(count) = counts.get_mut(term as usize) {
                        *count += 1;
                    }
                }
            }
        }
        // Each term's gains once: the first of its documents to come computes them and resets the
        // counters, which tells the others it is done. Then each document's gain is the sum of
        // its terms'.
        for &doc in first.iter().chain(second.iter()) {
            for &term in self.terms_of(doc) {
                let at = term as usize;
                let (Some(a), Some(b)) = (
                    scratch.in_first.get_mut(at).map(std::mem::take),
                    scratch.in_second.get_mut(at).map(std::mem::take),
                ) else {
                    continue;
                };
                if a == 0 && b == 0 {
                    continue; // done already: its counters are reset
                }
                let now = self.cost(a, n_first, b, n_second);
                let leaving_first = if a > 0 {
                    now - self.cost(a - 1, n_first, b + 1, n_second)
                } else {
                    0
                };
                let leaving_second = if b > 0 {
                    now - self.cost(a + 1, n_first, b - 1, n_second)
                } else {
                    0
                };
                if let Some(gain) = scratch.gain_leaving_first.get_mut(at) {
                    *gain = leaving_first;
                }
                if let Some(gain) = scratch.gain_leaving_second.get_mut(at) {
                    *gain = leaving_second;
                }
            }
        }
        let gain_of = |doc: u32, per_term: &[i64]| -> (i64, u32) {
            let gain = self
                .terms_of(doc)
                .iter()
                .map(|&term| per_term.get(term as usize).copied().unwrap_or(0))
                .sum();
            (gain, doc)
        };
        scratch.gains.clear();
        scratch.gains.extend(
            first
                .iter()
                .map(|&doc| gain_of(doc, &scratch.gain_leaving_first)),
        );
        scratch.second_gains.clear();
        scratch.second_gains.extend(
            second
                .iter()
                .map(|&doc| gain_of(doc, &scratch.gain_leaving_second)),
        );
        // Highest gain first; among equal gains the lower document number, for determinism.
        let by_gain = |x: &(i64, u32), y: &(i64, u32)| y.0.cmp(&x.0).then(x.1.cmp(&y.1));
        scratch.gains.sort_unstable_by(by_gain);
        scratch.second_gains.sort_unstable_by(by_gain);
        let mut n_swapped = 0;
        for (&(gain, _), &(other_gain, _)) in scratch.gains.iter().zip(&scratch.second_gains) {
            if gain + other_gain <= 0 {
                break;
            }
            n_swapped += 1;
        }
        if n_swapped == 0 {
            return false;
        }
        // The halves' new members: the swapped documents change sides, the rest stay; each half
        // listed in the order of its gains, which the next round sorts again anyway.
        let leaving_first = &scratch.gains[..n_swapped];
        let leaving_second = &scratch.second_gains[..n_swapped];
        let staying_first = &scratch.gains[n_swapped..];
        let staying_second = &scratch.second_gains[n_swapped..];
        for (slot, &(_, doc)) in first
            .iter_mut()
            .zip(staying_first.iter().chain(leaving_second))
        {
            *slot = doc;
        }
        for (slot, &(_, doc)) in second
            .iter_mut()
            .zip(staying_second.iter().chain(leaving_first))
        {
            *slot = doc;
        }
        true
    }
}

/// log2(i) for `i` in `0..len`, in fixed point with [`LOG_FRACTION_BITS`] fractional bits
/// (log2(0) is taken as 0; it is never asked for). Integer arithmetic only: the fraction's bits
/// come from squaring the mantissa, one bit per squaring, so every machine computes the same.
fn log2_table(len: usize) -> Vec<i64> {
    (0..len).map(|value| fixed_log2(value as u64)).collect()
}

fn fixed_log2(value: u64) -> i64 {
    if value == 0 {
        return 0;
    }
    const ONE: u64 = 1 << 30;
    let whole = 63 - value.leading_zeros();
    // The mantissa in [1, 2) with 30 fractional bits; squared it stays below 2^62.
    let mut mantissa = if whole >= 30 {
        value >> (whole - 30)
    } else {
        value << (30 - whole)
    };
    let mut fraction = 0i64;
    for _ in 0..LOG_FRACTION_BITS {
        mantissa = (mantissa * mantissa) >> 30;
        fraction <<= 1;
        if mantissa >= 2 * ONE {
            mantissa >>= 1;
            fraction |= 1;
        }
    }
    (i64::from(whole) << LOG_FRACTION_BITS) | fraction
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_log2_is_close_to_log2() {
        for value in [1u64, 2, 3, 5, 7, 10, 100, 1000, 4097, 65_535, 1 << 40] {
            let fixed = fixed_log2(value) as f64 / f64::from(1u32 << LOG_FRACTION_BITS);
            assert!(
                (fixed - (value as f64).log2()).abs() < 1e-4,
                "{value}: {fixed}"
            );
        }
    }

    #[test]
    fn documents_sharing_terms_end_up_together() {
        // Two topics scattered through the numbering (by a multiplicative hash, as ids in hash
        // order scatter them): one topic's documents hold terms 0-3, the other's terms 4-7.
        let topic = |doc: u32| doc.wrapping_mul(0x9E37_79B9) >> 31;
        let doc_terms: Vec<Vec<u32>> = (0..64u32)
            .map(|doc| {
                let base = topic(doc) * 4;
                (base..base + 4).collect()
            })
            .collect();
        let changes_in = |order: &[u32]| {
            let topics: Vec<u32> = order.iter().map(|&doc| topic(doc)).collect();
            topics.windows(2).filter(|w| w[0] != w[1]).count()
        };
        let identity: Vec<u32> = (0..64).collect();
        assert!(changes_in(&identity) > 20, "the topics start scattered");
        let order = by_shared_terms(&doc_terms, 8);
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, identity, "a permutation");
        // Perfectly grouped is one change; the halves are of equal size and the topics may not
        // be, so one split can cut a topic.
        assert!(changes_in(&order) <= 3, "{order:?}");
    }

    #[test]
    fn the_order_is_deterministic_with_or_without_threads() {
        let doc_terms: Vec<Vec<u32>> = (0..100u32)
            .map(|doc| vec![doc % 7, 7 + doc % 5, 12 + doc % 3])
            .collect();
        let order = by_shared_terms_on(&doc_terms, 15, true);
        assert_ne!(order, (0..100).collect::<Vec<u32>>());
        assert_eq!(order, by_shared_terms_on(&doc_terms, 15, true));
        assert_eq!(
            order,
            by_shared_terms_on(&doc_terms, 15, false),
            "threads or not"
        );
    }

    #[test]
    fn out_of_range_terms_and_empty_input_do_not_panic() {
        assert!(by_shared_terms(&[], 0).is_empty());
        let doc_terms = vec![vec![99], vec![], vec![0, 99]];
        assert_eq!(by_shared_terms(&doc_terms, 1).len(), 3);
    }
}
