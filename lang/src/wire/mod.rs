//! Function values between nodes: how a Snow closure travels to another
//! `snow` process and runs there without the file it came from.
//!
//! `blob.rs` is the code format (a module and what its late-bound calls
//! reach, built-ins by name), `codec.rs` the `FunCodec` that the runtime's
//! ETF codec calls (NEW_FUN_EXT framing, the nesting limit, the caches),
//! `foreign.rs` the opaque values that Erlang functions become. Code that
//! arrives passes the bytecode verifier before it loads: the blob comes from
//! the network.

mod blob;
mod codec;
mod foreign;

pub use blob::{load as load_blob, write as write_blob, VERSION as BLOB_VERSION};
pub use codec::{SnowFunCodec, MAX_NESTING, SNOW_MODULE};
pub use foreign::ForeignFun;

use std::sync::Arc;

/// Registers the codec with the runtime, so that function values can be
/// sent to and received from other nodes. Call it once at start-up; the
/// built-in table (`vm::install_builtins`) is consulted when a function is
/// encoded or decoded, not here.
pub fn install_fun_codec() {
    snow_runtime::dist::etf::set_fun_codec(Some(Arc::new(SnowFunCodec)));
}
