//! UI strings in simplified Chinese, traditional Chinese and English, and choosing among them.
//!
//! **Invariant:** every piece of UI text comes from a [`Strings`] table; components hold none.

use kefu_core::hours::{Availability, Hours, LocalTime, format_minute};

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
    pub contact_wechat: &'static str,
    /// The alt text of the WeChat QR code image.
    pub wechat_qr_alt: &'static str,
    /// Before the weekly schedule, e.g. "Service hours".
    pub hours_label: &'static str,
    /// Monday first, short forms.
    pub weekdays: [&'static str; 7],
    /// Between the first and last day of a range: "Mon–Fri".
    pub day_range: &'static str,
    pub open_now: &'static str,
    /// Outside service hours; `{when}` is replaced by e.g. "tomorrow 09:00".
    pub closed_until: &'static str,
    pub today: &'static str,
    pub tomorrow: &'static str,
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
    contact_wechat: "微信",
    wechat_qr_alt: "微信客服二维码",
    hours_label: "服务时间",
    weekdays: ["周一", "周二", "周三", "周四", "周五", "周六", "周日"],
    day_range: "至",
    open_now: "客服现在在线，通常几分钟内回复。",
    closed_until: "现在是非服务时间，我们会在{when}开始回复。",
    today: "今天",
    tomorrow: "明天",
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
    contact_wechat: "微信",
    wechat_qr_alt: "微信客服 QR 碼",
    hours_label: "服務時間",
    weekdays: ["週一", "週二", "週三", "週四", "週五", "週六", "週日"],
    day_range: "至",
    open_now: "客服現在在線，通常幾分鐘內回覆。",
    closed_until: "現在是非服務時間，我們會在{when}開始回覆。",
    today: "今天",
    tomorrow: "明天",
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
    contact_wechat: "WeChat",
    wechat_qr_alt: "WeChat QR code for customer service",
    hours_label: "Service hours",
    weekdays: ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
    day_range: "–",
    open_now: "We're online now and usually reply within minutes.",
    closed_until: "We're offline now and will reply from {when}.",
    today: "today",
    tomorrow: "tomorrow",
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
    /// "Mon–Fri 09:00–18:30; Sat 10:00–16:00" in this locale.
    pub fn schedule(&self, hours: &Hours) -> String {
        let groups: Vec<String> = hours
            .summary()
            .into_iter()
            .map(|group| {
                let (first, last, intervals) = (group.first, group.last, group.intervals);
                let day = |d: u8| self.weekdays[usize::from(d % 7)];
                let days = if first == last {
                    day(first).to_owned()
                } else {
                    format!("{}{}{}", day(first), self.day_range, day(last))
                };
                let times: Vec<String> = intervals
                    .iter()
                    .map(|&(start, end)| format!("{}–{}", format_minute(start), format_minute(end)))
                    .collect();
                format!("{days} {}", times.join(", "))
            })
            .collect();
        groups.join("; ")
    }

    /// What to expect at `now`: "online now", or when the next reply can come.
    pub fn availability(&self, hours: &Hours, now: LocalTime) -> String {
        match hours.at(now) {
            Availability::Open { .. } => self.open_now.to_owned(),
            Availability::Closed { next: None } => String::new(),
            Availability::Closed {
                next: Some(opening),
            } => {
                let day = match opening.days_ahead {
                    0 => self.today,
                    1 => self.tomorrow,
                    _ => self.weekdays[usize::from(opening.weekday % 7)],
                };
                let separator = if self.locale == "en" { " " } else { "" };
                let when = format!("{day}{separator}{}", format_minute(opening.minute));
                self.closed_until.replace("{when}", &when)
            }
        }
    }

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
    fn schedules_and_reply_times_read_naturally() -> Result<(), kefu_core::hours::HoursError> {
        let hours = Hours::parse("Mon-Fri 09:00-18:30; Sat 10:00-16:00")?;
        assert_eq!(EN.schedule(&hours), "Mon–Fri 09:00–18:30; Sat 10:00–16:00");
        assert_eq!(
            ZH_CN.schedule(&hours),
            "周一至周五 09:00–18:30; 周六 10:00–16:00"
        );
        let saturday_night = LocalTime {
            weekday: 5,
            minute: 20 * 60,
        };
        assert_eq!(
            EN.availability(&hours, saturday_night),
            "We're offline now and will reply from Mon 09:00."
        );
        let friday_night = LocalTime {
            weekday: 4,
            minute: 20 * 60,
        };
        assert_eq!(
            ZH_TW.availability(&hours, friday_night),
            "現在是非服務時間，我們會在明天10:00開始回覆。"
        );
        Ok(())
    }

    /// The loader draws the launcher before the wasm (and these tables) arrive, so it carries its
    /// own copy of the three labels: keep them equal.
    #[test]
    fn the_loader_labels_the_launcher_as_the_tables_do() -> Result<(), std::io::Error> {
        let loader = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/kefu.js"))?;
        for strings in [&ZH_CN, &ZH_TW, &EN] {
            let key = if strings.locale.contains('-') {
                format!("\"{}\": \"{}\"", strings.locale, strings.launcher)
            } else {
                format!("{}: \"{}\"", strings.locale, strings.launcher)
            };
            assert!(loader.contains(&key), "src/kefu.js lacks {key}");
        }
        Ok(())
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
                strings.contact_wechat,
                strings.wechat_qr_alt,
                strings.hours_label,
                strings.day_range,
                strings.open_now,
                strings.today,
                strings.tomorrow,
            ];
            assert!(
                strings.closed_until.contains("{when}"),
                "{}",
                strings.locale
            );
            assert!(strings.weekdays.iter().all(|d| !d.is_empty()));
            assert!(
                all.iter().all(|s| !s.trim().is_empty()),
                "{}",
                strings.locale
            );
        }
    }
}
