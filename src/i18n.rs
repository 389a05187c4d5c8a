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
    /// Month names for dates, January first.
    pub months: [&'static str; 12],
    /// A date: `{mon}` is the month's name, `{d}` the day.
    pub date_format: &'static str,
    /// Opens the contact form.
    pub contact_support: &'static str,
    pub form_title: &'static str,
    pub form_intro: &'static str,
    pub form_name: &'static str,
    pub form_optional: &'static str,
    pub form_contact: &'static str,
    pub form_contact_hint: &'static str,
    pub form_category: &'static str,
    pub form_category_none: &'static str,
    pub form_message: &'static str,
    /// The contact form's optional one-line subject.
    pub form_subject: &'static str,
    /// Heads the articles suggested while the form is written.
    pub form_suggestions: &'static str,
    /// The article view's way back when it was opened from the form's suggestions.
    pub back_to_form: &'static str,
    /// The message counter; `{n}` characters of `{max}`.
    pub counter_text: &'static str,
    pub context_title: &'static str,
    pub context_searches: &'static str,
    pub context_articles: &'static str,
    pub context_flow: &'static str,
    pub context_page: &'static str,
    pub context_technical: &'static str,
    pub remove: &'static str,
    /// The accessible name of a remove button; `{item}` is the item's label.
    pub remove_item: &'static str,
    pub send: &'static str,
    pub sending: &'static str,
    pub saved_offline: &'static str,
    /// `{reference}` is the ticket reference.
    pub sent: &'static str,
    pub back_to_help: &'static str,
    pub other_channels: &'static str,
    pub error_contact: &'static str,
    pub error_message: &'static str,
    pub error_message_long: &'static str,
    pub error_consent: &'static str,
    pub form_failed: &'static str,
    /// Asked after every article.
    pub was_helpful: &'static str,
    pub yes: &'static str,
    pub no: &'static str,
    pub thanks_helpful: &'static str,
    pub sorry_not_helpful: &'static str,
    /// Guided flows.
    pub common_problems: &'static str,
    pub page_help: &'static str,
    pub flow_leave: &'static str,
    pub flow_back: &'static str,
    pub flow_restart: &'static str,
    /// `{n}` is the step on screen; `{low}`–`{high}` the likely total.
    pub flow_progress_range: &'static str,
    /// `{n}` of `{total}` when the total is known.
    pub flow_progress_exact: &'static str,
    pub continue_label: &'static str,
    pub step_done: &'static str,
    pub did_it_solve: &'static str,
    pub solved_yes: &'static str,
    pub solved_no: &'static str,
    pub flow_solved: &'static str,
    pub rate_prompt: &'static str,
    /// The accessible name of a rating button; `{n}` is 1–5.
    pub rate_label: &'static str,
    pub rated_thanks: &'static str,
    pub value_empty: &'static str,
    pub value_invalid: &'static str,
    /// Transcript words for support: question, answer, step, article read, fix, solved, not
    /// solved, escalated, ended.
    pub tr_question: &'static str,
    pub tr_answer: &'static str,
    pub tr_step: &'static str,
    pub tr_article: &'static str,
    pub tr_fix: &'static str,
    pub tr_solved: &'static str,
    pub tr_not_solved: &'static str,
    pub tr_escalated: &'static str,
    pub tr_ended: &'static str,
    /// "Not helpful": asking why, the four reasons, the comment, what follows.
    pub why_not_helpful: &'static str,
    pub reason_didnt_answer: &'static str,
    pub reason_steps_failed: &'static str,
    pub reason_hard: &'static str,
    pub reason_out_of_date: &'static str,
    pub comment_label: &'static str,
    pub send_feedback: &'static str,
    pub other_answers: &'static str,
    pub context_not_helpful: &'static str,
    /// Callout labels in articles (`> [!TIP]` …).
    pub callout_tip: &'static str,
    pub callout_note: &'static str,
    pub callout_warning: &'static str,
    pub callout_important: &'static str,
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
    contact_support: "联系客服",
    form_title: "联系客服",
    form_intro: "告诉我们遇到了什么问题，客服会尽快回复你。",
    form_name: "称呼",
    form_optional: "（选填）",
    form_contact: "邮箱或手机号",
    form_contact_hint: "我们会通过它回复你。",
    form_category: "问题类型",
    form_category_none: "请选择（选填）",
    form_message: "问题描述",
    form_subject: "主题",
    form_suggestions: "这些文章也许能直接解答：",
    back_to_form: "返回你的留言",
    counter_text: "{n} / {max} 字",
    context_title: "为免你重复说明，我们会附上：",
    context_searches: "你搜索过",
    context_articles: "你看过的文章",
    context_flow: "你走过的排查步骤",
    context_page: "当前页面",
    context_technical: "浏览器与版本信息",
    remove: "移除",
    remove_item: "移除“{item}”",
    send: "发送",
    sending: "正在发送…",
    saved_offline: "已保存。网络恢复后会自动发送，无需重新填写。",
    sent: "已发送！你的工单号是 {reference}，客服会尽快回复你。",
    back_to_help: "返回帮助中心",
    other_channels: "其他联系方式：",
    error_contact: "请填写有效的邮箱（如 name@example.com）或手机号。",
    error_message: "请描述一下你遇到的问题。",
    error_message_long: "问题描述太长了，请精简一些。",
    error_consent: "请先勾选同意，我们才能处理你的请求。",
    form_failed: "浏览器无法生成请求，请改用下方的其他联系方式。",
    was_helpful: "这篇文章解决你的问题了吗？",
    yes: "解决了",
    no: "没有",
    thanks_helpful: "太好了，感谢你的反馈！",
    sorry_not_helpful: "抱歉没能帮到你。可以直接联系客服：",
    common_problems: "常见问题，一步步帮你解决：",
    page_help: "本页面的相关帮助：",
    flow_leave: "退出引导",
    flow_back: "上一步",
    flow_restart: "重新开始",
    flow_progress_range: "第 {n} 步，共约 {low}–{high} 步",
    flow_progress_exact: "第 {n} 步，共 {total} 步",
    continue_label: "继续",
    step_done: "做好了，下一步",
    did_it_solve: "问题解决了吗？",
    solved_yes: "解决了",
    solved_no: "还没有",
    flow_solved: "太好了，问题解决了！",
    rate_prompt: "给这次帮助打个分吧（选填）：",
    rate_label: "{n} 分（满分 5 分）",
    rated_thanks: "谢谢你的评分！",
    value_empty: "请先填写这一项。",
    value_invalid: "格式好像不对，请检查后再试。",
    tr_question: "问",
    tr_answer: "答",
    tr_step: "步骤",
    tr_article: "阅读",
    tr_fix: "方案",
    tr_solved: "已解决",
    tr_not_solved: "未解决",
    tr_escalated: "转人工",
    tr_ended: "结束",
    callout_tip: "提示",
    callout_note: "注意",
    callout_warning: "警告",
    callout_important: "重要",
    months: [
        "1月", "2月", "3月", "4月", "5月", "6月", "7月", "8月", "9月", "10月", "11月", "12月",
    ],
    date_format: "{mon}{d}日",
    why_not_helpful: "哪里没帮上忙？（点一个就好）",
    reason_didnt_answer: "没回答我的问题",
    reason_steps_failed: "照着做了但没用",
    reason_hard: "看不太懂",
    reason_out_of_date: "内容过时了",
    comment_label: "还想补充什么？（选填）",
    send_feedback: "提交",
    other_answers: "这些答案也许能帮到你：",
    context_not_helpful: "没帮上忙的答案",
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
    contact_support: "聯絡客服",
    form_title: "聯絡客服",
    form_intro: "告訴我們遇到了什麼問題，客服會盡快回覆你。",
    form_name: "稱呼",
    form_optional: "（選填）",
    form_contact: "電子郵件或手機號碼",
    form_contact_hint: "我們會透過它回覆你。",
    form_category: "問題類型",
    form_category_none: "請選擇（選填）",
    form_message: "問題描述",
    form_subject: "主旨",
    form_suggestions: "這些文章也許能直接解答：",
    back_to_form: "返回你的留言",
    counter_text: "{n} / {max} 字",
    context_title: "為免你重複說明，我們會附上：",
    context_searches: "你搜尋過",
    context_articles: "你看過的文章",
    context_flow: "你走過的排查步驟",
    context_page: "目前頁面",
    context_technical: "瀏覽器與版本資訊",
    remove: "移除",
    remove_item: "移除「{item}」",
    send: "送出",
    sending: "正在送出…",
    saved_offline: "已儲存。網路恢復後會自動送出，無需重新填寫。",
    sent: "已送出！你的工單編號是 {reference}，客服會盡快回覆你。",
    back_to_help: "返回幫助中心",
    other_channels: "其他聯絡方式：",
    error_contact: "請填寫有效的電子郵件（如 name@example.com）或手機號碼。",
    error_message: "請描述一下你遇到的問題。",
    error_message_long: "問題描述太長了，請精簡一些。",
    error_consent: "請先勾選同意，我們才能處理你的請求。",
    form_failed: "瀏覽器無法產生請求，請改用下方的其他聯絡方式。",
    was_helpful: "這篇文章解決你的問題了嗎？",
    yes: "解決了",
    no: "沒有",
    thanks_helpful: "太好了，感謝你的回饋！",
    sorry_not_helpful: "抱歉沒能幫到你。可以直接聯絡客服：",
    common_problems: "常見問題，一步步幫你解決：",
    page_help: "本頁面的相關幫助：",
    flow_leave: "離開引導",
    flow_back: "上一步",
    flow_restart: "重新開始",
    flow_progress_range: "第 {n} 步，共約 {low}–{high} 步",
    flow_progress_exact: "第 {n} 步，共 {total} 步",
    continue_label: "繼續",
    step_done: "完成了，下一步",
    did_it_solve: "問題解決了嗎？",
    solved_yes: "解決了",
    solved_no: "還沒有",
    flow_solved: "太好了，問題解決了！",
    rate_prompt: "為這次幫助評個分吧（選填）：",
    rate_label: "{n} 分（滿分 5 分）",
    rated_thanks: "謝謝你的評分！",
    value_empty: "請先填寫這一項。",
    value_invalid: "格式好像不對，請檢查後再試。",
    tr_question: "問",
    tr_answer: "答",
    tr_step: "步驟",
    tr_article: "閱讀",
    tr_fix: "方案",
    tr_solved: "已解決",
    tr_not_solved: "未解決",
    tr_escalated: "轉人工",
    tr_ended: "結束",
    callout_tip: "提示",
    callout_note: "注意",
    callout_warning: "警告",
    callout_important: "重要",
    months: [
        "1月", "2月", "3月", "4月", "5月", "6月", "7月", "8月", "9月", "10月", "11月", "12月",
    ],
    date_format: "{mon}{d}日",
    why_not_helpful: "哪裡沒幫上忙？（點一個就好）",
    reason_didnt_answer: "沒回答我的問題",
    reason_steps_failed: "照著做了但沒用",
    reason_hard: "看不太懂",
    reason_out_of_date: "內容過時了",
    comment_label: "還想補充什麼？（選填）",
    send_feedback: "送出",
    other_answers: "這些答案也許能幫到你：",
    context_not_helpful: "沒幫上忙的答案",
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
    contact_support: "Contact support",
    form_title: "Contact support",
    form_intro: "Tell us what went wrong and a person will get back to you.",
    form_name: "Your name",
    form_optional: "(optional)",
    form_contact: "Email or phone",
    form_contact_hint: "We'll reply to this.",
    form_category: "Topic",
    form_category_none: "Choose one (optional)",
    form_message: "How can we help?",
    form_subject: "Subject",
    form_suggestions: "These articles may answer it right away:",
    back_to_form: "Back to your message",
    counter_text: "{n} of {max} characters",
    context_title: "So you don't have to repeat yourself, we'll include:",
    context_searches: "Your searches",
    context_articles: "Articles you read",
    context_flow: "Steps you went through",
    context_page: "This page",
    context_technical: "Browser and versions",
    remove: "Remove",
    remove_item: "Remove {item}",
    send: "Send",
    sending: "Sending…",
    saved_offline: "Saved — it will be sent when you are back online. No need to write it again.",
    sent: "Sent! Your reference is {reference}. We'll get back to you soon.",
    back_to_help: "Back to help",
    other_channels: "Other ways to reach us:",
    error_contact: "Enter an email address (like name@example.com) or a phone number.",
    error_message: "Please describe what you need help with.",
    error_message_long: "That message is too long; please shorten it.",
    error_consent: "Please tick the box so we can handle your request.",
    form_failed: "Your browser could not prepare the message; please use one of the channels below.",
    was_helpful: "Did this answer your question?",
    yes: "Yes",
    no: "No",
    thanks_helpful: "Great — thanks for letting us know!",
    sorry_not_helpful: "Sorry this didn't help. You can reach a person:",
    common_problems: "Common problems, solved step by step:",
    page_help: "Help with this page:",
    flow_leave: "Leave this guide",
    flow_back: "Back",
    flow_restart: "Start over",
    flow_progress_range: "Step {n} of about {low}–{high}",
    flow_progress_exact: "Step {n} of {total}",
    continue_label: "Continue",
    step_done: "Done, next step",
    did_it_solve: "Did this solve it?",
    solved_yes: "Yes, solved",
    solved_no: "No, not yet",
    flow_solved: "Great, that's sorted!",
    rate_prompt: "How helpful was this? (optional)",
    rate_label: "{n} out of 5",
    rated_thanks: "Thanks for rating!",
    value_empty: "Please fill this in first.",
    value_invalid: "That doesn't look right; please check and try again.",
    tr_question: "Q",
    tr_answer: "A",
    tr_step: "Step",
    tr_article: "Read",
    tr_fix: "Fix",
    tr_solved: "solved",
    tr_not_solved: "not solved",
    tr_escalated: "escalated",
    tr_ended: "ended",
    callout_tip: "Tip",
    callout_note: "Note",
    callout_warning: "Warning",
    callout_important: "Important",
    months: [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ],
    date_format: "{mon} {d}",
    why_not_helpful: "What went wrong? (one tap is enough)",
    reason_didnt_answer: "Didn't answer my question",
    reason_steps_failed: "The steps didn't work",
    reason_hard: "Hard to understand",
    reason_out_of_date: "Out of date",
    comment_label: "Anything to add? (optional)",
    send_feedback: "Send feedback",
    other_answers: "These answers may help instead:",
    context_not_helpful: "Answers that didn't help",
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
        "zh" => Some(if kefu_core::text::is_traditional_chinese(&tag) {
            &ZH_TW
        } else {
            &ZH_CN
        }),
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
                    0 => self.today.to_owned(),
                    1 => self.tomorrow.to_owned(),
                    2..=6 => self.weekdays[usize::from(opening.weekday % 7)].to_owned(),
                    // After a long holiday a weekday name would be ambiguous: say the date.
                    ahead => {
                        let date = now.date.plus_days(i64::from(ahead));
                        self.date_format
                            .replace(
                                "{mon}",
                                self.months[usize::from(date.month.saturating_sub(1) % 12)],
                            )
                            .replace("{d}", &date.day.to_string())
                    }
                };
                let separator = if self.locale == "en" { " " } else { "" };
                let when = format!("{day}{separator}{}", format_minute(opening.minute));
                self.closed_until.replace("{when}", &when)
            }
        }
    }

    /// The label of a "not helpful" reason.
    pub fn reason_label(&self, reason: kefu_protocol::Reason) -> &'static str {
        match reason {
            kefu_protocol::Reason::DidntAnswer => self.reason_didnt_answer,
            kefu_protocol::Reason::StepsFailed => self.reason_steps_failed,
            kefu_protocol::Reason::HardToUnderstand => self.reason_hard,
            kefu_protocol::Reason::OutOfDate => self.reason_out_of_date,
        }
    }

    /// "Step 2 of about 3–5", or "Step 2 of 4" when the total is certain.
    pub fn flow_progress(&self, step: usize, low: usize, high: usize) -> String {
        let n = step.to_string();
        if low == high {
            self.flow_progress_exact
                .replace("{n}", &n)
                .replace("{total}", &low.to_string())
        } else {
            self.flow_progress_range
                .replace("{n}", &n)
                .replace("{low}", &low.to_string())
                .replace("{high}", &high.to_string())
        }
    }

    /// "120 of 4000 characters".
    pub fn counter(&self, n: usize, max: usize) -> String {
        self.counter_text
            .replace("{n}", &n.to_string())
            .replace("{max}", &max.to_string())
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
        let date = |m, d| kefu_core::hours::Date::new(2027, m, d).unwrap_or_else(|| unreachable!());
        // 2027-03-06 is a Saturday.
        let saturday_night = LocalTime::new(date(3, 6), 20 * 60);
        assert_eq!(
            EN.availability(&hours, saturday_night),
            "We're offline now and will reply from Mon 09:00."
        );
        let friday_night = LocalTime::new(date(3, 5), 20 * 60);
        assert_eq!(
            ZH_TW.availability(&hours, friday_night),
            "現在是非服務時間，我們會在明天10:00開始回覆。"
        );
        // Across the spring festival, the date is named.
        let holiday = Hours::parse("Mon-Fri 09:00-18:30; closed 2027-02-05..2027-02-14")?;
        let before = LocalTime::new(date(2, 4), 19 * 60);
        assert_eq!(
            ZH_CN.availability(&holiday, before),
            "现在是非服务时间，我们会在2月15日09:00开始回复。"
        );
        assert_eq!(
            EN.availability(&holiday, before),
            "We're offline now and will reply from Feb 15 09:00."
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
                strings.contact_support,
                strings.form_title,
                strings.form_intro,
                strings.form_name,
                strings.form_optional,
                strings.form_contact,
                strings.form_contact_hint,
                strings.form_category,
                strings.form_category_none,
                strings.form_message,
                strings.form_subject,
                strings.form_suggestions,
                strings.back_to_form,
                strings.context_title,
                strings.context_searches,
                strings.context_articles,
                strings.context_flow,
                strings.context_page,
                strings.context_technical,
                strings.remove,
                strings.send,
                strings.sending,
                strings.saved_offline,
                strings.back_to_help,
                strings.other_channels,
                strings.error_contact,
                strings.error_message,
                strings.error_message_long,
                strings.error_consent,
                strings.form_failed,
                strings.was_helpful,
                strings.yes,
                strings.no,
                strings.thanks_helpful,
                strings.sorry_not_helpful,
                strings.common_problems,
                strings.page_help,
                strings.flow_leave,
                strings.flow_back,
                strings.flow_restart,
                strings.continue_label,
                strings.step_done,
                strings.did_it_solve,
                strings.solved_yes,
                strings.solved_no,
                strings.flow_solved,
                strings.rate_prompt,
                strings.rated_thanks,
                strings.value_empty,
                strings.value_invalid,
                strings.tr_question,
                strings.tr_answer,
                strings.tr_step,
                strings.tr_article,
                strings.tr_fix,
                strings.tr_solved,
                strings.tr_not_solved,
                strings.tr_escalated,
                strings.tr_ended,
            ];
            assert!(strings.rate_label.contains("{n}"));
            assert!(strings.flow_progress(2, 3, 5).contains('5'));
            assert!(strings.flow_progress(2, 4, 4).contains('4'));
            assert!(strings.sent.contains("{reference}"), "{}", strings.locale);
            assert!(strings.remove_item.contains("{item}"), "{}", strings.locale);
            assert!(strings.counter_text.contains("{n}") && strings.counter_text.contains("{max}"));
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
