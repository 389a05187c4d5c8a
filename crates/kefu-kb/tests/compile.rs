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
    // 42 articles, 15 FAQ entries and 6 flows in each of the three locales.
    assert_eq!(compiled.documents.len(), 189);
    let n_flows = compiled
        .documents
        .iter()
        .filter(|d| d.kind == kefu_core::DocKind::Flow)
        .count();
    assert_eq!(n_flows, 18);
    let n_faq = compiled
        .documents
        .iter()
        .filter(|d| d.kind == kefu_core::DocKind::Faq)
        .count();
    assert_eq!(n_faq, 45);
    assert_eq!(compiled.meta.default_locale, "zh-CN");
    assert_eq!(compiled.locales, ["zh-CN", "zh-TW", "en"]);
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
    let tw: Vec<&str> = compiled
        .documents
        .iter()
        .filter(|d| d.locale == "zh-TW")
        .map(|d| d.id.as_str())
        .collect();
    assert_eq!(zh, en, "every article has every translation, sorted by id");
    assert_eq!(tw, en, "every article has every translation, sorted by id");
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

    let invoice_faq = compiled
        .documents
        .iter()
        .find(|d| d.locale == "zh-CN" && d.id == "can-i-get-an-invoice")
        .unwrap();
    assert_eq!(invoice_faq.kind, kefu_core::DocKind::Faq);
    assert_eq!(invoice_faq.title, "能开发票吗？");
    assert_eq!(invoice_faq.category, "invoices");
    assert!(invoice_faq.body_text().contains("电子发票"));
    let store_faq = compiled
        .documents
        .iter()
        .find(|d| d.locale == "en" && d.id == "physical-store")
        .unwrap();
    assert_eq!(
        store_faq.category, "general",
        "an empty category is the default"
    );
    assert_eq!(store_faq.similar.len(), 3);
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
            kb/kb.toml:3:1: error: unknown field `thme`, expected one of `default_locale`, `locales`, `synonyms`, `learned_synonyms_veto`, `image_budget_kb`
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
              hint: `fr` looks like a language tag: if it is a locale, add `fr` to `locales` in kb.toml (now: zh-CN, en); if it is not, rename the directory so it does not look like one: outside the locale directories only FAQ tables are read, and entries without a `locale` get the default, zh-CN
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
fn raw_html_script_is_dropped_with_a_warning() {
    check(
        &[("kb.toml", CONFIG.as_bytes()), ("en/a.md", b"---\ntitle: A\n---\nIntro.\n\n<script>alert(1)</script>\n\nText with <script>x</script> inline.\n")],
        expect![[r#"
            kb/en/a.md:6:1: warning: HTML `<script>` is not allowed in articles: it and its content are dropped
              hint: only <b>, <strong>, <i>, <em>, <code>, <kbd> and <br> are kept; write the rest in Markdown
            kb/en/a.md:8:11: warning: HTML `<script>` is not allowed in articles: it and its content are dropped
              hint: only <b>, <strong>, <i>, <em>, <code>, <kbd> and <br> are kept; write the rest in Markdown
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
fn simplified_characters_in_traditional_chinese_text_are_pointed_out() {
    check(
        &[
            (
                "kb.toml",
                b"default_locale = \"zh-TW\"\nlocales = [\"zh-TW\", \"zh-CN\"]\n",
            ),
            // 了, 只 and 面 are traditional too; 这 and 们 are not.
            (
                "zh-TW/refund.md",
                "---\ntitle: 退款\n---\n只要了解這一面。\n\n我们会尽快处理这件事。\n".as_bytes(),
            ),
            ("zh-TW/ok.md", "---\ntitle: 退貨\n---\n我們會盡快處理。\n".as_bytes()),
            (
                "zh-TW/faq.faq.jsonl",
                "{\"id\":\"a\",\"question\":\"運費\",\"similar\":[\"运费多少\"],\"answer\":\"免運。\"}\n"
                    .as_bytes(),
            ),
            // Simplified text in a simplified locale is what it should be.
            ("zh-CN/refund.md", "---\ntitle: 退款\n---\n我们会尽快处理这件事。\n".as_bytes()),
        ],
        expect![[r#"
            kb/zh-TW/faq.faq.jsonl:1:1: warning: simplified Chinese characters in zh-TW text: 运 费
              hint: write them as 運 費: customers reading zh-TW expect traditional characters (search finds the text either way)
            kb/zh-TW/refund.md:6:2: warning: simplified Chinese characters in zh-TW text: 们 会 尽 处 这
              hint: write them as 們 會 儘/盡 處 這: customers reading zh-TW expect traditional characters (search finds the text either way)
            documents: zh-CN/refund zh-TW/a zh-TW/ok zh-TW/refund
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
            kb/en/a.md:5:1: warning: HTML `<div>` is not allowed in articles: the tag is dropped, its text is kept
              hint: only <b>, <strong>, <i>, <em>, <code>, <kbd> and <br> are kept; write the rest in Markdown
            kb/en/a.md:7:5: error: links may only point to article:<id>, http(s) or mailto: URLs, not `javascript:`
              hint: link to another article with [text](article:<id>), or to a web page with [text](https://…)
            kb/en/a.md:7:33: error: link to a missing article `bb`
              hint: did you mean 'b'?
            kb/en/b.md:1:1: error: the front matter has no `title`
              hint: add a line such as `title: How do I get a refund?` between the `---` lines
            kb/en/b.md:4:1: error: images must be files in the knowledge base, not `https:` URLs
              hint: download the picture into the KB (e.g. images/) and write its path relative to this file: remote images break offline, leak visitors to another server and are blocked by strict CSPs
            kb/fr:1:1: error: directory `fr` is not a locale of this knowledge base
              hint: `fr` looks like a language tag: if it is a locale, add `fr` to `locales` in kb.toml (now: zh-CN, en); if it is not, rename the directory so it does not look like one: outside the locale directories only FAQ tables are read, and entries without a `locale` get the default, zh-CN
            kb/zh-CN/c.md:2:1: error: the front matter opened on line 1 is not closed: the file ends without a line `---`
              hint: add a line `---` after the last front-matter key, then the article text
            documents: en/a en/b zh-CN/d
        "#]],
    );
}

// FAQ tables. Each test names one class of problem; positions are checked exactly.

const FAQ_CSV_HEADER: &str = "id,question,similar,answer,category,locale\n";

/// Renders the compiled documents in full, for the tests that check what an entry becomes.
fn render_documents(files: &[(&str, &[u8])]) -> String {
    let temp = tempfile::tempdir().unwrap();
    let kb_dir = temp.path().join("kb");
    for (path, contents) in files {
        let path = kb_dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }
    let compiled = kefu_kb::compile(&kb_dir);
    assert!(
        compiled.diagnostics.is_empty(),
        "{:?}",
        compiled.diagnostics
    );
    let mut out = String::new();
    for doc in &compiled.documents {
        out.push_str(&format!(
            "{}/{} {:?} title={:?} category={} similar={:?} tags={:?}\n  {:?}\n",
            doc.locale, doc.id, doc.kind, doc.title, doc.category, doc.similar, doc.tags, doc.body
        ));
    }
    out
}

#[test]
fn faq_tables_become_documents() {
    let out = render_documents(&[
        ("kb.toml", CONFIG.as_bytes()),
        ("zh-CN/a.md", GOOD.as_bytes()),
        // At the root: each entry names its locale, or gets the default one.
        (
            "shop.faq.jsonl",
            "{\"id\": \"hours\", \"question\": \"几点上班？\", \"similar\": [\"客服时间\"], \"answer\": \"每天 **9:00–21:00**，见 [A](article:a)。\"}\n\n{\"id\": \"hours\", \"question\": \"When are you open?\", \"answer\": \"Daily.\", \"locale\": \"en\", \"category\": \"contact\"}\n".as_bytes(),
        ),
        // In a locale directory, with a BOM, CRLF, a quoted comma and a multi-line answer.
        (
            "en/sub/more.faq.csv",
            b"\xEF\xBB\xBFanswer,id,question,similar\r\n\"Yes, we do.\r\n\r\n- one\r\n- two\",cod,\"Cash, on delivery?\", COD | cash ||\r\n",
        ),
    ]);
    expect![[r#"
        en/cod Faq title="Cash, on delivery?" category=general similar=["COD", "cash"] tags=[]
          [Paragraph([Text("Yes, we do.")]), List { ordered: false, items: [[Paragraph([Text("one")])], [Paragraph([Text("two")])]] }]
        en/hours Faq title="When are you open?" category=contact similar=[] tags=[]
          [Paragraph([Text("Daily.")])]
        zh-CN/a Article title="Good" category=general similar=[] tags=[]
          [Paragraph([Text("Fine.")])]
        zh-CN/hours Faq title="几点上班？" category=general similar=["客服时间"] tags=[]
          [Paragraph([Text("每天 "), Strong([Text("9:00–21:00")]), Text("，见 "), ArticleLink { text: [Text("A")], id: "a" }, Text("。")])]
    "#]]
    .assert_eq(&out);
}

#[test]
fn faq_missing_required_key_or_column() {
    check(
        &[
            ("kb.toml", CONFIG.as_bytes()),
            ("en/a.md", GOOD.as_bytes()),
            ("zh-CN/a.md", GOOD.as_bytes()),
            (
                "zh-CN/q.faq.jsonl",
                b"{\"id\": \"x\", \"question\": \"Q\", \"answer\": \"A\"}\n{\"id\": \"y\", \"answer\": \"A\"}\n{\"question\": \"Q\"}\n",
            ),
            ("en/q.faq.csv", b"question,answer\nQ,A\n"),
        ],
        expect![[r#"
            kb/en/q.faq.csv:1:1: error: the header has no `id` column, which is required
              hint: the header names the columns in any order: id, question and answer are required; similar, category and locale are optional
            kb/zh-CN/q.faq.jsonl:2:1: error: this entry has no `question` (a required key)
              hint: add "question": "…"; every entry needs id, question and answer
            kb/zh-CN/q.faq.jsonl:3:1: error: this entry has no `id` (a required key)
              hint: add "id": "…"; every entry needs id, question and answer
            kb/zh-CN/q.faq.jsonl:3:1: error: this entry has no `answer` (a required key)
              hint: add "answer": "…"; every entry needs id, question and answer
            documents: en/a zh-CN/a zh-CN/x
        "#]],
    );
}

#[test]
fn faq_duplicate_ids() {
    check(
        &[
            ("kb.toml", CONFIG.as_bytes()),
            ("en/refunds.md", GOOD.as_bytes()),
            ("zh-CN/a.md", GOOD.as_bytes()),
            (
                "en/a.faq.csv",
                b"id,question,answer\nhours,Q,A\nhours,Q2,A2\nrefunds,Q3,A3\n",
            ),
            (
                "en/b.faq.jsonl",
                b"{\"id\": \"hours\", \"question\": \"Q\", \"answer\": \"A\"}\n",
            ),
            // The same id in another locale is a translation, not a duplicate.
            (
                "shop.faq.jsonl",
                b"{\"id\": \"hours\", \"question\": \"Q\", \"answer\": \"A\"}\n",
            ),
        ],
        expect![[r#"
            kb/en/a.faq.csv:3:1: error: duplicate FAQ id `hours` in locale en: also kb/en/a.faq.csv:2
              hint: ids must be unique within a locale, across articles and FAQ entries: change this entry's id
            kb/en/a.faq.csv:4:1: error: duplicate FAQ id `refunds` in locale en: also kb/en/refunds.md
              hint: ids must be unique within a locale, across articles and FAQ entries: change this entry's id
            kb/en/b.faq.jsonl:1:8: error: duplicate FAQ id `hours` in locale en: also kb/en/a.faq.csv:2
              hint: ids must be unique within a locale, across articles and FAQ entries: change this entry's id
            documents: en/hours en/refunds zh-CN/a zh-CN/hours
        "#]],
    );
}

#[test]
fn faq_empty_question_or_answer_and_invalid_id() {
    check(
        &[
            ("kb.toml", CONFIG.as_bytes()),
            ("zh-CN/a.md", GOOD.as_bytes()),
            (
                "en/q.faq.csv",
                "id,question,answer\nok,\"  \",A\nok2,Q,\nCash On Delivery,Q,A\n营业时间,What are your opening hours?,A\n,Q,A\n".as_bytes(),
            ),
        ],
        expect![[r#"
            kb/en/q.faq.csv:2:7: error: the question is empty
              hint: write the question as customers ask it: it is the entry's title in search results
            kb/en/q.faq.csv:3:7: error: the answer is empty
              hint: write the answer in Markdown, as in an article's body
            kb/en/q.faq.csv:4:1: error: `Cash On Delivery` is not a valid FAQ id: use lowercase ASCII letters, digits and `-`
              hint: change the id to `cash-on-delivery`
            kb/en/q.faq.csv:5:1: error: `营业时间` is not a valid FAQ id: use lowercase ASCII letters, digits and `-`
              hint: change the id to `what-are-your-opening-hours`, or another short English name
            kb/en/q.faq.csv:6:1: error: the id is empty
              hint: change the id to `q`, or another short English name
            documents: zh-CN/a
        "#]],
    );
}

#[test]
fn faq_unknown_or_mismatched_locale() {
    check(
        &[
            ("kb.toml", CONFIG.as_bytes()),
            ("en/a.md", GOOD.as_bytes()),
            ("zh-CN/a.md", GOOD.as_bytes()),
            (
                "shop.faq.csv",
                format!("{FAQ_CSV_HEADER}a,Q,,A,,zh-cn\nb,Q,,A,,fr\nc,Q,,A,,en\n").as_bytes(),
            ),
            (
                "en/q.faq.jsonl",
                b"{\"id\": \"d\", \"question\": \"Q\", \"answer\": \"A\", \"locale\": \"zh-CN\"}\n",
            ),
        ],
        expect![[r#"
            kb/en/q.faq.jsonl:1:55: error: locale `zh-CN` does not match the directory the file is in (kb/en)
              hint: the directory decides the locale: remove the locale from this entry, or move the entry to an FAQ file at the KB root (kb), where each entry names its own
            kb/shop.faq.csv:2:9: error: unknown locale `zh-cn`: it is not a locale of this knowledge base
              hint: did you mean `zh-CN`? The locales in kb.toml are: zh-CN, en
            kb/shop.faq.csv:3:9: error: unknown locale `fr`: it is not a locale of this knowledge base
              hint: the locales in kb.toml are: zh-CN, en; add `fr` to `locales` there, or change the entry's locale
            documents: en/a en/c zh-CN/a
        "#]],
    );
}

#[test]
fn faq_invalid_utf8() {
    check(
        &[
            ("kb.toml", CONFIG.as_bytes()),
            ("en/a.md", GOOD.as_bytes()),
            ("zh-CN/a.md", GOOD.as_bytes()),
            // GBK-encoded Chinese in the answer of the second record.
            (
                "zh-CN/q.faq.csv",
                b"id,question,answer\nok,Q,A\nbad,Q,\"ok\nstill \xcd\xcb\xbf\xee\"\n",
            ),
            (
                "zh-CN/r.faq.jsonl",
                b"{\"id\": \"r\", \"question\": \"\xcd\xcb\", \"answer\": \"A\"}\n",
            ),
        ],
        expect![[r#"
            kb/zh-CN/q.faq.csv:4:7: error: the file is not valid UTF-8 (byte 0xCD on line 4)
              hint: save the file as UTF-8; files saved as GBK or GB18030 by older editors are a common cause
            kb/zh-CN/r.faq.jsonl:1:26: error: the file is not valid UTF-8 (byte 0xCD on line 1)
              hint: save the file as UTF-8; files saved as GBK or GB18030 by older editors are a common cause
            documents: en/a zh-CN/a
        "#]],
    );
}

#[test]
fn faq_malformed_json() {
    check(
        &[
            ("kb.toml", CONFIG.as_bytes()),
            ("en/a.md", GOOD.as_bytes()),
            ("zh-CN/a.md", GOOD.as_bytes()),
            (
                "zh-CN/q.faq.jsonl",
                "{\"id\": \"a\", \"question\": \"退款多久到账？\" \"answer\": \"A\"}\n\n{\"id\": \"b\", \"question\": \"Q\", \"answer\": \"A\",}\n{\"id\": \"c\", \"question\": \"Q\",\n\"answer\": \"A\"}\n".as_bytes(),
            ),
        ],
        expect![[r#"
            kb/zh-CN/q.faq.jsonl:1:35: error: malformed JSON: expected `,` or `}`
              hint: each line must be one complete JSON object; a line break inside a string is written \n
            kb/zh-CN/q.faq.jsonl:3:44: error: malformed JSON: trailing comma
              hint: each line must be one complete JSON object; a line break inside a string is written \n
            kb/zh-CN/q.faq.jsonl:4:28: error: malformed JSON: EOF while parsing a value
              hint: each line must be one complete JSON object; a line break inside a string is written \n
            kb/zh-CN/q.faq.jsonl:5:8: error: malformed JSON: invalid type: string "answer", expected a JSON object (one FAQ entry per line)
              hint: each line holds one entry: {"id": "…", "question": "…", "answer": "…"}
            documents: en/a zh-CN/a
        "#]],
    );
}

#[test]
fn faq_unknown_keys_and_columns() {
    check(
        &[
            ("kb.toml", CONFIG.as_bytes()),
            ("en/a.md", GOOD.as_bytes()),
            ("zh-CN/a.md", GOOD.as_bytes()),
            (
                "zh-CN/q.faq.jsonl",
                b"{\"id\": \"b\", \"question\": \"Q\", \"answr\": \"A\", \"tags\": [\"x\"]}\n",
            ),
            (
                "en/q.faq.csv",
                b"id,question,answer,Category,notes\nb,Q,A,c,n\n",
            ),
        ],
        expect![[r#"
            kb/en/q.faq.csv:1:20: error: unknown column `Category`
              hint: did you mean `category`?
            kb/en/q.faq.csv:1:29: error: unknown column `notes`
              hint: the columns are id, question, similar, answer, category, locale; remove this one or rename it
            kb/zh-CN/q.faq.jsonl:1:1: error: this entry has no `answer` (a required key)
              hint: add "answer": "…"; every entry needs id, question and answer
            kb/zh-CN/q.faq.jsonl:1:30: error: unknown key `answr`
              hint: did you mean `answer`?
            kb/zh-CN/q.faq.jsonl:1:44: error: unknown key `tags`
              hint: the keys are id, question, similar, answer, category, locale; remove this one or rename it
            documents: en/a en/b zh-CN/a
        "#]],
    );
}

#[test]
fn faq_csv_wrong_field_count_and_unterminated_quote() {
    check(
        &[
            ("kb.toml", CONFIG.as_bytes()),
            ("en/a.md", GOOD.as_bytes()),
            ("zh-CN/a.md", GOOD.as_bytes()),
            (
                "en/q.faq.csv",
                b"id,question,answer\na,Can I pay cash, on delivery?,No\nb,\"Q\nover two lines\"\nc,Q,\"ok\"\nd,Q,\"He said \"hi\" to me\nd2,Q,A\ne,Q,\"never\nclosed\nf,Q,A\n",
            ),
        ],
        expect![[r#"
            kb/en/q.faq.csv:2:1: error: this record has 4 fields, but the header has 3 columns
              hint: a field that contains a comma must be in double quotes: "like, this"
            kb/en/q.faq.csv:3:1: error: this record has 2 fields, but the header has 3 columns
              hint: every line needs one field per column of the header (id,question,answer); leave a field empty with nothing between its commas
            kb/en/q.faq.csv:6:15: error: text after the closing quote of a field: a quoted field must end at its closing `"`
              hint: to put a `"` inside a quoted field, double it: `""`; the field started at line 6, column 5
            kb/en/q.faq.csv:8:5: error: this quoted field is never closed: everything after its opening `"` to the end of the file is inside it
              hint: add the closing `"`; to put a `"` inside a quoted field, double it: `""`
            documents: en/a en/c en/d en/d2 zh-CN/a
        "#]],
    );
}

#[test]
fn faq_answers_follow_the_article_rules() {
    check(
        &[
            ("kb.toml", CONFIG.as_bytes()),
            ("en/refunds.md", GOOD.as_bytes()),
            ("zh-CN/refunds.md", GOOD.as_bytes()),
            (
                "en/q.faq.csv",
                b"id,question,answer\na,Q,\"See [refunds](article:refund).\n\nThen <b>click</b> [here](javascript:x).\"\nb,Q,\"# Title\n![x](https://e.com/x.png) [c](article:c)\"\n",
            ),
            (
                "zh-CN/q.faq.jsonl",
                "{\"id\": \"a\", \"question\": \"Q\", \"answer\": \"见 [退款](article:refnds)。\"}\n{\"id\": \"b\", \"question\": \"Q\", \"answer\": \"第一行\\n\\n<div>x</div>\"}\n{\"id\": \"c\", \"question\": \"Q\", \"answer\": \"英文版见 [b](article:b)\"}\n".as_bytes(),
            ),
        ],
        expect![[r#"
            kb/en/q.faq.csv:2:20: error: link to a missing article `refund`
              hint: did you mean 'refunds'?
            kb/en/q.faq.csv:4:26: error: links may only point to article:<id>, http(s) or mailto: URLs, not `javascript:`
              hint: link to another article with [text](article:<id>), or to a web page with [text](https://…)
            kb/en/q.faq.csv:5:6: warning: a level-1 heading in an answer: the title is the question; use ##
              hint: section headings start at `##`; this one is shown as `##`
            kb/en/q.faq.csv:6:1: error: images are not supported in FAQ answers
              hint: put the picture in an article and link to it with [text](article:<id>)
            kb/zh-CN/q.faq.jsonl:1:48: error: link to a missing article `refnds`
              hint: did you mean 'refunds'?
            kb/zh-CN/q.faq.jsonl:2:40: warning: HTML `<div>` is not allowed in FAQ answers: the tag is dropped, its text is kept
              hint: only <b>, <strong>, <i>, <em>, <code>, <kbd> and <br> are kept; write the rest in Markdown
            documents: en/a en/b en/refunds zh-CN/a zh-CN/b zh-CN/c zh-CN/refunds
        "#]],
    );
}

#[test]
fn faq_misnamed_and_empty_tables() {
    check(
        &[
            ("kb.toml", CONFIG.as_bytes()),
            ("en/a.md", GOOD.as_bytes()),
            ("zh-CN/a.md", GOOD.as_bytes()),
            ("faq.csv", b"id,question,answer\na,Q,A\n"),
            ("zh-CN/export.jsonl", b"{}\n"),
            ("en/empty.faq.csv", b"id,question,answer\r\n"),
        ],
        expect![[r#"
            kb/en/empty.faq.csv:1:1: warning: this FAQ file has no entries
              hint: start with the header line `id,question,similar,answer,category,locale`, then one line per entry
            kb/faq.csv:1:1: warning: this file is ignored: FAQ tables are named `*.faq.csv`
              hint: to import its entries, rename it to `faq.faq.csv`
            kb/zh-CN/export.jsonl:1:1: warning: this file is ignored: FAQ tables are named `*.faq.jsonl`
              hint: to import its entries, rename it to `export.faq.jsonl`
            documents: en/a zh-CN/a
        "#]],
    );
}

#[test]
fn faq_table_under_a_directory_that_is_not_a_locale() {
    check(
        &[
            ("kb.toml", CONFIG.as_bytes()),
            ("en/a.md", GOOD.as_bytes()),
            ("zh-CN/a.md", GOOD.as_bytes()),
            // Two levels under `imports/`: entries without a locale get the default (zh-CN),
            // the others keep theirs, and an unknown one is still an error.
            (
                "imports/zendesk/export.faq.jsonl",
                b"{\"id\": \"hours\", \"question\": \"Q\", \"answer\": \"A\"}\n{\"id\": \"hours\", \"question\": \"Q\", \"answer\": \"A\", \"locale\": \"en\"}\n{\"id\": \"fax\", \"question\": \"Q\", \"answer\": \"A\", \"locale\": \"fr\"}\n",
            ),
            // Only a locale directory at the root decides: `en` below `imports/` does not.
            ("imports/old/en/q.faq.csv", b"id,question,answer\ncod,Q,A\n"),
            // Hidden directories stay skipped, wherever they are.
            ("imports/.cache/x.faq.csv", b"id,question,answer\nhidden,Q,A\n"),
            (".backup/y.faq.csv", b"id,question,answer\nhidden,Q,A\n"),
        ],
        expect![[r#"
            kb/imports/zendesk/export.faq.jsonl:3:57: error: unknown locale `fr`: it is not a locale of this knowledge base
              hint: the locales in kb.toml are: zh-CN, en; add `fr` to `locales` there, or change the entry's locale
            documents: en/a en/hours zh-CN/a zh-CN/cod zh-CN/hours
        "#]],
    );
}

#[test]
fn faq_table_in_a_misspelt_locale_directory() {
    // Read as tables outside the locales, both would land in zh-CN, the English one too: a
    // directory named almost like a locale stays an error, tables or not.
    check(
        &[
            ("kb.toml", CONFIG.as_bytes()),
            ("en/a.md", GOOD.as_bytes()),
            ("zh-CN/a.md", GOOD.as_bytes()),
            (
                "EN/faq.faq.csv",
                b"id,question,answer\nhours,When are you open?,Daily.\n",
            ),
            ("zh-cm/sub/faq.faq.csv", b"id,question,answer\nhours,Q,A\n"),
        ],
        expect![[r#"
            kb/EN:1:1: error: directory `EN` is not a locale of this knowledge base
              hint: did you mean `en`? The locales in kb.toml are: zh-CN, en
            kb/zh-cm:1:1: error: directory `zh-cm` is not a locale of this knowledge base
              hint: did you mean `zh-CN`? The locales in kb.toml are: zh-CN, en
            documents: en/a zh-CN/a
        "#]],
    );
}

#[test]
fn faq_table_in_a_directory_named_like_an_unconfigured_locale() {
    // Read as tables outside the locales, French and Japanese entries would be served to zh-CN
    // customers: a directory named like a language tag must be a configured locale.
    check(
        &[
            ("kb.toml", CONFIG.as_bytes()),
            ("en/a.md", GOOD.as_bytes()),
            ("zh-CN/a.md", GOOD.as_bytes()),
            ("fr/x.faq.csv", b"id,question,answer\nhours,Q,A\n"),
            (
                "ja-JP/support/x.faq.jsonl",
                b"{\"id\": \"hours\", \"question\": \"Q\", \"answer\": \"A\"}\n",
            ),
            // kb.toml only takes `-` between subtags, so the hint names the tag to use.
            ("pt_BR/x.faq.csv", b"id,question,answer\nhours,Q,A\n"),
            ("yue/x.faq.csv", b"id,question,answer\nhours,Q,A\n"),
            // Nothing inside is read or reported, broken files included.
            ("zh-Hant-HK/x.faq.csv", b"id,question\n"),
        ],
        expect![[r#"
            kb/fr:1:1: error: directory `fr` is not a locale of this knowledge base
              hint: `fr` looks like a language tag: if it is a locale, add `fr` to `locales` in kb.toml (now: zh-CN, en); if it is not, rename the directory so it does not look like one: outside the locale directories only FAQ tables are read, and entries without a `locale` get the default, zh-CN
            kb/ja-JP:1:1: error: directory `ja-JP` is not a locale of this knowledge base
              hint: `ja-JP` looks like a language tag: if it is a locale, add `ja-JP` to `locales` in kb.toml (now: zh-CN, en); if it is not, rename the directory so it does not look like one: outside the locale directories only FAQ tables are read, and entries without a `locale` get the default, zh-CN
            kb/pt_BR:1:1: error: directory `pt_BR` is not a locale of this knowledge base
              hint: `pt_BR` looks like a language tag: if it is a locale, add `pt-BR` to `locales` in kb.toml (now: zh-CN, en) and rename the directory to `pt-BR`; if it is not, rename the directory so it does not look like one: outside the locale directories only FAQ tables are read, and entries without a `locale` get the default, zh-CN
            kb/yue:1:1: error: directory `yue` is not a locale of this knowledge base
              hint: `yue` looks like a language tag: if it is a locale, add `yue` to `locales` in kb.toml (now: zh-CN, en); if it is not, rename the directory so it does not look like one: outside the locale directories only FAQ tables are read, and entries without a `locale` get the default, zh-CN
            kb/zh-Hant-HK:1:1: error: directory `zh-Hant-HK` is not a locale of this knowledge base
              hint: `zh-Hant-HK` looks like a language tag: if it is a locale, add `zh-Hant-HK` to `locales` in kb.toml (now: zh-CN, en); if it is not, rename the directory so it does not look like one: outside the locale directories only FAQ tables are read, and entries without a `locale` get the default, zh-CN
            documents: en/a zh-CN/a
        "#]],
    );
}

#[test]
fn faq_table_in_a_directory_not_named_like_a_locale() {
    // Three-letter folder names are English words far more often than languages: `old` is read
    // as `imports` is, its entries in their own locale or the default one.
    check(
        &[
            ("kb.toml", CONFIG.as_bytes()),
            ("en/a.md", GOOD.as_bytes()),
            ("zh-CN/a.md", GOOD.as_bytes()),
            ("imports/x.faq.csv", b"id,question,answer\nhours,Q,A\n"),
            (
                "old/2023/x.faq.csv",
                b"id,question,answer,locale\nrefund,Q,A,en\ncod,Q,A,\n",
            ),
            ("faq-help/x.faq.csv", b"id,question,answer\nfax,Q,A\n"),
        ],
        expect![[r#"
            documents: en/a en/refund zh-CN/a zh-CN/cod zh-CN/fax zh-CN/hours
        "#]],
    );
}

#[test]
fn article_or_flow_beside_a_faq_table_outside_the_locales() {
    check(
        &[
            ("kb.toml", CONFIG.as_bytes()),
            ("en/a.md", GOOD.as_bytes()),
            ("zh-CN/a.md", GOOD.as_bytes()),
            (
                "imports/zendesk/export.faq.csv",
                b"id,question,answer\nhours,Q,A\n",
            ),
            ("imports/zendesk/guide.md", GOOD.as_bytes()),
            ("imports/log-in.flow.toml", b"title = \"T\"\n"),
            ("imports/zendesk/notes.jsonl", b"{}\n"),
            // With no FAQ table in it, a directory that is not a locale is one error, as before
            // tables could be there, and nothing in it is reported on its own.
            ("drafts/b.md", GOOD.as_bytes()),
            ("drafts/sub/c.md", GOOD.as_bytes()),
            ("drafts/sub/export.jsonl", b"{}\n"),
        ],
        expect![[r#"
            kb/drafts:1:1: error: directory `drafts` is not a locale of this knowledge base
              hint: the locales in kb.toml are: zh-CN, en; add `drafts` to `locales` there, or move the directory out of the KB: outside the locale directories only FAQ tables (`*.faq.jsonl`, `*.faq.csv`) are read
            kb/imports/log-in.flow.toml:1:1: error: this flow is not in a locale directory
              hint: move it into the directory of its locale, e.g. kb/zh-CN/log-in.flow.toml
            kb/imports/zendesk/guide.md:1:1: error: this article is not in a locale directory
              hint: move it into the directory of its locale, e.g. kb/zh-CN/guide.md
            kb/imports/zendesk/notes.jsonl:1:1: warning: this file is ignored: FAQ tables are named `*.faq.jsonl`
              hint: to import its entries, rename it to `notes.faq.jsonl`
            documents: en/a zh-CN/a zh-CN/hours
        "#]],
    );
}

#[test]
fn faq_duplicate_ids_across_root_and_nested_tables() {
    check(
        &[
            ("kb.toml", CONFIG.as_bytes()),
            ("en/a.md", GOOD.as_bytes()),
            ("zh-CN/a.md", GOOD.as_bytes()),
            (
                "shop.faq.jsonl",
                b"{\"id\": \"hours\", \"question\": \"Q\", \"answer\": \"A\"}\n",
            ),
            (
                "imports/zendesk/export.faq.csv",
                b"id,question,answer,locale\nrefund,Q,A,en\nhours,Q,A,\n",
            ),
        ],
        expect![[r#"
            kb/shop.faq.jsonl:1:8: error: duplicate FAQ id `hours` in locale zh-CN: also kb/imports/zendesk/export.faq.csv:3
              hint: ids must be unique within a locale, across articles and FAQ entries: change this entry's id
            documents: en/a en/refund zh-CN/a zh-CN/hours
        "#]],
    );
}

#[test]
fn every_faq_problem_is_reported_with_the_article_problems() {
    check(
        &[
            ("kb.toml", CONFIG.as_bytes()),
            ("en/a.md", b"---\ntitle: A\n---\n[x](article:nope)\n"),
            ("zh-CN/a.md", GOOD.as_bytes()),
            ("en/q.faq.csv", b"id,question,answer\na,Q,A\nb,,\n\"c\n"),
            (
                "zh-CN/q.faq.jsonl",
                b"{\"id\": \"A\", \"question\": \"Q\", \"answer\": \"A\"}\n{\n",
            ),
        ],
        expect![[r#"
            kb/en/a.md:4:5: error: link to a missing article `nope`
              hint: article ids are file names without `.md`, e.g. article:refunds
            kb/en/q.faq.csv:2:1: error: duplicate FAQ id `a` in locale en: also kb/en/a.md
              hint: ids must be unique within a locale, across articles and FAQ entries: change this entry's id
            kb/en/q.faq.csv:3:3: error: the question is empty
              hint: write the question as customers ask it: it is the entry's title in search results
            kb/en/q.faq.csv:3:4: error: the answer is empty
              hint: write the answer in Markdown, as in an article's body
            kb/en/q.faq.csv:4:1: error: this quoted field is never closed: everything after its opening `"` to the end of the file is inside it
              hint: add the closing `"`; to put a `"` inside a quoted field, double it: `""`
            kb/zh-CN/q.faq.jsonl:1:8: error: `A` is not a valid FAQ id: use lowercase ASCII letters, digits and `-`
              hint: change the id to `a`
            kb/zh-CN/q.faq.jsonl:2:1: error: malformed JSON: EOF while parsing an object
              hint: each line must be one complete JSON object; a line break inside a string is written \n
            documents: en/a zh-CN/a
        "#]],
    );
}

/// A small valid flow; `{article}` is the article its article node shows.
fn flow_file(title: &str, article: &str) -> Vec<u8> {
    format!(
        r#"title = "{title}"
keywords = ["login"]
start = "start"

[node.start]
type = "question"
prompt = "What happens?"
[[node.start.answer]]
label = "Forgot password"
next = "reset"
[[node.start.answer]]
label = "Something else"
next = "read"

[node.reset]
type = "solution"
text = "Reset it from the [login page](article:{article})."
unsolved = "read"

[node.read]
type = "article"
article = "{article}"
next = "human"

[node.human]
type = "escalate"
"#
    )
    .into_bytes()
}

#[test]
fn flows_become_documents() {
    let zh = flow_file("无法登录", "good");
    let en = flow_file("Cannot log in", "good");
    expect![[r#"
        en/good article
        en/log-in flow: Cannot log in ["login"] 4 nodes
        zh-CN/good article
        zh-CN/log-in flow: 无法登录 ["login"] 4 nodes
    "#]]
    .assert_eq(&{
        let temp = tempfile::tempdir().unwrap();
        let kb_dir = temp.path().join("kb");
        for (path, contents) in [
            ("kb.toml", CONFIG.as_bytes()),
            ("zh-CN/good.md", GOOD.as_bytes()),
            ("en/good.md", GOOD.as_bytes()),
            ("zh-CN/log-in.flow.toml", &zh),
            ("en/log-in.flow.toml", &en),
        ] {
            let path = kb_dir.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, contents).unwrap();
        }
        let compiled = kefu_kb::compile(&kb_dir);
        assert!(
            compiled.diagnostics.is_empty(),
            "{:?}",
            compiled.diagnostics
        );
        compiled
            .documents
            .iter()
            .map(|doc| match &doc.flow {
                Some(flow) => format!(
                    "{}/{} flow: {} {:?} {} nodes\n",
                    doc.locale,
                    doc.id,
                    doc.title,
                    doc.tags,
                    flow.nodes.len()
                ),
                None => format!("{}/{} {}\n", doc.locale, doc.id, doc.kind.as_str()),
            })
            .collect::<String>()
    });
}

#[test]
fn flow_links_to_missing_articles_and_missing_locales() {
    check(
        &[
            ("kb.toml", CONFIG.as_bytes()),
            ("zh-CN/good.md", GOOD.as_bytes()),
            ("en/good.md", GOOD.as_bytes()),
            ("zh-CN/log-in.flow.toml", &flow_file("无法登录", "goood")),
        ],
        expect![[r#"
            kb/zh-CN/log-in.flow.toml:1:1: warning: flow `log-in` has no en version (it exists in zh-CN)
              hint: translate it as kb/en/log-in.flow.toml
            kb/zh-CN/log-in.flow.toml:17:40: error: link to a missing article `goood`
              hint: did you mean 'good'?
            kb/zh-CN/log-in.flow.toml:22:12: error: link to a missing article `goood`
              hint: did you mean 'good'?
            documents: en/good zh-CN/good zh-CN/log-in
        "#]],
    );
}

#[test]
fn broken_flows_are_rejected_with_every_problem() {
    let broken = String::from_utf8(flow_file("无法登录", "good"))
        .unwrap()
        .replace("next = \"reset\"", "next = \"rest\"")
        .replace("unsolved = \"read\"\n", "")
        .replace("type = \"escalate\"", "type = \"escalation\"");
    check(
        &[
            ("kb.toml", CONFIG.as_bytes()),
            ("zh-CN/good.md", GOOD.as_bytes()),
            ("en/good.md", GOOD.as_bytes()),
            ("zh-CN/Log In.flow.toml", &flow_file("x", "good")),
            ("zh-CN/log-in.flow.toml", broken.as_bytes()),
            ("en/log-in.flow.toml", &flow_file("Cannot log in", "good")),
            (
                "en/good.flow.toml",
                &flow_file("Same id as an article", "good"),
            ),
            ("stray.flow.toml", &flow_file("x", "good")),
        ],
        expect![[r#"
            kb/en/good.flow.toml:1:1: error: duplicate flow id `good` in locale en: also kb/en/good.md
              hint: ids must be unique within a locale, across articles, flows and FAQ entries: rename the flow file
            kb/en/good.flow.toml:1:1: warning: flow `good` has no zh-CN version (it exists in en)
              hint: translate it as kb/zh-CN/good.flow.toml
            kb/stray.flow.toml:1:1: error: this flow is not in a locale directory
              hint: move it into the directory of its locale, e.g. kb/zh-CN/stray.flow.toml
            kb/zh-CN/Log In.flow.toml:1:1: error: `Log In` is not a valid flow id: use lowercase ASCII letters, digits and `-`
              hint: rename the file to `log-in.flow.toml`
            kb/zh-CN/log-in.flow.toml:10:9: error: node `start` leads to `rest`, which is not a node of this flow
              hint: did you mean `reset`?
            kb/zh-CN/log-in.flow.toml:15:7: error: solution `reset` has no path for "no": every fix is followed by "Did this solve it?"
              hint: add `unsolved = "<node>"` naming the next fix to try, or an `escalate` node
            kb/zh-CN/log-in.flow.toml:25:8: error: unknown node type `escalation`
              hint: did you mean `escalate`?
            documents: en/good en/log-in zh-CN/good
        "#]],
    );
}

/// The demo KB compiled into a bundle, as `kefu kb build` writes it.
fn demo_index() -> kefu_core::Index {
    let kb_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../kb");
    let compiled = kefu_kb::compile(&kb_dir);
    assert!(!compiled.has_errors());
    kefu_core::Index::from_bytes(kefu_core::bundle::encode(
        &compiled.documents,
        &compiled.meta,
    ))
    .unwrap()
}

/// The issue's "done when": a customer who cannot log in finds the flow by searching, and
/// solves the problem through it without reading an article.
#[test]
fn a_customer_solves_cannot_log_in_through_the_demo_flow() {
    use kefu_core::flow::{FlowState, NodeKind, Outcome, TranscriptLabels};
    let index = demo_index();
    for (locale, query) in [
        ("zh-CN", "登录不了"),
        ("zh-TW", "登入不了"),
        ("en", "can't log in"),
    ] {
        let options = kefu_core::SearchOptions {
            locale: Some(locale.into()),
            limit: 5,
        };
        let hits = index.search(query, &options);
        let flow_hit = hits
            .iter()
            .find(|hit| index.entry(hit.doc).kind == kefu_core::DocKind::Flow)
            .unwrap_or_else(|| panic!("no flow among the hits for {query:?}"));
        assert_eq!(index.entry(flow_hit.doc).id, "login-help");
        let flow = index.flow(flow_hit.doc).unwrap().unwrap();
        let mut state = FlowState::new(&flow);
        state.choose(&flow, 0).unwrap(); // the password is wrong / forgotten
        state.next(&flow).unwrap(); // reset it with an SMS code
        state.solved(&flow, true).unwrap();
        assert_eq!(state.outcome(&flow).unwrap(), Some(Outcome::Solved));
        let read_an_article = state.path.iter().any(|(node, _)| {
            flow.index_of(node)
                .and_then(|index| flow.node(index))
                .is_some_and(|node| matches!(node.kind, NodeKind::Article { .. }))
        });
        assert!(!read_an_article);
        if locale == "en" {
            expect!["Q: What happens when you try to log in? A: It says the password is wrong, or I forgot it → Step: Reset your password with a verification code: → Fix: Log in with the new password. Mind upper and lower case, and switch off a Chinese input method (it may type full-width characters). — solved"]
                .assert_eq(&state.transcript_text(&flow, &TranscriptLabels::EN));
        }
    }
    // Every flow is listed for the "common problems" list, in the editors' order.
    let titles: Vec<&str> = index
        .flows("zh-CN")
        .into_iter()
        .map(|doc| index.entry(doc).title.as_str())
        .collect();
    expect![[r#"["无法登录？一步步帮你解决", "订单还没发货？帮你查原因", "付款失败？按情况一步步处理", "想退货或换货？看看怎么办", "发票问题？帮你一步步处理", "快递显示签收了却没收到？帮你找包裹"]"#]]
        .assert_eq(&format!("{titles:?}"));
    let on_checkout: Vec<&str> = index
        .for_page("/checkout/confirm", "en")
        .into_iter()
        .map(|doc| index.entry(doc).id.as_str())
        .collect();
    assert_eq!(on_checkout, ["payment-failed-help"]);
}

/// Every answer of every demo flow, followed in turn, ends in a fix, an escalation or an end
/// (the compiler checks the graph; this walks it as a customer would, with valid values).
#[test]
fn every_path_through_the_demo_flows_ends() {
    use kefu_core::flow::{FlowState, NodeKind};
    let index = demo_index();
    for doc in
        (0..index.len() as u32).filter(|&doc| index.entry(doc).kind == kefu_core::DocKind::Flow)
    {
        let flow = index.flow(doc).unwrap().unwrap();
        // Depth-first over states: the demo flows are small. A loop a customer may go round (back
        // to a question after reading an article) is followed twice, then cut.
        let mut stack = vec![FlowState::new(&flow)];
        let mut n_ends = 0;
        while let Some(state) = stack.pop() {
            assert!(
                state.path.len() < 30,
                "{}: endless path {:?}",
                flow.id,
                state.path
            );
            let Some(node) = state.current(&flow).unwrap() else {
                n_ends += 1;
                continue;
            };
            if state.path.iter().filter(|(id, _)| *id == node.id).count() >= 2 {
                continue;
            }
            let mut push = |apply: &dyn Fn(&mut FlowState)| {
                let mut next = state.clone();
                apply(&mut next);
                stack.push(next);
            };
            match &node.kind {
                NodeKind::Question { answers, .. } => {
                    for answer in 0..answers.len() as u32 {
                        push(&|s| s.choose(&flow, answer).unwrap());
                    }
                }
                NodeKind::Collect { name, .. } => {
                    let value = match name.as_str() {
                        "phone" => "13800138000",
                        "email" => "me@example.com",
                        _ => "XM202611230001",
                    };
                    push(&|s| s.submit(&flow, value).unwrap());
                }
                NodeKind::Step { .. } | NodeKind::Article { .. } => {
                    push(&|s| s.next(&flow).unwrap())
                }
                NodeKind::Solution { .. } => {
                    push(&|s| s.solved(&flow, true).unwrap());
                    push(&|s| s.solved(&flow, false).unwrap());
                }
                NodeKind::Escalate { .. } | NodeKind::End { .. } => n_ends += 1,
            }
        }
        assert!(n_ends > 1, "{}", flow.id);
    }
}

/// Learned synonyms come from the FAQ table's similar questions, and a veto in kb.toml removes one.
#[test]
fn synonyms_are_learned_from_faq_similar_questions_and_vetoed_in_kb_toml() {
    let table = [
        r#"{"id":"late","question":"My parcel is late","similar":["My package is late"],"answer":"Wait."}"#,
        r#"{"id":"damaged","question":"Parcel arrived damaged","similar":["Package arrived damaged"],"answer":"Photo."}"#,
        r#"{"id":"track","question":"Track my parcel","similar":["Track my package"],"answer":"Link."}"#,
        r#"{"id":"address","question":"Change my address","similar":["Update my address"],"answer":"Settings."}"#,
        r#"{"id":"password","question":"Reset my password","similar":["Forgot my password"],"answer":"Email."}"#,
        r#"{"id":"invoice","question":"Download my invoice","similar":["Print my invoice"],"answer":"PDF."}"#,
        r#"{"id":"coupon","question":"Apply a coupon","similar":["Use a coupon"],"answer":"Code."}"#,
        r#"{"id":"hours","question":"Opening hours","similar":["Business hours"],"answer":"9-5."}"#,
        r#"{"id":"refund","question":"Refund my order","similar":["Money for my order"],"answer":"Days."}"#,
    ]
    .join("\n");
    let learned = |config: &str| {
        let temp = tempfile::tempdir().unwrap();
        let kb_dir = temp.path().join("kb");
        std::fs::create_dir_all(kb_dir.join("en")).unwrap();
        std::fs::write(kb_dir.join("kb.toml"), config).unwrap();
        std::fs::write(kb_dir.join("en/faq.faq.jsonl"), &table).unwrap();
        let compiled = kefu_kb::compile(&kb_dir);
        assert!(!compiled.has_errors(), "{:?}", compiled.diagnostics);
        compiled
            .meta
            .learned_synonyms
            .iter()
            .map(|pair| format!("{} ~ {} ({})", pair.words[0], pair.words[1], pair.support))
            .collect::<Vec<_>>()
    };
    let config = "default_locale = \"en\"\nlocales = [\"en\"]\n";
    assert_eq!(learned(config), ["package ~ parcel (3)"]);
    let vetoed = format!("{config}learned_synonyms_veto = [[\"parcel\", \"package\"]]\n");
    assert!(learned(&vetoed).is_empty());
}

// Rich articles: images, callouts and sanitised HTML. Each test names one class of problem.

/// The smallest PNG header the compiler reads: signature, IHDR with a width and height.
fn png(width: u32, height: u32, padding: usize) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    bytes.extend_from_slice(&width.to_be_bytes());
    bytes.extend_from_slice(&height.to_be_bytes());
    bytes.resize(bytes.len() + padding, 0);
    bytes
}

const SVG: &[u8] = b"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 40 30\"><rect width=\"40\" height=\"30\"/></svg>";

#[test]
fn image_missing() {
    check(
        &[
            ("kb.toml", CONFIG.as_bytes()),
            ("en/images/refund.png", &png(10, 10, 0)),
            (
                "en/a.md",
                b"---\ntitle: A\n---\nText.\n\n![Refund button](images/refnud.png)\n",
            ),
        ],
        expect![[r#"
            kb/en/a.md:6:1: error: image `images/refnud.png` does not exist (looked for kb/en/images/refnud.png)
              hint: did you mean `refund.png`?
            kb/kb.toml:2:1: warning: locale `zh-CN` has no directory, so it has no articles
              hint: create kb/zh-CN and put its articles there
            documents: en/a
        "#]],
    );
}

#[test]
fn image_outside_the_kb() {
    check(
        &[
            ("kb.toml", CONFIG.as_bytes()),
            (
                "en/a.md",
                b"---\ntitle: A\n---\n![Secret](../../outside.png)\n\n![Also](../kb.toml)\n",
            ),
        ],
        expect![[r#"
            kb/en/a.md:4:1: error: image `../../outside.png` is outside the knowledge base
              hint: copy the picture into the KB directory (e.g. kb/en/images/) and link to the copy
            kb/en/a.md:6:1: error: `../kb.toml` is not an image format the widget ships
              hint: use PNG, JPEG, GIF, WebP or SVG
            kb/kb.toml:2:1: warning: locale `zh-CN` has no directory, so it has no articles
              hint: create kb/zh-CN and put its articles there
            documents: en/a
        "#]],
    );
}

#[test]
fn image_without_alt_text() {
    check(
        &[
            ("kb.toml", CONFIG.as_bytes()),
            ("en/a.png", &png(10, 10, 0)),
            ("en/a.md", b"---\ntitle: A\n---\nSee:\n\n![](a.png)\n"),
        ],
        expect![[r#"
            kb/en/a.md:6:1: error: this image has no alt text: screen readers would announce only "image"
              hint: describe what the picture shows, e.g. ![The refund button under My orders](images/refund.png)
            kb/kb.toml:2:1: warning: locale `zh-CN` has no directory, so it has no articles
              hint: create kb/zh-CN and put its articles there
            documents: en/a
        "#]],
    );
}

#[test]
fn image_wrong_format_and_unreadable_header() {
    check(
        &[
            ("kb.toml", CONFIG.as_bytes()),
            ("en/a.bmp", b"BM"),
            ("en/fake.png", b"GIF89a"),
            (
                "en/a.md",
                b"---\ntitle: A\n---\n![Old](a.bmp)\n\n![Fake](fake.png)\n",
            ),
        ],
        expect![[r#"
            kb/en/a.md:4:1: error: `a.bmp` is not an image format the widget ships
              hint: use PNG, JPEG, GIF, WebP or SVG
            kb/en/fake.png:1:1: error: this file is not a readable PNG image
              hint: re-export it from an image editor, or fix the extension if it is another format
            kb/kb.toml:2:1: warning: locale `zh-CN` has no directory, so it has no articles
              hint: create kb/zh-CN and put its articles there
            documents: en/a
        "#]],
    );
}

#[test]
fn image_over_budget_is_a_warning() {
    check(
        &[
            (
                "kb.toml",
                format!("{CONFIG}image_budget_kb = 1\n").as_bytes(),
            ),
            ("en/big.png", &png(2000, 1000, 2048)),
            (
                "en/a.md",
                b"---\ntitle: A\n---\n![A large photo](big.png)\n",
            ),
        ],
        expect![[r#"
            kb/en/big.png:1:1: warning: this image is 3 KB, over the budget of 1 KB
              hint: customers on phones download it on mobile data: shrink it (e.g. a smaller PNG, a JPEG or WebP at quality 80), or raise image_budget_kb in kb.toml
            kb/kb.toml:2:1: warning: locale `zh-CN` has no directory, so it has no articles
              hint: create kb/zh-CN and put its articles there
            documents: en/a
        "#]],
    );
}

#[test]
fn unsafe_svg() {
    check(
        &[
            ("kb.toml", CONFIG.as_bytes()),
            ("en/evil.svg", b"<svg viewBox=\"0 0 10 10\">\n  <script>alert(1)</script>\n  <rect onclick=\"steal()\" width=\"10\" height=\"10\"/>\n  <image href=\"https://tracker.example/p.gif\"/>\n</svg>\n"),
            ("en/a.md", b"---\ntitle: A\n---\n![Logo](evil.svg)\n"),
            ("en/b.md", b"---\ntitle: B\n---\n![Logo again](evil.svg)\n"),
        ],
        expect![[r#"
            kb/en/evil.svg:2:3: error: this SVG contains a <script> element
              hint: remove it, or re-export the picture as plain SVG (most editors have an "optimized" or "plain SVG" option), or as PNG
            kb/en/evil.svg:3:9: error: this SVG has an event handler attribute `onclick`
              hint: remove it, or re-export the picture as plain SVG (most editors have an "optimized" or "plain SVG" option), or as PNG
            kb/en/evil.svg:4:10: error: this SVG refers to another file or URL (`href`)
              hint: an image shipped with the KB must be self-contained: embed the referenced shapes, or export as PNG
            kb/kb.toml:2:1: warning: locale `zh-CN` has no directory, so it has no articles
              hint: create kb/zh-CN and put its articles there
            documents: en/a en/b
        "#]],
    );
}

#[test]
fn bad_callout_kind() {
    check(
        &[
            ("kb.toml", CONFIG.as_bytes()),
            ("en/a.md", b"---\ntitle: A\n---\n> [!WARN]\n> Careful.\n"),
            (
                "zh-CN/a.md",
                "---\ntitle: A\n---\n> [!小心]\n> 注意安全。\n".as_bytes(),
            ),
        ],
        expect![[r#"
            kb/en/a.md:4:1: error: `[!WARN]` is not a callout kind
              hint: did you mean `[!WARNING]`?
            kb/zh-CN/a.md:4:1: error: `[!小心]` is not a callout kind
              hint: write one of [!TIP], [!NOTE], [!WARNING], [!IMPORTANT] (or 提示, 注意, 警告, 重要)
            documents: en/a zh-CN/a
        "#]],
    );
}

#[test]
fn images_resolve_to_hashed_assets_shared_between_articles() {
    let temp = tempfile::tempdir().unwrap();
    let kb_dir = temp.path().join("kb");
    for (path, contents) in [
        ("kb.toml", CONFIG.as_bytes()),
        ("en/img/logo.svg", SVG),
        ("zh-CN/logo.svg", SVG),
        (
            "en/a.md",
            b"---\ntitle: A\n---\n![Our logo](img/logo.svg)\n".as_slice(),
        ),
        (
            "zh-CN/a.md",
            "---\ntitle: A\n---\n![标志](./logo.svg)\n".as_bytes(),
        ),
    ] {
        let path = kb_dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }
    let compiled = kefu_kb::compile(&kb_dir);
    assert!(
        compiled.diagnostics.is_empty(),
        "{:?}",
        compiled.diagnostics
    );
    // One picture under two paths is one asset.
    assert_eq!(compiled.assets.len(), 1);
    let name = &compiled.assets[0].name;
    assert!(name.ends_with(".svg") && name.len() == 16 + 4, "{name}");
    assert_eq!(compiled.assets[0].bytes, SVG);
    for doc in &compiled.documents {
        let kefu_core::Block::Image {
            src, width, height, ..
        } = &doc.body[0]
        else {
            panic!("{:?}", doc.body);
        };
        assert_eq!(src, &format!("kb-assets/{name}"));
        assert_eq!((*width, *height), (40, 30));
    }
}

/// The fixture KB with every new block kind survives the bundle and back.
#[test]
fn rich_fixture_round_trips_through_the_bundle() {
    let kb_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rich");
    let compiled = kefu_kb::compile(&kb_dir);
    assert!(
        compiled.diagnostics.is_empty(),
        "{:?}",
        compiled.diagnostics
    );
    let bytes = kefu_core::bundle::encode(&compiled.documents, &compiled.meta);
    let index = kefu_core::Index::from_bytes(bytes).unwrap();
    for (doc_idx, doc) in compiled.documents.iter().enumerate() {
        let decoded = index.document(u32::try_from(doc_idx).unwrap()).unwrap();
        assert_eq!(&decoded, doc);
    }
    let refunds = &compiled.documents[0];
    let kinds: Vec<&str> = refunds
        .body
        .iter()
        .map(|block| match block {
            kefu_core::Block::Paragraph(_) => "paragraph",
            kefu_core::Block::Image { .. } => "image",
            kefu_core::Block::Table { .. } => "table",
            kefu_core::Block::Callout { .. } => "callout",
            _ => "other",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "paragraph",
            "image",
            "table",
            "callout",
            "callout",
            "paragraph"
        ]
    );
    assert_eq!(compiled.assets.len(), 1);
}

/// Hostile HTML is reduced to its text at build time: no tag, attribute, script body or
/// `javascript:` URL reaches the bundle the widget loads.
#[test]
fn hostile_html_never_reaches_the_bundle() {
    let temp = tempfile::tempdir().unwrap();
    let kb_dir = temp.path().join("kb");
    let article = "---\ntitle: Hostile\n---\nHello <script>alert(1)</script> world.\n\n<img src=x onerror=alert(1)>\n\nClick <a href=\"javascript:alert(2)\">here</a> or <b onmouseover=\"alert(3)\">there</b>.\n\n<iframe src=\"https://evil.example/\"></iframe>\n\n<div style=\"background:url(javascript:alert(4))\">kept text</div>\n\n<svg><script>alert(5)</script></svg>\n\n[x](javascript:alert(6))\n";
    for (path, contents) in [
        ("kb.toml", "default_locale = \"en\"\nlocales = [\"en\"]\n"),
        ("en/hostile.md", article),
    ] {
        let path = kb_dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }
    let compiled = kefu_kb::compile(&kb_dir);
    // The `javascript:` Markdown link is an error; everything in HTML is a warning.
    assert_eq!(compiled.error_count(), 1, "{:?}", compiled.diagnostics);
    let bytes = kefu_core::bundle::encode(&compiled.documents, &compiled.meta);
    let text = String::from_utf8_lossy(&bytes).to_lowercase();
    for trace in [
        "<script",
        "alert",
        "onerror",
        "onmouseover",
        "javascript",
        "<img",
        "<iframe",
        "evil",
        "<a ",
        "style",
        "<svg",
        "<div",
    ] {
        assert!(!text.contains(trace), "`{trace}` reached the bundle");
    }
    assert!(text.contains("kept text"));
    assert!(text.contains("hello"));
}
