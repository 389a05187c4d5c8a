//! `kefu report --html FILE`: the report as one self-contained HTML page for editors, with
//! inline SVG bar charts and the same numbers as tables beside them.
//!
//! The page loads nothing (no scripts, fonts or stylesheets from elsewhere) so it opens from a
//! file, offline, and can be mailed around. Every piece of text a customer or the KB supplied
//! goes through [`escape`]; nothing is ever inserted raw.

use std::fmt::Write as _;

use kefu_server::store::{Counted, Report, TimeRange};

use super::groups::QueryGroup;

/// How many phrasings of a group the page lists.
const PHRASINGS_SHOWN: usize = 8;
/// Characters of a label inside a chart before it is cut with `…` (the table has it in full).
const CHART_LABEL_CHARS: usize = 24;

/// Escapes text for HTML element content and quoted attribute values alike.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            // Control characters have no business in a page and some are invalid in HTML.
            c if c.is_control() && c != '\n' && c != '\t' => escaped.push('\u{FFFD}'),
            c => escaped.push(c),
        }
    }
    escaped
}

fn shorten(text: &str) -> String {
    let mut chars = text.chars();
    let mut short: String = chars.by_ref().take(CHART_LABEL_CHARS).collect();
    if chars.next().is_some() {
        short.push('…');
    }
    short
}

/// One bar of a chart: its label and its segments' values (one segment for a plain bar).
struct Bar {
    label: String,
    values: Vec<i64>,
}

/// A horizontal bar chart as inline SVG. `series` names the segments and their colours; the
/// `<title>` of the chart and of each bar are what screen readers announce.
fn bar_chart(out: &mut String, title: &str, series: &[(&str, &str)], bars: &[Bar]) {
    if bars.is_empty() {
        return;
    }
    const LABEL_WIDTH: i64 = 220;
    const BAR_WIDTH: i64 = 360;
    const ROW: i64 = 26;
    let max = bars
        .iter()
        .map(|bar| bar.values.iter().sum::<i64>())
        .max()
        .unwrap_or(0)
        .max(1);
    let height = ROW * i64::try_from(bars.len()).unwrap_or(i64::MAX / ROW / 2) + 8;
    let width = LABEL_WIDTH + BAR_WIDTH + 70;
    let _ = writeln!(
        out,
        "<svg class=\"chart\" role=\"img\" aria-label=\"{title}\" viewBox=\"0 0 {width} {height}\" \
         width=\"{width}\" height=\"{height}\"><title>{title}</title>",
        title = escape(title)
    );
    for (row, bar) in bars.iter().enumerate() {
        let y = ROW * i64::try_from(row).unwrap_or(0) + 4;
        let total: i64 = bar.values.iter().sum();
        let parts: Vec<String> = series
            .iter()
            .zip(&bar.values)
            .map(|((name, _), value)| format!("{value} {name}"))
            .collect();
        let _ = write!(
            out,
            "<g><title>{}: {}</title><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            escape(&bar.label),
            escape(&parts.join(", ")),
            LABEL_WIDTH - 8,
            y + 16,
            escape(&shorten(&bar.label))
        );
        let mut x = LABEL_WIDTH;
        for ((_, colour), value) in series.iter().zip(&bar.values) {
            let length = BAR_WIDTH * value / max;
            if length > 0 {
                let _ = write!(
                    out,
                    "<rect x=\"{x}\" y=\"{y}\" width=\"{length}\" height=\"{}\" fill=\"{colour}\"/>",
                    ROW - 8
                );
            }
            x += length;
        }
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{}\">{total}</text></g>",
            x + 6,
            y + 16
        );
    }
    out.push_str("</svg>\n");
}

fn table(out: &mut String, caption: &str, headers: &[&str], rows: &[Vec<String>]) {
    let _ = write!(
        out,
        "<table><caption>{}</caption><thead><tr>",
        escape(caption)
    );
    for header in headers {
        let _ = write!(out, "<th scope=\"col\">{}</th>", escape(header));
    }
    out.push_str("</tr></thead><tbody>\n");
    for row in rows {
        out.push_str("<tr>");
        for cell in row {
            // Cells arrive escaped (some hold markup such as lists of phrasings).
            let class = if cell.parse::<i64>().is_err() {
                ""
            } else {
                " class=\"n\""
            };
            let _ = write!(out, "<td{class}>{cell}</td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>\n");
}

fn none(out: &mut String) {
    out.push_str("<p class=\"none\">Nothing in this period.</p>\n");
}

fn groups_section(out: &mut String, id: &str, heading: &str, intro: &str, groups: &[QueryGroup]) {
    let _ = writeln!(
        out,
        "<section id=\"{id}\"><h2>{}</h2><p>{}</p>",
        escape(heading),
        escape(intro)
    );
    if groups.is_empty() {
        none(out);
    } else {
        let bars: Vec<Bar> = groups
            .iter()
            .map(|group| Bar {
                label: group.label.clone(),
                values: vec![group.total],
            })
            .collect();
        bar_chart(out, heading, &[("searches", "#c0392b")], &bars);
        let rows: Vec<Vec<String>> = groups
            .iter()
            .map(|group| {
                let phrasings: Vec<String> = group
                    .phrasings
                    .iter()
                    .take(PHRASINGS_SHOWN)
                    .map(|p| {
                        format!(
                            "<li><q>{}</q> <span class=\"meta\">{} ×{}</span></li>",
                            escape(&p.key),
                            escape(&p.locale),
                            p.count
                        )
                    })
                    .collect();
                let more = group.phrasings.len().saturating_sub(PHRASINGS_SHOWN);
                let more = if more > 0 {
                    format!("<li class=\"meta\">and {more} more</li>")
                } else {
                    String::new()
                };
                vec![
                    escape(&group.label),
                    group.total.to_string(),
                    format!("<ul>{}{more}</ul>", phrasings.join("")),
                ]
            })
            .collect();
        table(out, heading, &["Question", "Searches", "Phrasings"], &rows);
    }
    out.push_str("</section>\n");
}

/// A chart and table of one counted list; `column` names what is counted (query, article).
fn counted_section(
    out: &mut String,
    id: &str,
    heading: &str,
    (column, what): (&str, &str),
    list: &[Counted],
) {
    let _ = writeln!(out, "<section id=\"{id}\"><h2>{}</h2>", escape(heading));
    if list.is_empty() {
        none(out);
    } else {
        let bars: Vec<Bar> = list
            .iter()
            .map(|item| Bar {
                label: item.key.clone(),
                values: vec![item.count],
            })
            .collect();
        bar_chart(out, heading, &[(what, "#2f6fb3")], &bars);
        let rows: Vec<Vec<String>> = list
            .iter()
            .map(|item| {
                vec![
                    escape(&item.key),
                    escape(&item.locale),
                    item.count.to_string(),
                ]
            })
            .collect();
        table(out, heading, &[column, "Locale", "Count"], &rows);
    }
    out.push_str("</section>\n");
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,\"Segoe UI\",\"PingFang SC\",\
\"Hiragino Sans GB\",\"Microsoft YaHei\",\"Noto Sans CJK SC\",\"Source Han Sans SC\",\
\"WenQuanYi Micro Hei\",sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222;\
line-height:1.5}h1{margin-bottom:.2rem}section{margin:2rem 0}\
#zero-results{border:3px solid #c0392b;border-radius:8px;padding:0 1rem 1rem;background:#fff8f7}\
.totals{display:flex;gap:1.5rem;flex-wrap:wrap;padding:0;list-style:none}\
.totals li{border:1px solid #ccc;border-radius:6px;padding:.5rem 1rem}.totals b{font-size:1.4rem;\
display:block}table{border-collapse:collapse;margin-top:.5rem;width:100%}caption{text-align:left;\
font-weight:600}th,td{border-bottom:1px solid #ddd;padding:.25rem .5rem;text-align:left;\
vertical-align:top}td.n{text-align:right;font-variant-numeric:tabular-nums}td ul{margin:0;\
padding-left:1rem}.meta,.none{color:#666}svg.chart{max-width:100%;height:auto;font-size:13px}\
svg.chart text{fill:#222}.legend span{display:inline-block;width:.8rem;height:.8rem;\
margin:0 .3rem 0 1rem;vertical-align:middle}";

/// The whole page.
pub fn render(
    report: &Report,
    zero_result_groups: &[QueryGroup],
    missed_groups: &[QueryGroup],
    range: &TimeRange,
) -> String {
    let since = range.since.as_deref().unwrap_or("the beginning");
    let until = range.until.as_deref().unwrap_or("now");
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Kefu report, {since} to {until}</title><style>{STYLE}</style></head><body>\
         <header><h1>Kefu report</h1><p>{since} to {until}</p>",
        since = escape(since),
        until = escape(until)
    );
    let _ = writeln!(
        out,
        "<ul class=\"totals\"><li><b>{}</b>searches</li><li><b>{}</b>with no result</li>\
         <li><b>{}</b>tickets</li></ul></header><main>",
        report.searches, report.zero_result_searches, report.tickets
    );
    groups_section(
        &mut out,
        "zero-results",
        "What to write next: questions the KB cannot answer",
        "Searches that found nothing, similar phrasings grouped together, most asked first.",
        zero_result_groups,
    );
    groups_section(
        &mut out,
        "low-click",
        "Searches whose results did not help",
        "Results were shown but none was opened: the answer may exist under other words.",
        missed_groups,
    );
    counted_section(
        &mut out,
        "top-searches",
        "Top searches",
        ("Query", "searches"),
        &report.top_searches,
    );

    out.push_str("<section id=\"least-helpful\"><h2>Least helpful answers</h2>\n");
    if report.least_helpful.is_empty() {
        none(&mut out);
    } else {
        let bars: Vec<Bar> = report
            .least_helpful
            .iter()
            .map(|votes| Bar {
                label: votes.id.clone(),
                values: vec![votes.not_helpful, votes.helpful],
            })
            .collect();
        bar_chart(
            &mut out,
            "Least helpful answers",
            &[("no", "#c0392b"), ("yes", "#27ae60")],
            &bars,
        );
        let rows: Vec<Vec<String>> = report
            .least_helpful
            .iter()
            .map(|votes| {
                let reasons: Vec<String> = votes
                    .reasons
                    .iter()
                    .map(|(reason, n)| format!("{} ×{n}", escape(reason)))
                    .collect();
                let comments: Vec<String> = votes
                    .comments
                    .iter()
                    .map(|comment| format!("<li><q>{}</q></li>", escape(comment)))
                    .collect();
                vec![
                    format!("{} {}", escape(&votes.target), escape(&votes.id)),
                    votes.not_helpful.to_string(),
                    votes.helpful.to_string(),
                    reasons.join(", "),
                    format!("<ul>{}</ul>", comments.join("")),
                ]
            })
            .collect();
        table(
            &mut out,
            "Least helpful answers",
            &["Answer", "No", "Yes", "Reasons", "Latest comments"],
            &rows,
        );
    }
    out.push_str("</section>\n");

    out.push_str("<section id=\"flows\"><h2>Flows by outcome</h2>\n");
    if report.flows.is_empty() {
        none(&mut out);
    } else {
        let series = [
            ("solved", "#27ae60"),
            ("escalated", "#e67e22"),
            ("abandoned", "#c0392b"),
        ];
        let mut legend = String::from("<p class=\"legend\" aria-hidden=\"true\">");
        for (name, colour) in series {
            let _ = write!(legend, "<span style=\"background:{colour}\"></span>{name}");
        }
        legend.push_str("</p>\n");
        out.push_str(&legend);
        let bars: Vec<Bar> = report
            .flows
            .iter()
            .map(|flow| Bar {
                label: flow.flow_id.clone(),
                values: vec![flow.solved, flow.escalated, flow.abandoned],
            })
            .collect();
        bar_chart(&mut out, "Flows by outcome", &series, &bars);
        let rows: Vec<Vec<String>> = report
            .flows
            .iter()
            .map(|flow| {
                let stops: Vec<String> = flow
                    .stops
                    .iter()
                    .map(|(outcome, node, n)| {
                        format!(
                            "<li>{} at <code>{}</code> ×{n}</li>",
                            escape(outcome),
                            escape(node)
                        )
                    })
                    .collect();
                vec![
                    escape(&flow.flow_id),
                    flow.solved.to_string(),
                    flow.escalated.to_string(),
                    flow.abandoned.to_string(),
                    format!("<ul>{}</ul>", stops.join("")),
                ]
            })
            .collect();
        table(
            &mut out,
            "Flows by outcome",
            &[
                "Flow",
                "Solved",
                "Escalated",
                "Abandoned",
                "Where it stopped",
            ],
            &rows,
        );
    }
    out.push_str("</section>\n");

    counted_section(
        &mut out,
        "deflections",
        "Deflections (article opened from the form, form left unsent)",
        ("Article", "deflections"),
        &report.deflections,
    );
    out.push_str("</main></body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_controls() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"q\"\u{1b}"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;\u{FFFD}"
        );
    }

    /// Every printable ASCII character, alone and around markup, comes out inert and decodes
    /// back to itself: a cheap exhaustive check instead of a property test (no proptest here).
    #[test]
    fn escaping_is_inert_and_lossless() {
        let decode = |html: &str| {
            html.replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&#39;", "'")
                .replace("&amp;", "&")
        };
        for byte in 0x20_u8..0x7f {
            let c = char::from(byte);
            for text in [
                c.to_string(),
                format!("<a{c}>{c}&{c}</a>"),
                format!("退款{c}\"{c}'"),
            ] {
                let escaped = escape(&text);
                assert!(
                    !escaped.contains(['<', '>', '"', '\'']),
                    "{text:?} -> {escaped:?}"
                );
                assert_eq!(decode(&escaped), text);
            }
        }
    }

    #[test]
    fn chart_has_titles_and_scaled_bars() {
        let mut out = String::new();
        bar_chart(
            &mut out,
            "T<",
            &[("searches", "#000")],
            &[
                Bar {
                    label: "退款<b>".into(),
                    values: vec![4],
                },
                Bar {
                    label: "b".into(),
                    values: vec![2],
                },
            ],
        );
        assert!(out.contains("aria-label=\"T&lt;\""), "{out}");
        assert!(
            out.contains("<title>退款&lt;b&gt;: 4 searches</title>"),
            "{out}"
        );
        assert!(out.contains("width=\"360\""), "{out}");
        assert!(out.contains("width=\"180\""), "{out}");
        assert!(!out.contains("<b>"), "{out}");
    }
}
