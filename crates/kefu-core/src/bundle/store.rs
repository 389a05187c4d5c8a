//! The store's text coded for gzip: in every string of a stored document (paragraphs, list items,
//! table cells, similar questions, flow prompts and answers), each character is replaced by a
//! stand-in whose UTF-8 is as short as its frequency deserves.
//!
//! A CJK character is three bytes of UTF-8, and gzip codes bytes: the lead bytes, shared by
//! thousands of characters, say little and still cost bits, and a character that no earlier match
//! covers costs three literals. Here the characters of the whole store are ranked by count, and
//! the character of rank r is written as the character whose scalar value is r (skipping the
//! surrogates): the 128 most frequent take one byte, the next 1,920 two, the rest three, as they
//! are in any UTF-8. So the stored strings stay strings (postcard, lengths and the document-by-
//! document layout are unchanged), and reading a document maps its characters back through the
//! alphabet, which the directory holds in rank order. gzip -9 of the whole bundle, as written
//! before → coded: the demo KB 151,047 → 145,227 bytes, the 10,000-article KB 3,659,317 →
//! 3,352,197 (half of its articles Chinese); a KB of FAQ entries whose answers are their
//! questions has almost nothing in its store and is left as written.
//!
//! Ids (flows' and nodes', linked articles'), URLs and paths are left as they are: they are
//! compared and resolved, not read.
//!
//! **Invariant:** deterministic: ranks are ordered by count, then by character.

use std::collections::HashMap;

use super::columns::{CharCounts, by_frequency, coding_pays, count_chars};

use super::StoredBody;
use crate::flow::{Flow, NodeKind};
use crate::kb::{Block, Inline};

/// The store's characters by rank; empty when the store is not coded.
#[derive(Debug, Default)]
pub(crate) struct StoreAlphabet {
    chars: Vec<char>,
    /// Each character's stand-in, for the encoder (the reader leaves it empty).
    stand_ins: HashMap<char, char>,
}

impl StoreAlphabet {
    /// The alphabet for these stored documents: their characters, most frequent first, or none
    /// when coding would not pay.
    pub fn of(bodies: &mut [StoredBody]) -> StoreAlphabet {
        let mut counts = CharCounts::new();
        for body in bodies.iter_mut() {
            body.each_text(&mut |text| {
                count_chars(&mut counts, text);
                Some(())
            });
        }
        let ranked = by_frequency(counts);
        // Not worth it for a few articles, English (one byte a character either way), or FAQ
        // entries whose answers are their questions (almost nothing in the store).
        if !coding_pays(&ranked, |rank| stand_in(rank).map_or(4, char::len_utf8)) {
            return StoreAlphabet::default();
        }
        let chars: Vec<char> = ranked.into_iter().map(|(c, _)| c).collect();
        let stand_ins = chars
            .iter()
            .enumerate()
            .filter_map(|(rank, &c)| Some((c, stand_in(rank)?)))
            .collect();
        StoreAlphabet { chars, stand_ins }
    }

    /// The alphabet as the directory holds it.
    pub fn to_text(&self) -> String {
        self.chars.iter().collect()
    }

    /// The alphabet the directory holds.
    pub fn from_text(text: &str) -> StoreAlphabet {
        StoreAlphabet {
            chars: text.chars().collect(),
            stand_ins: HashMap::new(),
        }
    }

    /// Replaces every character of `body`'s texts by its stand-in (`body` being one of those the
    /// alphabet was made `of`).
    pub fn code(&self, body: &mut StoredBody) {
        // Every character has a stand-in or stays itself, so this cannot stop early.
        self.map_chars(body, |c| Some(self.stand_ins.get(&c).copied().unwrap_or(c)));
    }

    /// Puts back the characters `code` replaced; `None` when a stand-in has no character (a
    /// corrupt store).
    pub fn decode(&self, body: &mut StoredBody) -> Option<()> {
        self.map_chars(body, |c| self.chars.get(rank(c)).copied())
    }

    /// Maps every character of `body`'s texts through `map`, unless the store is not coded;
    /// `None` at the first character `map` has nothing for.
    fn map_chars(&self, body: &mut StoredBody, map: impl Fn(char) -> Option<char>) -> Option<()> {
        if self.chars.is_empty() {
            return Some(());
        }
        body.each_text(&mut |text| {
            *text = text.chars().map(&map).collect::<Option<String>>()?;
            Some(())
        })
    }
}

/// The character written for rank `rank`: the one with that scalar value, the surrogates skipped.
fn stand_in(rank: usize) -> Option<char> {
    let rank = u32::try_from(rank).ok()?;
    char::from_u32(if rank < 0xD800 { rank } else { rank + 0x800 })
}

/// The rank `stand_in` wrote as `c`.
fn rank(c: char) -> usize {
    let value = u32::from(c);
    (if value < 0xD800 { value } else { value - 0x800 }) as usize
}

impl StoredBody {
    /// Calls `f` on every text of the document meant to be read, stopping at the first `None`.
    fn each_text(&mut self, f: &mut dyn FnMut(&mut String) -> Option<()>) -> Option<()> {
        for text in self.tags.iter_mut().chain(self.similar.iter_mut()) {
            f(text)?;
        }
        each_block_text(&mut self.body, f)?;
        if let Some(flow) = &mut self.flow {
            each_flow_text(flow, f)?;
        }
        Some(())
    }
}

/// `StoredBody::each_text` for blocks. Unlike `kb::blocks_text`, which gathers the text that is
/// searched, this reaches every string meant to be read, to change it in place.
fn each_block_text(
    blocks: &mut [Block],
    f: &mut dyn FnMut(&mut String) -> Option<()>,
) -> Option<()> {
    for block in blocks {
        match block {
            Block::Heading { text, .. } | Block::Paragraph(text) => each_inline_text(text, f)?,
            Block::List { items, .. } => {
                for item in items {
                    each_block_text(item, f)?;
                }
            }
            Block::Quote(blocks) | Block::Callout { blocks, .. } => each_block_text(blocks, f)?,
            Block::Code(code) => f(code)?,
            Block::Table { head, rows, .. } => {
                for cell in head.iter_mut().chain(rows.iter_mut().flatten()) {
                    each_inline_text(cell, f)?;
                }
            }
            Block::Image { alt, .. } => f(alt)?,
        }
    }
    Some(())
}

fn each_inline_text(
    inlines: &mut [Inline],
    f: &mut dyn FnMut(&mut String) -> Option<()>,
) -> Option<()> {
    for inline in inlines {
        match inline {
            Inline::Text(text) | Inline::Code(text) => f(text)?,
            Inline::Strong(inner)
            | Inline::Emphasis(inner)
            | Inline::ArticleLink { text: inner, .. }
            | Inline::Link { text: inner, .. } => each_inline_text(inner, f)?,
            Inline::LineBreak => {}
        }
    }
    Some(())
}

fn each_flow_text(flow: &mut Flow, f: &mut dyn FnMut(&mut String) -> Option<()>) -> Option<()> {
    for node in &mut flow.nodes {
        match &mut node.kind {
            NodeKind::Question { prompt, answers } => {
                f(prompt)?;
                for answer in answers {
                    f(&mut answer.label)?;
                    if let Some(note) = &mut answer.note {
                        f(note)?;
                    }
                }
            }
            NodeKind::Collect {
                prompt,
                pattern_hint,
                ..
            } => {
                f(prompt)?;
                if let Some(hint) = pattern_hint {
                    f(hint)?;
                }
            }
            NodeKind::Step { text, image, .. } | NodeKind::Solution { text, image, .. } => {
                each_block_text(text, f)?;
                if let Some(image) = image {
                    f(&mut image.alt)?;
                }
            }
            NodeKind::Escalate { text } | NodeKind::End { text } => each_block_text(text, f)?,
            NodeKind::Article { .. } => {}
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::{Answer, Image, Node};
    use crate::kb::{Align, CalloutKind};

    fn text(s: &str) -> Vec<Inline> {
        vec![Inline::Text(s.to_owned())]
    }

    /// A stored document with every kind of block, inline and flow node.
    fn everything() -> StoredBody {
        let blocks = vec![
            Block::Heading {
                level: 2,
                text: text("退货运费"),
            },
            Block::Paragraph(vec![
                Inline::Strong(text("运费险")),
                Inline::Emphasis(text("七天无理由")),
                Inline::Code("kefu kb build".to_owned()),
                Inline::ArticleLink {
                    text: text("退款多久到账"),
                    id: "refund-time".to_owned(),
                },
                Inline::Link {
                    text: text("帮助中心"),
                    url: "https://example.com/help".to_owned(),
                },
                Inline::LineBreak,
            ]),
            Block::List {
                ordered: true,
                items: vec![vec![Block::Paragraph(text("打开订单"))]],
            },
            Block::Quote(vec![Block::Paragraph(text("運費退貨"))]),
            Block::Code("let x = 1;".to_owned()),
            Block::Table {
                head: vec![text("方式")],
                rows: vec![vec![text("快递")]],
                align: vec![Align::Left],
            },
            Block::Callout {
                kind: CalloutKind::Tip,
                blocks: vec![Block::Paragraph(text("先看物流"))],
            },
            Block::Image {
                src: "kb-assets/ab.svg".to_owned(),
                alt: "订单页".to_owned(),
                width: 10,
                height: 10,
            },
        ];
        let node = |id: &str, kind: NodeKind| Node {
            id: id.to_owned(),
            kind,
        };
        let image = Some(Image {
            src: "/help/reset.png".to_owned(),
            alt: "重置密码".to_owned(),
        });
        StoredBody {
            tags: vec!["退货".to_owned()],
            similar: vec!["怎么退货".to_owned()],
            body: blocks.clone(),
            flow: Some(Flow {
                id: "cannot-log-in".to_owned(),
                start: 0,
                order: None,
                nodes: vec![
                    node(
                        "ask",
                        NodeKind::Question {
                            prompt: "收到验证码了吗？".to_owned(),
                            answers: vec![Answer {
                                label: "收到了".to_owned(),
                                note: Some("更快".to_owned()),
                                next: 1,
                            }],
                        },
                    ),
                    node(
                        "phone",
                        NodeKind::Collect {
                            prompt: "手机号".to_owned(),
                            name: "phone".to_owned(),
                            pattern: None,
                            pattern_hint: Some("十一位数字".to_owned()),
                            next: 2,
                        },
                    ),
                    node(
                        "step",
                        NodeKind::Step {
                            text: blocks.clone(),
                            image: image.clone(),
                            next: 3,
                        },
                    ),
                    node(
                        "fix",
                        NodeKind::Solution {
                            text: blocks.clone(),
                            image,
                            unsolved: 4,
                        },
                    ),
                    node(
                        "read",
                        NodeKind::Article {
                            article: "refund-time".to_owned(),
                            next: 5,
                        },
                    ),
                    node(
                        "human",
                        NodeKind::Escalate {
                            text: blocks.clone(),
                        },
                    ),
                    node("end", NodeKind::End { text: blocks }),
                ],
            }),
            body_is_title: false,
        }
    }

    #[test]
    fn every_text_is_coded_and_comes_back() {
        let mut bodies: Vec<StoredBody> = (0..40).map(|_| everything()).collect();
        let alphabet = StoreAlphabet::of(&mut bodies);
        assert!(!alphabet.chars.is_empty());
        let mut body = everything();
        alphabet.code(&mut body);
        let mut texts = Vec::new();
        body.each_text(&mut |text| {
            texts.push(text.clone());
            Some(())
        });
        assert!(texts.iter().all(|t| !t.contains('退') && !t.contains('运')));
        let reader = StoreAlphabet::from_text(&alphabet.to_text());
        assert_eq!(reader.decode(&mut body), Some(()));
        assert_eq!(body, everything());
        // Ids, URLs and paths stay as written.
        let mut coded = everything();
        alphabet.code(&mut coded);
        let Some(flow) = &coded.flow else {
            panic!("the flow is kept");
        };
        assert_eq!(flow.id, "cannot-log-in");
        let NodeKind::Article { article, .. } = &flow.nodes[4].kind else {
            panic!("node 4 shows an article");
        };
        assert_eq!(article, "refund-time");
    }

    #[test]
    fn a_store_with_few_texts_is_left_as_written() {
        let mut bodies = vec![everything()];
        let alphabet = StoreAlphabet::of(&mut bodies);
        assert_eq!(alphabet.to_text(), "");
        let mut body = everything();
        alphabet.code(&mut body);
        assert_eq!(body, everything());
    }

    #[test]
    fn a_stand_in_outside_the_alphabet_is_refused() {
        let reader = StoreAlphabet::from_text("ab");
        let mut body = everything();
        body.tags = vec!["\u{2}".to_owned()];
        assert_eq!(reader.decode(&mut body), None);
    }

    #[test]
    fn stand_ins_skip_the_surrogates_and_come_back() {
        for rank_in in [0, 127, 128, 2047, 2048, 0xD7FF, 0xD800, 0xF0000] {
            let c = stand_in(rank_in).expect("a character");
            assert_eq!(rank(c), rank_in);
        }
        assert_eq!(stand_in(0x10_FFFF), None);
    }
}
