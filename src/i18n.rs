//! UI strings in simplified Chinese, traditional Chinese and English, and choosing among them.
//!
//! **Invariant:** every piece of UI text comes from a [`Strings`] table; components hold none.

/// The UI text of one locale.
#[derive(Debug)]
pub struct Strings {
    /// The BCP 47 tag of this table, also used as the content locale.
    pub locale: &'static str,
    pub launcher: &'static str,
    pub dialog_title: &'static str,
    pub close: &'static str,
    pub search_label: &'static str,
    pub search_placeholder: &'static str,
    pub results_label: &'static str,
    /// "3 results" for the live region; `{n}` is replaced by the count.
    pub results_count: &'static str,
    pub no_results: &'static str,
    pub no_results_hint: &'static str,
    /// Before a corrected query offered as a button.
    pub did_you_mean: &'static str,
    /// Heads the list of articles closest to a query that matched nothing.
    pub closest_articles: &'static str,
    /// Below the no-results hint: how to reach a person.
    pub still_need_help: &'static str,
    pub back: &'static str,
    pub loading: &'static str,
    pub unavailable_title: &'static str,
    pub unavailable_body: &'static str,
    pub contact_email: &'static str,
    pub contact_phone: &'static str,
    pub contact_generic: &'static str,
    pub retry: &'static str,
    pub kind_article: &'static str,
    pub kind_faq: &'static str,
    pub kind_flow: &'static str,
}

pub static ZH_CN: Strings = Strings {
    locale: "zh-CN",
    launcher: "帮助",
    dialog_title: "帮助中心",
    close: "关闭",
    search_label: "搜索帮助文章",
    search_placeholder: "请输入问题，例如：运费、退货",
    results_label: "搜索结果",
    results_count: "找到 {n} 篇相关文章",
    no_results: "没有找到相关文章。",
    no_results_hint: "换个说法试试，例如用更短的关键词。",
    did_you_mean: "你是不是要找：",
    still_need_help: "还是没找到？联系我们：",
    closest_articles: "最接近的文章：",
    back: "返回搜索结果",
    loading: "正在加载帮助内容…",
    unavailable_title: "帮助内容暂时无法加载",
    unavailable_body: "很抱歉，帮助中心现在打不开。你可以稍后重试，或直接联系我们：",
    contact_email: "邮箱",
    contact_phone: "电话",
    contact_generic: "请通过本网站的客服渠道联系我们。",
    retry: "重试",
    kind_article: "文章",
    kind_faq: "常见问题",
    kind_flow: "引导排查",
};

pub static ZH_TW: Strings = Strings {
    locale: "zh-TW",
    launcher: "幫助",
    dialog_title: "幫助中心",
    close: "關閉",
    search_label: "搜尋幫助文章",
    search_placeholder: "請輸入問題，例如：運費、退貨",
    results_label: "搜尋結果",
    results_count: "找到 {n} 篇相關文章",
    no_results: "沒有找到相關文章。",
    no_results_hint: "換個說法試試，例如用更短的關鍵字。",
    did_you_mean: "你是不是要找：",
    still_need_help: "還是沒找到？聯絡我們：",
    closest_articles: "最接近的文章：",
    back: "返回搜尋結果",
    loading: "正在載入幫助內容…",
    unavailable_title: "幫助內容暫時無法載入",
    unavailable_body: "很抱歉，幫助中心現在打不開。你可以稍後重試，或直接聯絡我們：",
    contact_email: "電子郵件",
    contact_phone: "電話",
    contact_generic: "請透過本網站的客服管道聯絡我們。",
    retry: "重試",
    kind_article: "文章",
    kind_faq: "常見問題",
    kind_flow: "引導排查",
};

pub static EN: Strings = Strings {
    locale: "en",
    launcher: "Help",
    dialog_title: "Help centre",
    close: "Close",
    search_label: "Search help articles",
    search_placeholder: "Ask a question, e.g. shipping, returns",
    results_label: "Search results",
    results_count: "{n} matching articles",
    no_results: "No articles match your search.",
    no_results_hint: "Try other words, or fewer of them.",
    did_you_mean: "Did you mean:",
    still_need_help: "Still stuck? Contact us:",
    closest_articles: "Closest articles:",
    back: "Back to results",
    loading: "Loading help…",
    unavailable_title: "Help is unavailable right now",
    unavailable_body: "Sorry, the help centre could not be loaded. Try again in a moment, or contact us directly:",
    contact_email: "Email",
    contact_phone: "Phone",
    contact_generic: "Please use this site's other contact options.",
    retry: "Try again",
    kind_article: "Article",
    kind_faq: "FAQ",
    kind_flow: "Guided help",
};

/// Picks the UI strings for a forced locale, else the first of the browser's languages Kefu
/// speaks, else simplified Chinese. Traditional Chinese is chosen for `zh-TW`, `zh-HK`, `zh-MO`
/// and any `zh-Hant` tag.
///
/// ```
/// use kefu::i18n::negotiate;
/// assert_eq!(negotiate(None, &["fr-FR".into(), "en-US".into()]).locale, "en");
/// assert_eq!(negotiate(None, &["zh-HK".into()]).locale, "zh-TW");
/// assert_eq!(negotiate(Some("zh-Hans"), &["en".into()]).locale, "zh-CN");
/// ```
pub fn negotiate(forced: Option<&str>, languages: &[String]) -> &'static Strings {
    forced
        .into_iter()
        .chain(languages.iter().map(String::as_str))
        .find_map(match_tag)
        .unwrap_or(&ZH_CN)
}

fn match_tag(tag: &str) -> Option<&'static Strings> {
    let tag = tag.replace('_', "-").to_ascii_lowercase();
    let mut parts = tag.split('-');
    match parts.next()? {
        "en" => Some(&EN),
        "zh" => {
            let rest: Vec<&str> = parts.collect();
            let traditional = rest
                .iter()
                .any(|p| matches!(*p, "hant" | "tw" | "hk" | "mo"));
            let simplified = rest.contains(&"hans");
            Some(if traditional && !simplified {
                &ZH_TW
            } else {
                &ZH_CN
            })
        }
        _ => None,
    }
}

impl Strings {
    /// The live-region text for `n` results.
    pub fn count(&self, n: usize) -> String {
        self.results_count.replace("{n}", &n.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_languages_are_tried_in_order_and_unknown_ones_skipped() {
        let langs = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            negotiate(None, &langs(&["de", "zh-TW", "en"])).locale,
            "zh-TW"
        );
        assert_eq!(negotiate(None, &langs(&["zh-Hant-HK"])).locale, "zh-TW");
        assert_eq!(negotiate(None, &langs(&["zh"])).locale, "zh-CN");
        assert_eq!(negotiate(None, &langs(&["ja"])).locale, "zh-CN");
        assert_eq!(negotiate(Some("en_GB"), &langs(&["zh-CN"])).locale, "en");
        assert_eq!(negotiate(Some("xx"), &langs(&["zh-TW"])).locale, "zh-TW");
    }

    #[test]
    fn every_table_has_every_string() {
        for strings in [&ZH_CN, &ZH_TW, &EN] {
            assert!(strings.results_count.contains("{n}"), "{}", strings.locale);
            let all = [
                strings.launcher,
                strings.dialog_title,
                strings.close,
                strings.search_label,
                strings.search_placeholder,
                strings.results_label,
                strings.no_results,
                strings.no_results_hint,
                strings.did_you_mean,
                strings.closest_articles,
                strings.still_need_help,
                strings.back,
                strings.loading,
                strings.unavailable_title,
                strings.unavailable_body,
                strings.contact_email,
                strings.contact_phone,
                strings.contact_generic,
                strings.retry,
                strings.kind_article,
                strings.kind_faq,
                strings.kind_flow,
            ];
            assert!(
                all.iter().all(|s| !s.trim().is_empty()),
                "{}",
                strings.locale
            );
        }
    }
}
