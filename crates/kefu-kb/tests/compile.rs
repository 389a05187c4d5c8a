//! Compiles whole knowledge bases: the real demo KB, and broken ones written to temp directories.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use expect_test::{Expect, expect};

const CONFIG: &str = "default_locale = \"zh-CN\"\nlocales = [\"zh-CN\", \"en\"]\n";

/// A valid article with id-independent content, for KBs that need some.
const GOOD: &str = "---\ntitle: Good\n---\nFine.\n";

/// Writes `files` (paths relative to the KB root) into a fresh `kb/` directory, compiles it and
/// renders every diagnostic with its path relative to the temp directory, so snapshots show
/// exactly what a user in the KB's parent directory would see.
fn check(files: &[(&str, &[u8])], expected: Expect) {
    let temp = tempfile::tempdir().unwrap();
    let kb_dir = temp.path().join("kb");
    std::fs::create_dir(&kb_dir).unwrap();
    for (path, contents) in files {
        let path = kb_dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }
    let compiled = kefu_kb::compile(&kb_dir);
    let mut out = String::new();
    for diagnostic in &compiled.diagnostics {
        assert!(diagnostic.file.starts_with(&kb_dir), "{diagnostic}");
        out.push_str(&format!("{diagnostic}\n"));
    }
    // Paths in messages and hints are the KB directory as given, joined; show them as a user in
    // the KB's parent directory would see them.
    let mut out = out.replace(&format!("{}/", temp.path().display()), "");
    let ids: Vec<String> = compiled
        .documents
        .iter()
        .map(|doc| format!("{}/{}", doc.locale, doc.id))
        .collect();
    out.push_str(&format!("documents: {}\n", ids.join(" ")));
    expected.assert_eq(&out);
}

#[test]
fn real_kb_compiles_cleanly() {
    let kb_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../kb");
    let compiled = kefu_kb::compile(&kb_dir);
    let shown: Vec<String> = compiled
        .diagnostics
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(!compiled.has_errors(), "{}", shown.join("\n"));
    assert!(
        shown.is_empty(),
        "warnings in the demo KB:\n{}",
        shown.join("\n")
    );
    assert_eq!(compiled.documents.len(), 24);
    assert_eq!(compiled.meta.default_locale, "zh-CN");
    assert_eq!(compiled.locales, ["zh-CN", "en"]);
    let zh: Vec<&str> = compiled
        .documents
        .iter()
        .filter(|d| d.locale == "zh-CN")
        .map(|d| d.id.as_str())
        .collect();
    let en: Vec<&str> = compiled
        .documents
        .iter()
        .filter(|d| d.locale == "en")
        .map(|d| d.id.as_str())
        .collect();
    assert_eq!(zh, en, "every article has both translations, sorted by id");
    let sorted = compiled
        .documents
        .windows(2)
        .all(|pair| (&pair[0].locale, &pair[0].id) < (&pair[1].locale, &pair[1].id));
    assert!(sorted, "documents are sorted by (locale, id)");
    let refunds = compiled
        .documents
        .iter()
        .find(|d| d.locale == "en" && d.id == "refunds")
        .unwrap();
    assert_eq!(refunds.title, "When will I get my refund?");
    assert_eq!(refunds.category, "payment");
    assert!(refunds.similar.contains(&"refund not received".to_owned()));
}

#[test]
fn compiling_twice_gives_equal_documents() {
    let kb_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../kb");
    assert_eq!(
        kefu_kb::compile(&kb_dir).documents,
        kefu_kb::compile(&kb_dir).documents
    );
}

#[test]
fn missing_kb_toml() {
    check(
        &[("en/a.md", GOOD.as_bytes())],
        expect![[r#"
        kb/kb.toml:1:1: error: kb.toml is missing: every knowledge base needs one at its root
          hint: create kb/kb.toml containing:
            default_locale = "zh-CN"
            locales = ["zh-CN", "en"]
        documents: en/a
    "#]],
    );
}

#[test]
fn kb_toml_errors() {
    check(
        &[
            (
                "kb.toml",
                b"default_locale = \"fr\"\nlocales = [\"zh-CN\", \"en\"]\n",
            ),
            ("en/a.md", GOOD.as_bytes()),
        ],
        expect![[r#"
            kb/kb.toml:1:1: error: default_locale `fr` is not one of the locales (zh-CN, en)
              hint: add `fr` to `locales`
            documents: en/a
        "#]],
    );
    check(
        &[(
            "kb.toml",
            b"default_locale = \"en\"\nlocales = [\"en\"]\nthme = 1\n",
        )],
        expect![[r#"
        kb/kb.toml:3:1: error: unknown field `thme`, expected `default_locale` or `locales`
          hint: kb.toml looks like this:
            default_locale = "zh-CN"
            locales = ["zh-CN", "en"]
        documents: 
    "#]],
    );
}

#[test]
fn bad_locale_dir() {
    check(
        &[
            ("kb.toml", CONFIG.as_bytes()),
            ("zh-cn/a.md", GOOD.as_bytes()),
            ("fr/a.md", GOOD.as_bytes()),
            ("en/a.md", GOOD.as_bytes()),
        ],
        expect![[r#"
            kb/fr:1:1: error: directory `fr` is not a locale of this knowledge base
              hint: the locales in kb.toml are: zh-CN, en; add `fr` to `locales` there, or move the directory out of the KB
            kb/kb.toml:2:1: warning: locale `zh-CN` has no directory, so it has no articles
              hint: create kb/zh-CN and put its articles there
            kb/zh-cn:1:1: error: directory `zh-cn` is not a locale of this knowledge base
              hint: did you mean `zh-CN`? The locales in kb.toml are: zh-CN, en
            documents: en/a
        "#]],
    );
}

#[test]
fn ignored_files() {
    check(
        &[
            ("kb.toml", CONFIG.as_bytes()),
            ("README.txt", b"notes"),
            ("zh-CN/.draft.md", b"not front matter"),
            ("zh-CN/notes.txt", b"ignored"),
            ("zh-CN/sub/a.md", GOOD.as_bytes()),
            ("en/a.md", GOOD.as_bytes()),
            ("stray.md", GOOD.as_bytes()),
        ],
        expect![[r#"
            kb/stray.md:1:1: error: this article is not in a locale directory
              hint: move it into the directory of its locale, e.g. kb/zh-CN/stray.md
            documents: en/a zh-CN/a
        "#]],
    );
}

#[test]
fn missing_title() {
    check(
        &[
            ("kb.toml", CONFIG.as_bytes()),
            ("en/a.md", b"---\ncategory: payment\n---\nText.\n"),
        ],
        expect![[r#"
        kb/en/a.md:1:1: error: the front matter has no `title`
          hint: add a line such as `title: How do I get a refund?` between the `---` lines
        kb/kb.toml:2:1: warning: locale `zh-CN` has no directory, so it has no articles
          hint: create kb/zh-CN and put its articles there
        documents: en/a
    "#]],
    );
}

#[test]
fn unknown_key_with_suggestion() {
    check(
        &[
            ("kb.toml", CONFIG.as_bytes()),
            ("en/a.md", b"---\ntitle: A\ncatgory: payment\n---\nText.\n"),
        ],
        expect![[r#"
        kb/en/a.md:3:1: error: unknown front-matter key `catgory`
          hint: did you mean `category`?
        kb/kb.toml:2:1: warning: locale `zh-CN` has no directory, so it has no articles
          hint: create kb/zh-CN and put its articles there
        documents: en/a
    "#]],
    );
}

#[test]
fn unclosed_front_matter() {
    check(
        &[
            ("kb.toml", CONFIG.as_bytes()),
            ("en/a.md", b"---\ntitle: A\ntags: [x]\n\nText.\n"),
        ],
        expect![[r#"
        kb/en/a.md:5:1: error: the front matter opened on line 1 is not closed: a line `---` is missing before this line
          hint: add a line `---` between the last front-matter key and the article text
        kb/kb.toml:2:1: warning: locale `zh-CN` has no directory, so it has no articles
          hint: create kb/zh-CN and put its articles there
        documents: 
    "#]],
    );
}

#[test]
fn raw_html_script() {
    check(
        &[("kb.toml", CONFIG.as_bytes()), ("en/a.md", b"---\ntitle: A\n---\nIntro.\n\n<script>alert(1)</script>\n\nText with <script>x</script> inline.\n")],
        expect![[r#"
            kb/en/a.md:6:1: error: HTML is not allowed in articles (line 6); use Markdown
              hint: write **bold**, *emphasis*, [links](https://…) and lists in Markdown; to show a literal `<`, write `\<`
            kb/en/a.md:8:11: error: HTML is not allowed in articles (line 8); use Markdown
              hint: write **bold**, *emphasis*, [links](https://…) and lists in Markdown; to show a literal `<`, write `\<`
            kb/kb.toml:2:1: warning: locale `zh-CN` has no directory, so it has no articles
              hint: create kb/zh-CN and put its articles there
            documents: en/a
        "#]],
    );
}

#[test]
fn javascript_link() {
    check(
        &[
            ("kb.toml", CONFIG.as_bytes()),
            (
                "en/a.md",
                b"---\ntitle: A\n---\n\nClick [here](javascript:alert(1)).\n",
            ),
        ],
        expect![[r#"
            kb/en/a.md:5:14: error: links may only point to article:<id>, http(s) or mailto: URLs, not `javascript:`
              hint: link to another article with [text](article:<id>), or to a web page with [text](https://…)
            kb/kb.toml:2:1: warning: locale `zh-CN` has no directory, so it has no articles
              hint: create kb/zh-CN and put its articles there
            documents: en/a
        "#]],
    );
}

#[test]
fn broken_article_link_with_suggestion() {
    check(
        &[
            ("kb.toml", CONFIG.as_bytes()),
            (
                "zh-CN/refunds.md",
                "---\ntitle: 退款\n---\n见 [退货](article:returns)。\n".as_bytes(),
            ),
            (
                "en/refunds.md",
                b"---\ntitle: Refunds\n---\nSee [returns](article:returns-and-exchanges).\n",
            ),
            (
                "en/returns-and-exchanges.md",
                b"---\ntitle: Returns\n---\nSee [refunds](article:refund).\n",
            ),
        ],
        expect![[r#"
            kb/en/returns-and-exchanges.md:4:15: error: link to a missing article `refund`
              hint: did you mean 'refunds'?
            kb/zh-CN/refunds.md:4:8: error: link to a missing article `returns`
              hint: did you mean 'returns-and-exchanges'?
            documents: en/refunds en/returns-and-exchanges zh-CN/refunds
        "#]],
    );
}

#[test]
fn duplicate_id() {
    check(
        &[
            ("kb.toml", CONFIG.as_bytes()),
            ("en/a.md", GOOD.as_bytes()),
            ("en/old/a.md", GOOD.as_bytes()),
            ("en/b.md", b"---\ntitle: B\nid: a\n---\nText.\n"),
        ],
        expect![[r#"
            kb/en/b.md:3:5: error: duplicate article id `a` in locale en: also kb/en/a.md
              hint: ids must be unique within a locale: rename one of the files, or change its `id:`
            kb/en/old/a.md:1:1: error: duplicate article id `a` in locale en: also kb/en/a.md
              hint: ids must be unique within a locale: rename one of the files, or change its `id:`
            kb/kb.toml:2:1: warning: locale `zh-CN` has no directory, so it has no articles
              hint: create kb/zh-CN and put its articles there
            documents: en/a
        "#]],
    );
}

#[test]
fn bad_ids_and_locale_override() {
    check(
        &[
            ("kb.toml", CONFIG.as_bytes()),
            ("en/Refund Policy.md", GOOD.as_bytes()),
            (
                "en/退款.md",
                b"---\ntitle: T\nid: refund-zh\nlocale: zh-CN\n---\nText.\n",
            ),
            (
                "en/ok.md",
                b"---\ntitle: T\nid: Not_OK\nlocale: en\n---\nText.\n",
            ),
        ],
        expect![[r#"
            kb/en/Refund Policy.md:1:1: error: `Refund Policy` is not a valid article id: use lowercase ASCII letters, digits and `-`
              hint: rename the file to `refund-policy.md`, or set `id: refund-policy` in its front matter
            kb/en/ok.md:3:5: error: `Not_OK` is not a valid article id: use lowercase ASCII letters, digits and `-`
              hint: change `id:` to `not-ok`
            kb/en/退款.md:4:9: error: `locale: zh-CN` does not match the directory the file is in (kb/en)
              hint: the directory decides the locale: remove the `locale:` line, or move the file to kb/zh-CN
            kb/kb.toml:2:1: warning: locale `zh-CN` has no directory, so it has no articles
              hint: create kb/zh-CN and put its articles there
            documents: en/refund-zh
        "#]],
    );
}

#[test]
fn invalid_utf8() {
    check(
        &[
            ("kb.toml", CONFIG.as_bytes()),
            (
                "zh-CN/a.md",
                b"---\ntitle: A\n---\nok\nab\xcd\xcb\xbf\xee\n",
            ),
        ],
        expect![[r#"
        kb/kb.toml:2:1: warning: locale `en` has no directory, so it has no articles
          hint: create kb/en and put its articles there
        kb/zh-CN/a.md:5:3: error: the file is not valid UTF-8 (byte 0xCD on line 5)
          hint: save the file as UTF-8; files saved as GBK or GB18030 by older editors are a common cause
        documents: 
    "#]],
    );
}

#[test]
fn warnings_do_not_stop_the_build() {
    check(
        &[
            ("kb.toml", CONFIG.as_bytes()),
            (
                "zh-CN/a.md",
                "---\ntitle: A\n---\n# 标题\n\n正文。\n".as_bytes(),
            ),
            ("zh-CN/empty.md", b"---\ntitle: E\n---\n"),
        ],
        expect![[r#"
            kb/kb.toml:2:1: warning: locale `en` has no directory, so it has no articles
              hint: create kb/en and put its articles there
            kb/zh-CN/a.md:4:1: warning: a level-1 heading in the body: the title comes from front matter; use ##
              hint: section headings start at `##`; this one is shown as `##`
            kb/zh-CN/empty.md:4:1: warning: the article has no text after its front matter
              hint: customers in zh-CN will find the title and nothing else
            documents: zh-CN/a zh-CN/empty
        "#]],
    );
}

#[test]
fn every_problem_in_every_file_is_reported_in_one_run() {
    check(
        &[
            ("kb.toml", CONFIG.as_bytes()),
            ("en/a.md", b"---\ntitle: A\ntitel: typo\n---\n<div>x</div>\n\n[x](javascript:void(0)) and [y](article:bb)\n"),
            ("en/b.md", b"---\ncategory: c\n---\n![img](https://example.com/x.png)\n"),
            ("zh-CN/c.md", b"---\ntitle: C\n"),
            ("zh-CN/d.md", b"---\ntitle: D\n---\n| a | b |\n|---|---|\n| 1 | 2 |\n"),
            ("fr/e.md", GOOD.as_bytes()),
        ],
        expect![[r#"
            kb/en/a.md:3:1: error: unknown front-matter key `titel`
              hint: did you mean `title`?
            kb/en/a.md:5:1: error: HTML is not allowed in articles (line 5); use Markdown
              hint: write **bold**, *emphasis*, [links](https://…) and lists in Markdown; to show a literal `<`, write `\<`
            kb/en/a.md:7:5: error: links may only point to article:<id>, http(s) or mailto: URLs, not `javascript:`
              hint: link to another article with [text](article:<id>), or to a web page with [text](https://…)
            kb/en/a.md:7:33: error: link to a missing article `bb`
              hint: did you mean 'b'?
            kb/en/b.md:1:1: error: the front matter has no `title`
              hint: add a line such as `title: How do I get a refund?` between the `---` lines
            kb/en/b.md:4:1: error: images are not supported in articles yet
              hint: remove the image, or link to it with [description](https://…)
            kb/fr:1:1: error: directory `fr` is not a locale of this knowledge base
              hint: the locales in kb.toml are: zh-CN, en; add `fr` to `locales` there, or move the directory out of the KB
            kb/zh-CN/c.md:2:1: error: the front matter opened on line 1 is not closed: the file ends without a line `---`
              hint: add a line `---` after the last front-matter key, then the article text
            kb/zh-CN/d.md:4:1: error: tables are not supported in articles yet
              hint: write the rows as a list instead
            documents: en/a en/b zh-CN/d
        "#]],
    );
}
