//! Erlang distribution: the only module that knows the wire format.
//!
//! `etf` is the External Term Format codec (Snow `Term` ↔ bytes), `frame`
//! reads the length-prefixed packets of a connection and splits a
//! pass-through packet into control message and payload, and `nodes` maps the
//! `node: u32` index inside pids and references to a node's name and creation.

pub mod etf;
pub mod frame;
pub mod nodes;
pub mod epmd; pub mod epmd_server;
