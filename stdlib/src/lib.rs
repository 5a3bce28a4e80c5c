//! Snow built-in modules.
