//! `Net`: faults between the nodes of a session — partitions, one-way
//! cuts, delays — applied by the runtime's connection layer
//! (`snow_runtime::dist::net`), and `:net`'s table. The calls wait on the
//! session's control channels, so they run inside `Cx::blocking`.

use crate::args::{self, R};
use crate::node::node_arg;
use snow_lang::vm::{Arity, BuiltinTable, Exception, NativeCx};
use snow_runtime::dist::net::{self, Fault, StatusEntry};
use snow_runtime::dist::Distribution;
use std::sync::Arc;
use snow_runtime::inspect::inspect;
use snow_runtime::{Atom, MapObj, Term};

pub fn register(t: &mut BuiltinTable) {
    use Arity::*;
    t.native("Net", "partition", Exact(2), |c, a| {
        partition(c, &a[0], &a[1], None)
    });
    t.native("Net", "partition", Exact(3), |c, a| {
        partition(c, &a[0], &a[1], Some(&a[2]))
    });
    t.native("Net", "cut", Exact(2), |c, a| {
        let (from, to) = (node_arg(&a[0])?, node_arg(&a[1])?);
        run(c, move |d| net::cut(d, from, to))
    });
    t.native("Net", "heal", Exact(0), |c, _| run(c, net::heal_all));
    t.native("Net", "heal", Exact(2), |c, a| {
        let (x, y) = (node_arg(&a[0])?, node_arg(&a[1])?);
        run(c, move |d| net::heal(d, x, y))
    });
    t.native("Net", "delay", Exact(3), |c, a| delay(c, a, &Term::Int(0)));
    t.native("Net", "delay", Exact(4), |c, a| delay(c, a, &a[3]));
    // The nemesis's dice (`prelude/nemesis.snow`): seeded under --sim.
    t.native("Net", "__draw", Exact(2), |c, a| {
        let (lo, hi) = (args::int(&a[0])?, args::int(&a[1])?);
        Ok(Term::Int(c.cx.runtime().draw(lo, hi.max(lo))))
    });
    t.native("Net", "status", Exact(0), |c, _| {
        let d = require_distribution(c)?;
        match c.cx.blocking(|| net::status(&d)) {
            Ok(entries) => Ok(Term::list(entries.iter().map(entry_term).collect())),
            Err(e) => Err(failure(e)),
        }
    });
}

fn failure(text: impl Into<String>) -> Exception {
    Exception::error(Term::str(&text.into()))
}

/// The error of a `Net` call on a node that is not distributed (in a
/// simulation: that it cannot be yet).
fn require_distribution(c: &NativeCx<'_, '_>) -> Result<Arc<Distribution>, Exception> {
    c.cx.runtime().distribution().ok_or_else(|| failure(snow_runtime::dist::not_distributed(c.cx.runtime())))
}

/// Runs a request of this node off the scheduler; `:ok` or its error as
/// an exception.
fn run(c: &mut NativeCx<'_, '_>, request: impl FnOnce(&Distribution) -> Result<(), String> + Send) -> R {
    let d = require_distribution(c)?;
    match c.cx.blocking(|| request(&d)) {
        Ok(()) => args::ok(),
        Err(e) => Err(failure(e)),
    }
}

/// A group of nodes: a list of nodes, or one node.
fn group(t: &Term) -> Result<Vec<Atom>, Exception> {
    match t.list_to_vec() {
        Some(items) if !items.is_empty() => items.iter().map(node_arg).collect(),
        Some(_) => Err(Exception::explained(
            Atom::BADARG,
            "a side of a partition needs at least one node".to_string(),
        )),
        None => Ok(vec![node_arg(t)?]),
    }
}

fn partition(c: &mut NativeCx<'_, '_>, a: &Term, b: &Term, how: Option<&Term>) -> R {
    let (a, b) = (group(a)?, group(b)?);
    let reset = match how.map(|h| h.as_atom().map(|x| x.as_str())) {
        None | Some(Some("silent")) => false,
        Some(Some("reset")) => true,
        Some(_) => {
            return Err(Exception::explained(
                Atom::BADARG,
                format!(
                    "Net.partition's third argument is :reset (or :silent), not {}",
                    how.map(inspect).unwrap_or_default()
                ),
            ))
        }
    };
    run(c, move |d| net::partition(d, &a, &b, reset))
}

/// The longest delay accepted: longer would only hide the link for good.
const MAX_DELAY_MS: u64 = 3_600_000;

fn delay(c: &mut NativeCx<'_, '_>, a: &[Term], jitter: &Term) -> R {
    let (from, to) = (node_arg(&a[0])?, node_arg(&a[1])?);
    let (ms, jitter) = (args::non_neg(&a[2])?, args::non_neg(jitter)?);
    if ms > MAX_DELAY_MS {
        return Err(Exception::explained(
            Atom::BADARG,
            format!("a delay is at most {MAX_DELAY_MS} ms (an hour), not {ms}"),
        ));
    }
    if jitter > ms {
        return Err(Exception::explained(
            Atom::BADARG,
            format!("the jitter ({jitter} ms) cannot exceed the delay ({ms} ms)"),
        ));
    }
    run(c, move |d| net::delay(d, from, to, ms, jitter))
}

/// `%{from: a, to: b, state: :up | :cut | (:delay, ms, jitter), last_heard_ms: n | nil}`.
fn entry_term(e: &StatusEntry) -> Term {
    let mut m = MapObj::new();
    m.insert(Term::atom("from"), Term::Atom(e.from));
    m.insert(Term::atom("to"), Term::Atom(e.to));
    m.insert(Term::atom("state"), net::state_term(e.fault));
    m.insert(
        Term::atom("last_heard_ms"),
        e.heard
            .map_or(Term::NIL_ATOM, |h| Term::Int(h.as_millis() as i64)),
    );
    Term::map(m)
}

/// `:net` at the REPL: the session's links as a table.
pub fn table(rt: &snow_runtime::Runtime) -> String {
    let Some(d) = rt.distribution() else { return snow_runtime::dist::not_distributed(rt) };
    let entries = match net::status(&d) {
        Ok(e) => e,
        Err(e) => return e,
    };
    if entries.is_empty() {
        return "no links yet: start a peer (Node.start_peer(:b)) or connect to a node".into();
    }
    let mut rows = vec![vec!["FROM".to_string(), "TO".into(), "STATE".into(), "LAST HEARD".into()]];
    for e in &entries {
        let state = match e.fault {
            None => "up".to_string(),
            Some(Fault::Cut) => "cut".into(),
            Some(Fault::Delay { ms, jitter: 0, .. }) => format!("delay {ms} ms"),
            Some(Fault::Delay { ms, jitter, .. }) => format!("delay {ms} ms ± {jitter} ms"),
        };
        let heard = e.heard.map_or("-".to_string(), |h| format!("{:.1} s ago", h.as_secs_f64()));
        rows.push(vec![net::short(e.from), net::short(e.to), state, heard]);
    }
    crate::table::render(&rows)
}
