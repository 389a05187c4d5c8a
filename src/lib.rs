//! The Kefu widget: a thin Leptos layer over `kefu-core`, mounted in a shadow root by `kefu.js`.
//!
//! **Boundary:** search, ranking and the bundle format live in `kefu-core` and are tested
//! natively; this crate only loads the bundle, keeps UI state and draws it, and hands search to
//! JavaScript as [`Engine`]. Nothing here renders markup from strings: article text and snippets
//! become DOM text nodes.

mod app;
mod article;
pub mod config;
mod engine;
pub mod i18n;
mod search;

use wasm_bindgen::prelude::*;

pub use engine::Engine;

/// Mounts the widget into `root` (an open shadow root created by `kefu.js`) with the site's
/// configuration object (see [`config::Config`]). Called once by the loader.
#[wasm_bindgen]
pub fn mount(root: web_sys::ShadowRoot, config: JsValue) -> Result<(), JsValue> {
    console_error_panic_hook::set_once();
    let config: config::Config = serde_wasm_bindgen::from_value(config)
        .map_err(|error| JsValue::from_str(&format!("[kefu] invalid configuration: {error}")))?;
    let document = web_sys::window()
        .and_then(|window| window.document())
        .ok_or_else(|| JsValue::from_str("[kefu] no document to mount into"))?;
    let container: web_sys::HtmlElement = document.create_element("div")?.unchecked_into();
    container.set_class_name("kefu-root");
    root.append_child(&container)?;
    leptos::mount::mount_to(container, move || app::Widget(app::WidgetProps { config })).forget();
    Ok(())
}
