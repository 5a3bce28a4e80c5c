//! Where the REPL's history lives: `$SNOW_HISTORY`, else `~/.snow_history`.

use std::path::PathBuf;

/// The history file, or `None` when neither variable says where.
pub fn path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("SNOW_HISTORY").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    std::env::var_os("HOME").filter(|h| !h.is_empty()).map(|h| PathBuf::from(h).join(".snow_history"))
}

/// Creates the file if it is missing, so that the next session finds it.
pub fn create(path: &std::path::Path) -> std::io::Result<()> {
    std::fs::OpenOptions::new().create(true).append(true).open(path).map(drop)
}
