//! Placeholder while the widget is written.
