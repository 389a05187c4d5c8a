//! Keeps `src/hant.rs`, the traditional → simplified Chinese folding table, true to its source:
//! Unicode's Unihan `kSimplifiedVariant` data as Debian's `unicode-data` package ships it.
//! `UPDATE_EXPECT=1 cargo test -p kefu-core --test hant_table` regenerates the table.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;

const SOURCE: &str = "/usr/share/unicode/Unihan_Variants.txt.bz2";

fn code_point(field: &str) -> Option<u32> {
    u32::from_str_radix(field.strip_prefix("U+")?, 16).ok()
}

/// Traditional characters that `kSimplifiedVariant` leaves unmapped, or maps to a character that
/// is not what the mainland writes, with the simplified character that finds the same words.
/// Each has no simplified variant of its own in Unihan, only semantic variants
/// (`kSemanticVariant`), so the generated table missed 週末 = 周末, 遊戲 = 游戏, 乾淨 = 干净:
/// - the Big5 characters (Taiwan) of `kFrequency` 5 or more common whose semantic variants lead
///   to one GB 2312 character, checked by hand (all but 郤, a surname): Unihan's pick is wrong
///   for 妳 (it points at 奶, "milk"; 妳 is a "you"), 甦 (稣; 甦醒 is 苏醒) and 餵 (诿; 餵 is
///   喂, "feed");
/// - nine such characters whose semantic variants lead to several (佈 佔 兇 唸 昇 洩 牠 讚 遊),
///   resolved by hand;
/// - eleven forms of Hong Kong's standard glyph list that Big5 lacks (裏 衞 爲 啓 綫 羣 峯 牀 麪
///   衆 滙; 滙豐 is HSBC).
///
/// Two characters have a simplified variant in Unihan that is not what the mainland writes in
/// customer-service words, and fold, with that variant, to the character it does write:
/// - 帳 (Unihan: 帐): Taiwan's 帳號 and 帳單 are 账号 and 账单 (the 2013 standard list keeps 帐
///   for curtains and tents), and mainland text itself writes both 帐号 and 账号. So 帳 and 帐
///   fold to 账, which costs nothing but tents and curtains meeting accounts.
/// - 託 (Unihan: 讬): 託運 and 委託 are 托运 and 委托. So 託 and 讬 fold to 托.
///
/// And four more Taiwan forms, less common than the first group but frequent in help texts:
/// 擡 (抬), 綑 (捆), 揹 (背), 蒐 (搜).
const SUPPLEMENT: &[(char, char)] = &[
    ('佈', '布'),
    ('佔', '占'),
    ('倖', '幸'),
    ('僱', '雇'),
    ('兇', '凶'),
    ('勳', '勋'),
    ('叡', '睿'),
    ('唸', '念'),
    ('啓', '启'),
    ('妳', '你'),
    ('峯', '峰'),
    ('崙', '仑'),
    ('巖', '岩'),
    ('帐', '账'),
    ('帳', '账'),
    ('弔', '吊'),
    ('徬', '彷'),
    ('慾', '欲'),
    ('揹', '背'),
    ('擡', '抬'),
    ('昇', '升'),
    ('暱', '昵'),
    ('槓', '杠'),
    ('樑', '梁'),
    ('歎', '叹'),
    ('汎', '泛'),
    ('汙', '污'),
    ('洩', '泄'),
    ('淒', '凄'),
    ('淨', '净'),
    ('湧', '涌'),
    ('溼', '湿'),
    ('滙', '汇'),
    ('燄', '焰'),
    ('爲', '为'),
    ('牀', '床'),
    ('牠', '它'),
    ('璿', '璇'),
    ('甦', '苏'),
    ('痺', '痹'),
    ('癡', '痴'),
    ('盃', '杯'),
    ('砲', '炮'),
    ('祐', '佑'),
    ('祕', '秘'),
    ('篠', '筱'),
    ('籐', '藤'),
    ('紮', '扎'),
    ('絃', '弦'),
    ('綑', '捆'),
    ('綫', '线'),
    ('羣', '群'),
    ('羨', '羡'),
    ('臥', '卧'),
    ('舖', '铺'),
    ('茍', '苟'),
    ('荳', '豆'),
    ('蒐', '搜'),
    ('蠍', '蝎'),
    ('衆', '众'),
    ('衞', '卫'),
    ('裏', '里'),
    ('託', '托'),
    ('証', '证'),
    ('讚', '赞'),
    ('讬', '托'),
    ('貍', '狸'),
    ('蹟', '迹'),
    ('迺', '乃'),
    ('週', '周'),
    ('遊', '游'),
    ('鎚', '锤'),
    ('鑑', '鉴'),
    ('餵', '喂'),
    ('饑', '饥'),
    ('麪', '面'),
];

/// Unihan_Variants.txt as text; `None` when Debian's unicode-data is not installed.
fn unihan_variants() -> Option<String> {
    if !Path::new(SOURCE).exists() {
        return None;
    }
    let output = Command::new("bzcat").arg(SOURCE).output().unwrap();
    assert!(output.status.success(), "bzcat failed");
    Some(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Each character with a `kSimplifiedVariant` field, and the variants it lists, in their order.
fn simplified_variants(variants: &str) -> impl Iterator<Item = (u32, Vec<u32>)> + '_ {
    variants.lines().filter_map(|line| {
        let mut fields = line.split('\t');
        let traditional = code_point(fields.next()?)?;
        if fields.next()? != "kSimplifiedVariant" {
            return None;
        }
        let listed = fields.next()?.split(' ').filter_map(code_point).collect();
        Some((traditional, listed))
    })
}

/// The table as Rust source: every BMP character whose simplified variant differs from it (the
/// first listed that differs: 裡 lists itself, then 里), then [`SUPPLEMENT`] over that.
fn generate(variants: &str) -> String {
    let mut pairs: Vec<(u32, u32)> = simplified_variants(variants)
        .filter_map(|(traditional, listed)| {
            let simplified = listed
                .into_iter()
                .find(|simplified| *simplified != traditional)?;
            (traditional <= 0xFFFF && simplified <= 0xFFFF).then_some((traditional, simplified))
        })
        .collect();
    pairs.retain(|(traditional, _)| {
        !SUPPLEMENT
            .iter()
            .any(|(from, _)| *from as u32 == *traditional)
    });
    pairs.extend(
        SUPPLEMENT
            .iter()
            .map(|(from, to)| (*from as u32, *to as u32)),
    );
    pairs.sort_unstable();
    pairs.dedup_by_key(|pair| pair.0);
    // A character whose simplified variant folds further (薴 → 苧 → 苎) folds all the way, so it
    // meets what the simplified text becomes rather than a form that text no longer holds.
    let table: std::collections::HashMap<u32, u32> = pairs.iter().copied().collect();
    for (_, simplified) in &mut pairs {
        for _ in 0..4 {
            match table.get(simplified) {
                Some(next) if next != simplified => *simplified = *next,
                _ => break,
            }
        }
    }
    let mut out = String::from(
        "//! Traditional → simplified Chinese, one character at a time, for search folding.\n\
         //!\n\
         //! Generated by `UPDATE_EXPECT=1 cargo test -p kefu-core --test hant_table` from the\n\
         //! `kSimplifiedVariant` field of Unicode's Unihan database (Unihan_Variants.txt, Debian\n\
         //! package unicode-data; © Unicode, Inc., Unicode License v3), with a supplement of\n\
         //! Taiwan and Hong Kong forms that field leaves out (see `SUPPLEMENT` there). Do not edit\n\
         //! by hand. Characters outside the Basic Multilingual Plane are left out: they are rare in\n\
         //! customer questions and would double the table's size in the widget.\n\n",
    );
    out.push_str(&format!("/// Sorted by the traditional character: binary-search it.\n#[rustfmt::skip]\npub(crate) static HANT_TO_HANS: [(u16, u16); {}] = [\n", pairs.len()));
    for chunk in pairs.chunks(6) {
        out.push_str("   ");
        for (traditional, simplified) in chunk {
            out.push_str(&format!(" (0x{traditional:04X}, 0x{simplified:04X}),"));
        }
        out.push('\n');
    }
    out.push_str("];\n");
    out
}

/// The supplement is sorted (so a reader finds an entry), and each entry is still needed:
/// Unihan gives its character no simplified variant, or (帳) not the one the mainland writes.
#[test]
fn the_supplement_is_sorted_and_adds_what_unihan_lacks() {
    assert!(SUPPLEMENT.windows(2).all(|pair| pair[0].0 < pair[1].0));
    let Some(variants) = unihan_variants() else {
        return;
    };
    for (traditional, listed) in simplified_variants(&variants) {
        for (from, to) in SUPPLEMENT
            .iter()
            .filter(|(from, _)| *from as u32 == traditional)
        {
            assert!(
                !listed.contains(&(*to as u32)),
                "{from} → {to} is already in Unihan: {listed:X?}"
            );
        }
    }
}

#[test]
fn folding_table_matches_unihan() {
    let Some(variants) = unihan_variants() else {
        eprintln!("skipped: {SOURCE} is missing (apt-get install unicode-data to check the table)");
        return;
    };
    let expected = generate(&variants);
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/hant.rs");
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&path, &expected).unwrap();
        return;
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "src/hant.rs is out of date: rerun with UPDATE_EXPECT=1"
    );
}
