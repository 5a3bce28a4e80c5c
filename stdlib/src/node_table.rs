//! `:nodes` at the REPL: every connection of this node — its state, the
//! net tick time, how long ago the node was last heard from, and how many
//! links and monitors local processes have with processes there (what a
//! loss of the connection would fire, rule 18).

use snow_runtime::dist::{self, nodes};
use snow_runtime::{Atom, Pid, Runtime};
use rustc_hash::FxHashMap;

/// The table, or a line saying why there is none.
pub fn table(rt: &Runtime) -> String {
    let Some(d) = rt.distribution() else {
        return dist::not_distributed(rt);
    };
    let conns = d.connections();
    if conns.is_empty() {
        return "no connections: start a peer (Node.start_peer(:b)) or connect to a node (Node.connect(...))".into();
    }
    let (links, monitors) = ties(rt);
    let tick = format!("{} ms", dist::net_tick().as_millis());
    let mut rows = vec![vec![
        "NODE".to_string(),
        "STATE".into(),
        "TICK".into(),
        "LAST HEARD".into(),
        "LINKS".into(),
        "MONITORS".into(),
    ]];
    for c in conns {
        rows.push(vec![
            c.node.as_str().to_string(),
            if c.up { "up" } else { "connecting" }.into(),
            tick.clone(),
            format!("{:.1} s ago", c.last_heard.as_secs_f64()),
            links.get(&c.node).copied().unwrap_or(0).to_string(),
            monitors.get(&c.node).copied().unwrap_or(0).to_string(),
        ]);
    }
    crate::table::render(&rows)
}

/// Per node: the links, and the monitors either way, between local
/// processes and processes there.
fn ties(rt: &Runtime) -> (FxHashMap<Atom, usize>, FxHashMap<Atom, usize>) {
    let (mut links, mut monitors) = (FxHashMap::default(), FxHashMap::default());
    for pid in rt.processes() {
        let Some(info) = rt.info(pid) else { continue };
        for n in info.links.iter().filter_map(|p| node_of(*p)) {
            *links.entry(n).or_insert(0) += 1;
        }
        for n in info.monitors.iter().chain(&info.monitored_by).filter_map(|p| node_of(*p)) {
            *monitors.entry(n).or_insert(0) += 1;
        }
    }
    (links, monitors)
}

fn node_of(p: Pid) -> Option<Atom> {
    if p.node == 0 {
        return None;
    }
    nodes::node_of(p.node).map(|(n, _)| n)
}
