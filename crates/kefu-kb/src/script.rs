//! Simplified characters in traditional-Chinese sources: a warning for editors, who often start a
//! zh-TW article from its zh-CN twin and miss a character or two. Search folds both scripts, so
//! customers still find the article; they just read a character their region does not write.

use crate::hans::SIMPLIFIED_ONLY;

/// Whether a KB locale is written in traditional characters: `zh-TW`, `zh-HK`, `zh-MO` and any
/// tag with the `Hant` script.
///
/// ```ignore
/// assert!(is_traditional("zh-TW") && is_traditional("zh-Hant-SG") && !is_traditional("zh-CN"));
/// ```
pub(crate) fn is_traditional(locale: &str) -> bool {
    let subtags: Vec<&str> = locale.split(['-', '_']).collect();
    let has = |wanted: &[&str]| {
        subtags
            .iter()
            .skip(1)
            .any(|subtag| wanted.iter().any(|w| subtag.eq_ignore_ascii_case(w)))
    };
    subtags
        .first()
        .is_some_and(|language| language.eq_ignore_ascii_case("zh"))
        && !has(&["Hans"])
        && has(&["Hant", "TW", "HK", "MO"])
}

/// The traditional forms of `c` when `c` is written only in simplified Chinese: 這 for 这,
/// 發 and 髮 for 发. Empty for any other character.
pub(crate) fn traditional_of(c: char) -> Vec<char> {
    let Ok(code) = u16::try_from(u32::from(c)) else {
        return Vec::new();
    };
    let start = SIMPLIFIED_ONLY.partition_point(|&(simplified, _)| simplified < code);
    SIMPLIFIED_ONLY[start..]
        .iter()
        .take_while(|&&(simplified, _)| simplified == code)
        .filter_map(|&(_, traditional)| char::from_u32(u32::from(traditional)))
        .collect()
}

/// A simplified-only character and its traditional forms.
pub(crate) type Found = (char, Vec<char>);

/// The simplified-only characters of `text`: the byte offset of the first one, and each distinct
/// one in order of appearance with its traditional forms. `None` when there are none.
pub(crate) fn simplified_in(text: &str) -> Option<(usize, Vec<Found>)> {
    let mut first = None;
    let mut found: Vec<Found> = Vec::new();
    for (offset, c) in text.char_indices() {
        if found.iter().any(|(seen, _)| *seen == c) {
            continue;
        }
        let traditional = traditional_of(c);
        if !traditional.is_empty() {
            first.get_or_insert(offset);
            found.push((c, traditional));
        }
    }
    first.map(|offset| (offset, found))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traditional_locales() {
        for locale in ["zh-TW", "zh-HK", "zh-MO", "zh-Hant", "zh-Hant-SG", "zh_tw"] {
            assert!(is_traditional(locale), "{locale}");
        }
        for locale in ["zh-CN", "zh", "zh-Hans-HK", "en", "en-TW"] {
            assert!(!is_traditional(locale), "{locale}");
        }
    }

    #[test]
    fn finds_simplified_only_characters_and_their_traditional_forms() {
        assert_eq!(
            simplified_in("退貨這樣做：这里和们"),
            Some((18, vec![('这', vec!['這']), ('们', vec!['們'])]))
        );
        // 了, 只 and 面 are traditional too; 這 is traditional already.
        assert_eq!(simplified_in("只要了解這一面"), None);
        assert_eq!(simplified_in("plain English"), None);
        assert_eq!(traditional_of('尽'), ['儘', '盡']);
    }
}
