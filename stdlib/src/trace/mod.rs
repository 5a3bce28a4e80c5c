//! Showing a recorded trace: as a diagram, and as files other tools read.

pub mod diagram;
pub mod export;
pub mod svg;
pub mod explain;
pub mod natives;
