//! The Kefu widget: a thin Leptos layer over `kefu-core`, mounted in a shadow root by `kefu.js`.
//!
//! **Boundary:** search, ranking and the bundle format live in `kefu-core` and are tested
//! natively; this crate only loads the bundle, keeps UI state and draws it, and hands the widget
//! to JavaScript as [`Controller`] (behind `window.Kefu`) and search alone as [`Engine`]. Nothing
//! here renders markup from strings: article text and snippets become DOM text nodes.

mod api;
mod app;
mod article;
mod clock;
pub mod config;
mod contact;
mod engine;
mod flow;
pub mod i18n;
mod outbox;
mod search;
mod signals;
mod timer;
mod wire;

use wasm_bindgen::prelude::*;

pub use api::Controller;
pub use engine::Engine;

/// Mounts the widget into `shell`, the loader's container inside the widget's open shadow root,
/// adopting the loader's `launcher` button, with the site's configuration object (see
/// [`config::Config`]) and `emit(name, detail)` for `Kefu.on` listeners. Called once by the
/// loader, which forwards `window.Kefu` calls to the returned [`Controller`].
#[wasm_bindgen]
pub fn mount(
    shell: web_sys::HtmlElement,
    launcher: web_sys::HtmlElement,
    config: JsValue,
    emit: Option<js_sys::Function>,
) -> Result<Controller, JsValue> {
    console_error_panic_hook::set_once();
    let config = api::read_config(config)?;
    let ui = app::Ui::new(config, launcher, emit);
    let document = web_sys::window()
        .and_then(|window| window.document())
        .ok_or_else(|| JsValue::from_str("[kefu] no document to mount into"))?;
    let container: web_sys::HtmlElement = document.create_element("div")?.unchecked_into();
    container.set_class_name("kefu-dialog-host");
    // The dialog sits above the launcher, in the loader's flex column.
    shell.insert_before(&container, shell.first_child().as_ref())?;
    leptos::mount::mount_to(container, move || app::Widget(app::WidgetProps { ui })).forget();
    Ok(Controller::new(ui))
}
