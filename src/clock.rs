//! "Now" in the site's time zone (date and time), from the browser's `Intl`, for
//! [`kefu_core::hours`]: a visitor in New York sees when the Shanghai team answers.
//!
//! The schedule logic is the engine's and tested natively; this only reads the clock. A time
//! zone the browser does not know is an error to report once, never a crash: `Intl` throws a
//! `RangeError`, so every call goes through `Reflect` with the exception caught.

use js_sys::{Array, Object, Reflect};
use kefu_core::hours::{Date, LocalTime};
use wasm_bindgen::{JsCast, JsValue};

/// The current weekday and minute in `time_zone` (IANA name such as `Asia/Shanghai`), or in the
/// visitor's own zone when `None`.
pub fn site_now(time_zone: Option<&str>) -> Result<LocalTime, String> {
    let Some(zone) = time_zone else {
        let now = js_sys::Date::new_0();
        let date = Date::new(
            now.get_full_year() as i32,
            now.get_month() as u8 + 1,
            now.get_date() as u8,
        )
        .ok_or("the browser's clock gave no date")?;
        let minute = (now.get_hours() * 60 + now.get_minutes()) as u16;
        return Ok(LocalTime::new(date, minute));
    };
    let parts = format_parts(zone).map_err(|error| {
        format!(
            "data-time-zone: `{zone}` is not a time zone this browser knows ({}); use an IANA name such as Asia/Shanghai",
            error.as_string().unwrap_or_default()
        )
    })?;
    let part = |kind: &str| {
        parts.iter().find_map(|part| {
            let is_kind = Reflect::get(&part, &"type".into()).ok()?.as_string()? == kind;
            is_kind.then(|| Reflect::get(&part, &"value".into()).ok()?.as_string())?
        })
    };
    let number = |kind: &str| part(kind).and_then(|value| value.parse::<u32>().ok());
    let date = match (number("year"), number("month"), number("day")) {
        (Some(year), Some(month), Some(day)) => Date::new(year as i32, month as u8, day as u8),
        _ => None,
    }
    .ok_or("the browser's Intl gave no date")?;
    let hour = number("hour").unwrap_or(0) % 24;
    let minute = number("minute").unwrap_or(0);
    Ok(LocalTime::new(date, (hour * 60 + minute) as u16))
}

fn format_parts(zone: &str) -> Result<Array, JsValue> {
    let intl = Reflect::get(&js_sys::global(), &"Intl".into())?;
    let constructor: js_sys::Function =
        Reflect::get(&intl, &"DateTimeFormat".into())?.dyn_into()?;
    let options = Object::new();
    for (key, value) in [
        ("timeZone", zone),
        ("year", "numeric"),
        ("month", "numeric"),
        ("day", "numeric"),
        ("hour", "2-digit"),
        ("minute", "2-digit"),
        ("hourCycle", "h23"),
    ] {
        Reflect::set(&options, &key.into(), &value.into())?;
    }
    let args = Array::of2(&"en-US".into(), &options);
    let format = Reflect::construct(&constructor, &args)?;
    let format_to_parts: js_sys::Function =
        Reflect::get(&format, &"formatToParts".into())?.dyn_into()?;
    Reflect::apply(&format_to_parts, &format, &Array::new())?.dyn_into()
}
