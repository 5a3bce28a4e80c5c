//! The REPL: on a terminal the rustyline front end (`repl/terminal.rs`),
//! otherwise plain line reading (`repl/plain.rs`).

mod commands;
mod complete;
mod help;
mod helper;
mod highlight;
mod history;
mod plain;
mod printer;
mod terminal;

use crate::node::Plan;
use crate::sim::SimPlan;
use snow_runtime::{Atom, Runtime};
use std::io::IsTerminal;

pub fn run(node: &Plan, sim: Option<&SimPlan>) -> i32 {
    if let Some(plan) = sim {
        eprintln!("snow: simulation seed {} (virtual time passes while an entry runs)", plan.seed);
        crate::session::simulate(*plan);
    }
    if std::io::stdin().is_terminal() {
        terminal::run(node)
    } else {
        plain::run(node)
    }
}

/// The prompt: `snow> `, or `snow(a@127.0.0.1)> ` once this is a node.
pub fn prompt_for(rt: Option<&Runtime>) -> String {
    match rt.map(|r| r.node_name()) {
        Some(n) if n != Atom::NONODE => format!("snow({})> ", n.as_str()),
        _ => "snow> ".to_string(),
    }
}
