//! Erlang distribution: the only module that knows the wire format.
//!
//! Codec: `etf` (External Term Format), `frame` (packets), `control`
//! (control messages). Protocol: `handshake`, `connection` (queue, writer,
//! reader, heartbeat), `inbound` / `outbound` (control messages ↔ local
//! signals). The node: `node` (start/stop, dialling and accepting, the
//! node-down procedure), `node_monitors`, `net_kernel` (answers erl's ping), `rpc` (serves Erlang's rpc),
//! `net` (the failure lab: faults between nodes, the session's control
//! channels), `names` (node names, the cookie), `nodes` (the node table), `epmd` /
//! `epmd_server` (the port mapper's client and daemon), `peers` (peer
//! nodes as OS processes).

pub mod connection;
pub mod control;
pub mod epmd;
pub mod epmd_server;
pub mod etf;
pub mod frame;
pub mod handshake;
mod inbound;
pub mod long_refs;
pub mod names;
pub mod net;
mod net_kernel;
pub mod node;
pub mod node_monitors;
pub mod nodes;
mod outbound;
pub mod peers;
mod rpc;
mod sim_link;
mod sim_peers;
pub(crate) mod sim_net;

pub use connection::{net_tick, set_net_tick, DEFAULT_NET_TICK_MS};
pub use inbound::{set_services, set_spawner, Services, Spawner};
pub use node::{ConnectionView, Distribution, StartError};

/// What a distribution function says on a node that is not distributed:
/// how to make it one (the same in a simulation, whose nodes start alike).
pub fn not_distributed(_rt: &crate::Runtime) -> String {
    "this node is not distributed: start it with Node.start(\"a@127.0.0.1\", \"cookie\") or snow --name a@127.0.0.1".into()
}
