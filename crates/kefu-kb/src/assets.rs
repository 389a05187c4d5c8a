//! Images in articles: find the file, check it is a safe picture, read its size, name it by hash.
//!
//! The widget shows `<img src=kb-assets/<hash>.<ext> width height loading=lazy>`: the size comes
//! from the file's header here, so the page does not jump while the picture loads, and the name
//! from its content, so a changed picture gets a new URL and caches never serve a stale one. The
//! header readers are a few lines per format on purpose: an image crate would decode pixels the
//! compiler never needs.

use std::path::{Component, Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::diagnostic::{LineIndex, Problem, closest};

/// The directory beside the bundle that holds the images, and the prefix of their URLs in it.
pub const ASSETS_DIR: &str = "kb-assets";

/// The default image budget: a larger picture is a warning, since phones load it on mobile data.
pub(crate) const DEFAULT_BUDGET_KB: u32 = 200;

/// An image file to ship beside the bundle, as `kb-assets/<name>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Asset {
    /// `<hash>.<ext>`: 16 hex digits of the SHA-256 of the bytes, and the format's extension.
    pub name: String,
    pub bytes: Vec<u8>,
}

/// A checked image: its URL relative to the bundle and its size in CSS pixels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Checked {
    pub asset: Asset,
    pub width: u32,
    pub height: u32,
}

/// The formats a browser shows everywhere; the extension decides which header is expected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Png,
    Jpeg,
    Gif,
    Webp,
    Svg,
}

impl Format {
    fn of(path: &Path) -> Option<Format> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        Some(match extension.as_str() {
            "png" => Format::Png,
            "jpg" | "jpeg" => Format::Jpeg,
            "gif" => Format::Gif,
            "webp" => Format::Webp,
            "svg" => Format::Svg,
            _ => return None,
        })
    }

    fn extension(self) -> &'static str {
        match self {
            Format::Png => "png",
            Format::Jpeg => "jpg",
            Format::Gif => "gif",
            Format::Webp => "webp",
            Format::Svg => "svg",
        }
    }
}

/// Where the image written as `src` in `markdown_file` is, or the problem (at `line:col` of the
/// Markdown) why it cannot be used.
pub(crate) fn locate(
    kb_dir: &Path,
    markdown_file: &Path,
    src: &str,
    (line, col): (u32, u32),
) -> Result<PathBuf, Problem> {
    let relative = Path::new(src);
    // Lexically first, so `../../etc/passwd` is reported as outside the KB whether it exists or
    // not; then canonically, so a symlink cannot lead out either.
    let base = markdown_file.parent().unwrap_or(Path::new(""));
    let kb_depth = base
        .strip_prefix(kb_dir)
        .map_or(0, |inside| inside.components().count());
    let mut depth = kb_depth;
    for component in relative.components() {
        match component {
            Component::ParentDir if depth == 0 => {
                return Err(outside(src, line, col));
            }
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => return Err(outside(src, line, col)),
        }
    }
    let path = base.join(relative);
    if !path.is_file() {
        let mut problem = Problem::error(
            line,
            col,
            format!(
                "image `{src}` does not exist (looked for {})",
                path.display()
            ),
        );
        let siblings = list_images(path.parent().unwrap_or(base));
        let wanted = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        problem = match closest(&wanted, siblings.iter().map(String::as_str), 3) {
            Some(suggestion) => problem.with_hint(format!("did you mean `{suggestion}`?")),
            None => problem
                .with_hint("paths are relative to the Markdown file, e.g. images/refund.png for kb/en/images/refund.png"),
        };
        return Err(problem);
    }
    if let (Ok(canonical), Ok(kb_canonical)) = (path.canonicalize(), kb_dir.canonicalize())
        && !canonical.starts_with(&kb_canonical)
    {
        return Err(outside(src, line, col));
    }
    if Format::of(&path).is_none() {
        return Err(Problem::error(
            line,
            col,
            format!("`{src}` is not an image format the widget ships"),
        )
        .with_hint("use PNG, JPEG, GIF, WebP or SVG"));
    }
    Ok(path)
}

fn outside(src: &str, line: u32, col: u32) -> Problem {
    Problem::error(
        line,
        col,
        format!("image `{src}` is outside the knowledge base"),
    )
    .with_hint("copy the picture into the KB directory (e.g. kb/en/images/) and link to the copy")
}

fn list_images(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| Format::of(Path::new(name)).is_some())
        .collect();
    names.sort();
    names
}

/// Checks the image file at `path` and names it. Problems about the file's content point into
/// the file when there is a line to point at (an SVG), else at `1:1` of it; the caller reports
/// them against `path`.
pub(crate) fn check(path: &Path, bytes: Vec<u8>) -> Result<Checked, Vec<Problem>> {
    let Some(format) = Format::of(path) else {
        return Err(vec![Problem::error(
            1,
            1,
            "not an image format the widget ships",
        )]);
    };
    let size = match format {
        Format::Svg => svg_size(&bytes)?,
        Format::Png => png_size(&bytes),
        Format::Jpeg => jpeg_size(&bytes),
        Format::Gif => gif_size(&bytes),
        Format::Webp => webp_size(&bytes),
    };
    let Some((width, height)) = size.filter(|&(width, height)| width > 0 && height > 0) else {
        return Err(vec![
            Problem::error(
                1,
                1,
                format!(
                    "this file is not a readable {} image",
                    format.extension().to_uppercase()
                ),
            )
            .with_hint(
                "re-export it from an image editor, or fix the extension if it is another format",
            ),
        ]);
    };
    let digest = Sha256::digest(&bytes);
    let hash: String = digest
        .iter()
        .take(8)
        .map(|byte| format!("{byte:02x}"))
        .collect();
    Ok(Checked {
        asset: Asset {
            name: format!("{hash}.{}", format.extension()),
            bytes,
        },
        width,
        height,
    })
}

fn be16(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from(u16::from_be_bytes([
        *bytes.get(at)?,
        *bytes.get(at + 1)?,
    ])))
}

fn le16(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from(u16::from_le_bytes([
        *bytes.get(at)?,
        *bytes.get(at + 1)?,
    ])))
}

fn le24(bytes: &[u8], at: usize) -> Option<u32> {
    Some(
        u32::from(*bytes.get(at)?)
            | u32::from(*bytes.get(at + 1)?) << 8
            | u32::from(*bytes.get(at + 2)?) << 16,
    )
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

/// PNG: the signature, then the IHDR chunk with width and height as big-endian u32.
fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if !bytes.starts_with(b"\x89PNG\r\n\x1a\n") || bytes.get(12..16)? != b"IHDR" {
        return None;
    }
    Some((be32(bytes, 16)?, be32(bytes, 20)?))
}

/// GIF: `GIF87a` or `GIF89a`, then the logical screen size as little-endian u16.
fn gif_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if !(bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a")) {
        return None;
    }
    Some((le16(bytes, 6)?, le16(bytes, 8)?))
}

/// WebP: a RIFF container whose first chunk is lossy (`VP8 `), lossless (`VP8L`) or extended
/// (`VP8X`), each storing the size its own way.
fn webp_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if bytes.get(0..4)? != b"RIFF" || bytes.get(8..12)? != b"WEBP" {
        return None;
    }
    match bytes.get(12..16)? {
        b"VP8 " => {
            // Frame tag (3 bytes), start code 9d 01 2a, then 14-bit width and height.
            if bytes.get(23..26)? != [0x9d, 0x01, 0x2a] {
                return None;
            }
            Some((le16(bytes, 26)? & 0x3fff, le16(bytes, 28)? & 0x3fff))
        }
        b"VP8L" => {
            if *bytes.get(20)? != 0x2f {
                return None;
            }
            let bits = u32::from_le_bytes(bytes.get(21..25)?.try_into().ok()?);
            Some(((bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1))
        }
        b"VP8X" => Some((le24(bytes, 24)? + 1, le24(bytes, 27)? + 1)),
        _ => None,
    }
}

/// JPEG: walk the marker segments to the first start-of-frame, which holds height then width.
fn jpeg_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if !bytes.starts_with(&[0xff, 0xd8]) {
        return None;
    }
    let mut at = 2;
    loop {
        // Fill bytes (0xff repeated) may precede a marker.
        while *bytes.get(at)? == 0xff && *bytes.get(at + 1)? == 0xff {
            at += 1;
        }
        if *bytes.get(at)? != 0xff {
            return None;
        }
        let marker = *bytes.get(at + 1)?;
        match marker {
            // Markers without a length: restart markers, TEM, start of image.
            0xd0..=0xd8 | 0x01 => at += 2,
            // End of image or start of scan before any frame header: not a usable file.
            0xd9 | 0xda => return None,
            // SOF0..SOF15, except DHT (c4), JPG (c8) and DAC (cc), which share the range.
            0xc0..=0xcf if !matches!(marker, 0xc4 | 0xc8 | 0xcc) => {
                let height = be16(bytes, at + 5)?;
                let width = be16(bytes, at + 7)?;
                return Some((width, height));
            }
            _ => {
                let length = usize::try_from(be16(bytes, at + 2)?).ok()?;
                if length < 2 {
                    return None;
                }
                at += 2 + length;
            }
        }
    }
}

/// Things an SVG must not contain, lowercase, with why. An `<img>` never runs an SVG's scripts,
/// but the file also sits on the site's origin where someone may open it directly.
const SVG_FORBIDDEN: &[(&str, &str)] = &[
    ("<script", "a <script> element"),
    ("javascript:", "a javascript: URL"),
    ("<foreignobject", "a <foreignObject> (embedded HTML)"),
    ("<!entity", "an XML entity declaration"),
    ("<iframe", "an <iframe>"),
    ("@import", "a CSS @import of another file"),
    ("url(http", "a CSS url() pointing to another server"),
    ("url(//", "a CSS url() pointing to another server"),
];

/// Checks an SVG for script, event handlers and external references, then reads its size from
/// the root element's `width`/`height`, or its `viewBox`.
fn svg_size(bytes: &[u8]) -> Result<Option<(u32, u32)>, Vec<Problem>> {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Err(vec![
            Problem::error(1, 1, "this SVG is not valid UTF-8")
                .with_hint("re-export it as UTF-8 from the drawing program"),
        ]);
    };
    let lower = text.to_ascii_lowercase();
    let line_index = LineIndex::new(text);
    let mut problems = Vec::new();
    let fix = "remove it, or re-export the picture as plain SVG (most editors have an \"optimized\" or \"plain SVG\" option), or as PNG";
    for (needle, what) in SVG_FORBIDDEN {
        if let Some(at) = lower.find(needle) {
            let (line, col) = line_index.line_col(at);
            problems.push(
                Problem::error(line, col, format!("this SVG contains {what}")).with_hint(fix),
            );
        }
    }
    for (name, value, at) in attributes(&lower) {
        let (line, col) = line_index.line_col(at);
        if name.starts_with("on") && name.len() > 2 {
            problems.push(
                Problem::error(
                    line,
                    col,
                    format!("this SVG has an event handler attribute `{name}`"),
                )
                .with_hint(fix),
            );
        } else if (name == "href" || name.ends_with(":href")) && !value.starts_with('#') {
            problems.push(
                Problem::error(
                    line,
                    col,
                    format!("this SVG refers to another file or URL (`{name}`)"),
                )
                .with_hint("an image shipped with the KB must be self-contained: embed the referenced shapes, or export as PNG"),
            );
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let Some(svg_start) = lower.find("<svg") else {
        return Ok(None);
    };
    let svg_end = lower[svg_start..]
        .find('>')
        .map_or(lower.len(), |end| svg_start + end);
    let root = &text[svg_start..svg_end];
    let root_lower = &lower[svg_start..svg_end];
    let mut width = None;
    let mut height = None;
    let mut view_box = None;
    for (name, _, at) in attributes(root_lower) {
        let value = attribute_value(root, at);
        match name.as_str() {
            "width" => width = css_pixels(value),
            "height" => height = css_pixels(value),
            "viewbox" => view_box = Some(value),
            _ => {}
        }
    }
    if let (Some(width), Some(height)) = (width, height) {
        return Ok(Some((width, height)));
    }
    let from_view_box = view_box.and_then(|view_box| {
        let numbers: Vec<f64> = view_box
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|part| !part.is_empty())
            .filter_map(|part| part.parse().ok())
            .collect();
        match numbers[..] {
            [_, _, w, h] => Some((to_pixels(w)?, to_pixels(h)?)),
            _ => None,
        }
    });
    match from_view_box {
        Some(size) => Ok(Some(size)),
        None => Err(vec![
            Problem::error(
                1,
                1,
                "this SVG has no size: its <svg> element needs width and height, or a viewBox",
            )
            .with_hint("add viewBox=\"0 0 <width> <height>\" to the <svg> element"),
        ]),
    }
}

/// The attributes of every tag in `lower` (already lowercase): name, value and the offset of
/// the name. Text between tags is skipped; values may be quoted or bare.
fn attributes(lower: &str) -> Vec<(String, String, usize)> {
    let bytes = lower.as_bytes();
    let mut found = Vec::new();
    let mut in_tag = false;
    let mut pos = 0;
    while pos < bytes.len() {
        let byte = bytes[pos];
        if !in_tag {
            if byte == b'<' && bytes.get(pos + 1).is_some_and(u8::is_ascii_alphabetic) {
                in_tag = true;
                // Skip the element name.
                pos += 1;
                while pos < bytes.len() && !bytes[pos].is_ascii_whitespace() && bytes[pos] != b'>' {
                    pos += 1;
                }
                continue;
            }
            pos += 1;
            continue;
        }
        match byte {
            b'>' => {
                in_tag = false;
                pos += 1;
            }
            b if b.is_ascii_whitespace() || b == b'/' => pos += 1,
            _ => {
                let name_start = pos;
                while pos < bytes.len()
                    && !bytes[pos].is_ascii_whitespace()
                    && !matches!(bytes[pos], b'=' | b'>' | b'/')
                {
                    pos += 1;
                }
                let name = lower[name_start..pos].to_owned();
                while pos < bytes.len() && bytes[pos].is_ascii_whitespace() {
                    pos += 1;
                }
                let mut value = String::new();
                if bytes.get(pos) == Some(&b'=') {
                    pos += 1;
                    while pos < bytes.len() && bytes[pos].is_ascii_whitespace() {
                        pos += 1;
                    }
                    let value_start;
                    match bytes.get(pos) {
                        Some(&quote @ (b'"' | b'\'')) => {
                            value_start = pos + 1;
                            pos += 1;
                            while pos < bytes.len() && bytes[pos] != quote {
                                pos += 1;
                            }
                            value = lower[value_start..pos].trim().to_owned();
                            pos += 1;
                        }
                        _ => {
                            value_start = pos;
                            while pos < bytes.len()
                                && !bytes[pos].is_ascii_whitespace()
                                && bytes[pos] != b'>'
                            {
                                pos += 1;
                            }
                            value = lower[value_start..pos].to_owned();
                        }
                    }
                }
                if pos == name_start {
                    pos += 1;
                }
                found.push((name, value, name_start));
            }
        }
    }
    found
}

/// The value of the attribute whose name starts at `at` in `tag`, in its original case.
fn attribute_value(tag: &str, at: usize) -> &str {
    let rest = tag.get(at..).unwrap_or_default();
    let Some(equals) = rest.find('=') else {
        return "";
    };
    let value = rest[equals + 1..].trim_start();
    match value.chars().next() {
        Some(quote @ ('"' | '\'')) => {
            let inner = &value[1..];
            inner.find(quote).map_or(inner, |end| &inner[..end])
        }
        _ => value
            .split(|c: char| c.is_whitespace() || c == '>')
            .next()
            .unwrap_or_default(),
    }
}

/// `120`, `120px`, `120.5` → pixels; percentages and font-relative units have no fixed size.
fn css_pixels(value: &str) -> Option<u32> {
    let number = value.trim().strip_suffix("px").unwrap_or(value.trim());
    to_pixels(number.parse().ok()?)
}

fn to_pixels(value: f64) -> Option<u32> {
    if !(value.is_finite() && value > 0.0 && value < 100_000.0) {
        return None;
    }
    // In range by the check above, so the cast neither saturates nor wraps.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Some(value.round().max(1.0) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers() {
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        png.extend_from_slice(&640u32.to_be_bytes());
        png.extend_from_slice(&480u32.to_be_bytes());
        assert_eq!(png_size(&png), Some((640, 480)));
        assert_eq!(gif_size(b"GIF89a\x20\x03\x58\x02"), Some((800, 600)));
        let jpeg = [
            0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x00, 0x00, 0xff, 0xc0, 0x00, 0x11, 0x08, 0x01,
            0x2c, 0x01, 0x90,
        ];
        assert_eq!(jpeg_size(&jpeg), Some((400, 300)));
        let mut webp = b"RIFF\0\0\0\0WEBPVP8X\x0a\0\0\0\0\0\0\0".to_vec();
        webp.extend_from_slice(&[0x3f, 0x01, 0x00, 0xc7, 0x00, 0x00]);
        assert_eq!(webp_size(&webp), Some((320, 200)));
        let mut lossless = b"RIFF\0\0\0\0WEBPVP8L\0\0\0\0\x2f".to_vec();
        // width 100 → 99, height 50 → 49 << 14.
        lossless.extend_from_slice(&(99u32 | (49 << 14)).to_le_bytes());
        assert_eq!(webp_size(&lossless), Some((100, 50)));
        assert_eq!(png_size(b"\x89PNG"), None);
        assert_eq!(jpeg_size(&[0xff, 0xd8, 0xff]), None);
    }

    #[test]
    fn svg_sizes() {
        let size = |text: &str| svg_size(text.as_bytes()).ok().flatten();
        assert_eq!(size(r#"<svg width="24px" height="16">"#), Some((24, 16)));
        assert_eq!(
            size(r#"<?xml?><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120.4 80">"#),
            Some((120, 80))
        );
        assert_eq!(
            size(r##"<svg width="100%" viewBox="0,0,30,20"><use href="#a"/></svg>"##),
            Some((30, 20))
        );
    }

    #[test]
    fn unsafe_svgs_are_rejected() {
        let problems = |text: &str| match svg_size(text.as_bytes()) {
            Ok(_) => Vec::new(),
            Err(problems) => problems.iter().map(ToString::to_string).collect(),
        };
        let found = problems(
            "<svg viewBox=\"0 0 1 1\">\n<script>alert(1)</script>\n<rect onload=\"x()\"/><image href=\"https://evil.example/a.png\"/><a xlink:href=\"javascript:alert(1)\"/></svg>",
        );
        let joined = found.join("\n");
        assert!(
            joined.contains("2:1: error: this SVG contains a <script> element"),
            "{joined}"
        );
        assert!(
            joined.contains("event handler attribute `onload`"),
            "{joined}"
        );
        assert!(
            joined.contains("refers to another file or URL (`href`)"),
            "{joined}"
        );
        assert!(joined.contains("javascript: URL"), "{joined}");
        assert!(problems(r##"<svg viewBox="0 0 1 1"><use href="#shape"/></svg>"##).is_empty());
    }
}
