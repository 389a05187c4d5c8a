//! `kb.toml`: the settings at the root of a knowledge base.

use serde::Deserialize;

use crate::diagnostic::{LineIndex, Problem, closest};

/// The name of the settings file at the KB root.
pub const CONFIG_FILE: &str = "kb.toml";

/// What a new `kb.toml` should look like; shown whenever the file is missing or wrong.
pub const EXAMPLE: &str = "default_locale = \"zh-CN\"\nlocales = [\"zh-CN\", \"en\"]";

/// The parsed settings.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The locale customers see when an article has no translation in theirs.
    pub default_locale: String,
    /// Every locale of the KB; each is a directory under the KB root.
    pub locales: Vec<String>,
    /// Groups of words or phrases customers use interchangeably, in any locale:
    /// `synonyms = [["退货", "退换货", "return"], ["登录", "登入", "sign in"]]`.
    #[serde(default)]
    pub synonyms: Vec<Vec<String>>,
    /// Word pairs the compiler must not learn as synonyms from FAQ similar questions (see
    /// `kefu kb synonyms --learned`): `learned_synonyms_veto = [["card", "account"]]`.
    #[serde(default)]
    pub learned_synonyms_veto: Vec<[String; 2]>,
    /// Images larger than this many kilobytes are a warning (`image_budget_kb = 300`); `None`
    /// means the default of 200 KB.
    #[serde(default)]
    pub image_budget_kb: Option<u32>,
}

/// Parses and checks `kb.toml`. Returns the settings when they are usable, and every problem.
pub(crate) fn parse(text: &str) -> (Option<Config>, Vec<Problem>) {
    let line_index = LineIndex::new(text);
    let config: Config = match toml::from_str(text) {
        Ok(config) => config,
        Err(error) => {
            let (line, col) = error
                .span()
                .map_or((1, 1), |span| line_index.line_col(span.start));
            let problem = Problem::error(line, col, error.message().trim().to_owned())
                .with_hint(format!("kb.toml looks like this:\n{}", indent(EXAMPLE)));
            return (None, vec![problem]);
        }
    };

    let mut problems = Vec::new();
    let locales_at = locate_key(text, "locales");
    if config.locales.is_empty() {
        problems.push(
            Problem::error(locales_at.0, locales_at.1, "`locales` is empty")
                .with_hint("list every locale the KB has, e.g. locales = [\"zh-CN\", \"en\"]"),
        );
    }
    for (locale_idx, locale) in config.locales.iter().enumerate() {
        if !is_locale_tag(locale) {
            problems.push(
                Problem::error(
                    locales_at.0,
                    locales_at.1,
                    format!("`{locale}` is not a locale tag"),
                )
                .with_hint(
                    "use BCP 47 tags such as zh-CN, zh-TW or en; each one is a directory name",
                ),
            );
        }
        if config.locales[..locale_idx].contains(locale) {
            problems.push(Problem::error(
                locales_at.0,
                locales_at.1,
                format!("`locales` lists `{locale}` twice"),
            ));
        }
    }
    if !config.locales.contains(&config.default_locale) {
        let (line, col) = locate_key(text, "default_locale");
        let mut problem = Problem::error(
            line,
            col,
            format!(
                "default_locale `{}` is not one of the locales ({})",
                config.default_locale,
                config.locales.join(", ")
            ),
        );
        problem = match closest(
            &config.default_locale,
            config.locales.iter().map(String::as_str),
            1,
        ) {
            Some(suggestion) => problem.with_hint(format!("did you mean `{suggestion}`?")),
            None => problem.with_hint(format!("add `{}` to `locales`", config.default_locale)),
        };
        problems.push(problem);
    }
    let synonyms_at = locate_key(text, "synonyms");
    let mut seen: Vec<(String, usize)> = Vec::new();
    for (group_idx, group) in config.synonyms.iter().enumerate() {
        if group
            .iter()
            .filter(|phrase| !phrase.trim().is_empty())
            .count()
            < 2
        {
            problems.push(
                Problem::error(
                    synonyms_at.0,
                    synonyms_at.1,
                    format!("synonym group {} has fewer than two words", group_idx + 1),
                )
                .with_hint("a group lists words that mean the same, e.g. [\"退货\", \"退换货\", \"return\"]"),
            );
        }
        for phrase in group {
            let key = phrase.trim().to_lowercase();
            if key.is_empty() {
                problems.push(
                    Problem::error(
                        synonyms_at.0,
                        synonyms_at.1,
                        format!("synonym group {} has an empty entry", group_idx + 1),
                    )
                    .with_hint("remove the empty \"\" from the group"),
                );
            } else if let Some((_, other)) = seen.iter().find(|(p, g)| *p == key && *g != group_idx)
            {
                problems.push(
                    Problem::error(
                        synonyms_at.0,
                        synonyms_at.1,
                        format!(
                            "`{phrase}` is in synonym groups {} and {}",
                            other + 1,
                            group_idx + 1
                        ),
                    )
                    .with_hint("merge the two groups, or keep the word in one of them"),
                );
            } else {
                seen.push((key, group_idx));
            }
        }
    }
    let veto_at = locate_key(text, "learned_synonyms_veto");
    for pair in &config.learned_synonyms_veto {
        for word in pair {
            if crate::learn::single_term(word).is_none() {
                problems.push(
                    Problem::error(
                        veto_at.0,
                        veto_at.1,
                        format!("`{word}` in learned_synonyms_veto is not one learnable word"),
                    )
                    .with_hint(
                        "copy the pair as `kefu kb synonyms --learned` lists it: one English word of three or more letters, or two Chinese characters, on each side",
                    ),
                );
            }
        }
    }
    let usable = problems.is_empty();
    (usable.then_some(config), problems)
}

/// Whether `tag` looks like a BCP 47 tag: ASCII letters and digits in hyphen-separated parts. It
/// becomes a directory name and part of the widget's API, so nothing fancier is allowed.
fn is_locale_tag(tag: &str) -> bool {
    !tag.is_empty()
        && tag
            .split('-')
            .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// Where `key = …` starts in `text`, for problems found after deserializing (which forgets spans).
pub(crate) fn locate_key(text: &str, key: &str) -> (u32, u32) {
    let line_idx = text.lines().position(|line| {
        line.trim_start()
            .strip_prefix(key)
            .is_some_and(|rest| rest.trim_start().starts_with('='))
    });
    line_idx.map_or((1, 1), |line_idx| {
        let line = text.lines().nth(line_idx).unwrap_or_default();
        let indent = line.chars().take_while(|c| c.is_whitespace()).count();
        (
            crate::diagnostic::to_u32(line_idx + 1),
            crate::diagnostic::to_u32(indent + 1),
        )
    })
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|line| format!("    {line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<String> {
        parse(text)
            .1
            .into_iter()
            .map(|p| format!("{}:{}: {}", p.line, p.col, p.message))
            .collect()
    }

    #[test]
    fn valid() {
        let (config, problems) = parse(EXAMPLE);
        assert!(problems.is_empty());
        assert_eq!(
            config,
            Some(Config {
                default_locale: "zh-CN".into(),
                locales: vec!["zh-CN".into(), "en".into()],
                synonyms: Vec::new(),
                learned_synonyms_veto: Vec::new(),
                image_budget_kb: None,
            })
        );
    }

    #[test]
    fn unknown_key_is_named() {
        let found = problems("default_locale = \"en\"\nlocales = [\"en\"]\ntheme = \"dark\"\n");
        assert_eq!(found.len(), 1);
        assert!(
            found[0].starts_with("3:1: unknown field `theme`"),
            "{found:?}"
        );
    }

    #[test]
    fn synonym_groups_are_checked() {
        let (config, found) = parse(
            "default_locale = \"en\"\nlocales = [\"en\"]\nsynonyms = [[\"退货\", \"return\"], [\"Return\", \"send back\"], [\"alone\"], [\"x\", \"\"]]\n",
        );
        assert!(config.is_none());
        let found: Vec<String> = found
            .into_iter()
            .map(|p| format!("{}:{}: {}", p.line, p.col, p.message))
            .collect();
        assert_eq!(
            found,
            [
                "3:1: `Return` is in synonym groups 1 and 2",
                "3:1: synonym group 3 has fewer than two words",
                "3:1: synonym group 4 has fewer than two words",
                "3:1: synonym group 4 has an empty entry",
            ]
        );
        let (config, found) = parse(
            "default_locale = \"en\"\nlocales = [\"en\"]\nsynonyms = [[\"登录\", \"sign out\"]]\n",
        );
        assert!(found.is_empty());
        assert_eq!(config.map(|c| c.synonyms.len()), Some(1));
    }

    #[test]
    fn default_locale_must_be_listed() {
        let found = problems("default_locale = \"zh-cn\"\nlocales = [\"zh-CN\", \"en\"]\n");
        assert_eq!(
            found,
            ["1:1: default_locale `zh-cn` is not one of the locales (zh-CN, en)"]
        );
    }

    #[test]
    fn bad_tags() {
        let found = problems("default_locale = \"en\"\n  locales = [\"en\", \"en\", \"zh CN\"]\n");
        assert_eq!(
            found,
            [
                "2:3: `locales` lists `en` twice",
                "2:3: `zh CN` is not a locale tag"
            ]
        );
    }

    #[test]
    fn learned_synonym_vetoes_name_one_word_a_side() {
        assert_eq!(
            problems(
                "default_locale = \"en\"\nlocales = [\"en\"]\nlearned_synonyms_veto = [[\"card\", \"account\"], [\"登录\", \"sign out\"]]\n"
            ),
            ["3:1: `sign out` in learned_synonyms_veto is not one learnable word"]
        );
        let (config, _) = parse(
            "default_locale = \"en\"\nlocales = [\"en\"]\nlearned_synonyms_veto = [[\"card\", \"account\"]]\n",
        );
        assert_eq!(config.map(|c| c.learned_synonyms_veto.len()), Some(1));
    }
}
