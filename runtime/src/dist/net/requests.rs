//! The `Net` requests: checked where they are asked, then spread over the
//! session's control channels (module docs of `net`).
//!
//! A request is a term: `:who` (the session's nodes), `(:set, rules,
//! reset)`, `:heal_all`, `:status`. Every node answers with a list; the
//! asker gets the concatenation. A node that cannot be reached adds
//! `(:"$unreachable", node)`.
//!
//! In a simulation the session is every node of the simulated network,
//! all in this program: each handles the request in turn, as itself
//! (`nodes::enter`), with no channel between them.

use super::channel::{Channel, OnRequest};
use super::faults::{Fault, Rule};
use super::CURRENT;
use crate::atom::Atom;
use crate::dist::node::Distribution;
use crate::dist::peers;
use crate::term::Term;
use rustc_hash::FxHashSet;
use std::os::unix::net::UnixStream;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// How long a node waits for a neighbour to answer a request.
const ANSWER_WITHIN: Duration = Duration::from_secs(5);

/// The channel to the node that started this one, if it is a peer.
static PARENT: OnceLock<Arc<Channel>> = OnceLock::new();

/// `snow peer`: serves the control channel to the parent (its stdin)
/// until the parent closes it.
pub fn serve_parent(stream: UnixStream) -> std::io::Result<()> {
    let channel = Channel::new(&stream)?;
    let _ = PARENT.set(channel.clone());
    channel.serve(stream, on_request());
    Ok(())
}

/// What a control channel does with a request from its other end.
pub fn on_request() -> OnRequest {
    Arc::new(|from, op| spread(&op, Some(from)))
}

/// Handles `op` here, then passes it to every neighbour but `source`.
fn spread(op: &Term, source: Option<&Arc<Channel>>) -> Term {
    let mut answers = handle_here(op);
    let mut neighbours: Vec<(Arc<Channel>, Option<Atom>, bool)> = Vec::new();
    if let Some(p) = PARENT.get() {
        neighbours.push((p.clone(), None, false));
    }
    for (node, channel, frozen) in peers::channels() {
        neighbours.push((channel, Some(node), frozen));
    }
    for (channel, node, frozen) in neighbours {
        if source.is_some_and(|s| Arc::ptr_eq(s, &channel)) {
            continue;
        }
        if frozen {
            // A stopped peer cannot answer; it applies the request when
            // it runs again. It is still a node of the session.
            if is_who(op) {
                answers.extend(node.map(Term::Atom));
            } else {
                let _ = channel.post(op);
            }
            continue;
        }
        match channel
            .request(op, ANSWER_WITHIN)
            .ok()
            .and_then(|t| t.list_to_vec())
        {
            Some(list) => answers.extend(list),
            None => answers.push(Term::tuple(vec![
                Term::atom("$unreachable"),
                Term::Atom(node.unwrap_or_else(|| Atom::new("the node that started this one"))),
            ])),
        }
    }
    Term::list(answers)
}

fn is_who(op: &Term) -> bool {
    op.as_atom().is_some_and(|a| a.as_str() == "who")
}

/// Asks every node of the session (this one included) and gathers their
/// answers, leaving out those that cannot be reached (`trace/gather.rs`).
pub fn ask_all(rt: &crate::Runtime, op: &Term) -> Vec<Term> {
    if let Some(d) = rt.distribution().filter(|d| d.is_simulated()) {
        return spread_simulated(&d, op);
    }
    let answers = spread(op, None).list_to_vec().unwrap_or_default();
    answers.into_iter().filter(|a| !is_unreachable(a)).collect()
}

/// Asks one peer of this node (and, through it, its own peers).
pub fn ask_peer(rt: &crate::Runtime, node: Atom, op: &Term) -> Vec<Term> {
    if let Some(d) = rt.distribution().filter(|d| d.is_simulated()) {
        return ask_simulated_peer(&d, node, op);
    }
    let Some((_, channel, false)) = peers::channels().into_iter().find(|(n, _, _)| *n == node) else {
        return Vec::new();
    };
    let answers = channel.request(op, ANSWER_WITHIN).ok().and_then(|t| t.list_to_vec()).unwrap_or_default();
    answers.into_iter().filter(|a| !is_unreachable(a)).collect()
}

fn is_unreachable(a: &Term) -> bool {
    matches!(a, Term::Tuple(t) if t.len() == 2 && t[0].as_atom().is_some_and(|x| x.as_str() == "$unreachable"))
}

/// This node's part of `op`.
fn handle_here(op: &Term) -> Vec<Term> {
    let Some(d) = CURRENT.lock().upgrade() else {
        return Vec::new();
    };
    handle_on(&d, op)
}

/// Node `d`'s part of `op`.
fn handle_on(d: &Arc<Distribution>, op: &Term) -> Vec<Term> {
    if crate::trace::gather::is_trace_request(op) {
        return crate::trace::gather::handle(&d.rt, op);
    }
    match op {
        Term::Atom(a) if a.as_str() == "who" => vec![Term::Atom(d.name)],
        Term::Atom(a) if a.as_str() == "heal_all" => {
            let touched = d.faults.clear();
            refresh(d, &touched, false);
            d.rt.trace_net("heal");
            Vec::new()
        }
        Term::Atom(a) if a.as_str() == "status" => local_status(d),
        Term::Tuple(t) if t.len() >= 3 && t[0].as_atom().is_some_and(|a| a.as_str() == "set") => {
            let rules: Vec<Rule> = t[1]
                .list_to_vec()
                .unwrap_or_default()
                .iter()
                .filter_map(rule_from_term)
                .collect();
            let touched = d.faults.record(d.name, &rules);
            refresh(d, &touched, t[2] == Term::Atom(Atom::TRUE));
            if let Some(Term::Str(what)) = t.get(3) {
                d.rt.trace_net(what);
            }
            Vec::new()
        }
        _ => Vec::new(),
    }
}

/// Tells the connections to `nodes` their new faults; with `reset`, those
/// now cut are reset at once.
fn refresh(d: &Distribution, nodes: &[Atom], reset: bool) {
    let mut seen = FxHashSet::default();
    for &n in nodes {
        if !seen.insert(n) {
            continue;
        }
        let conn = d.conns.read().get(&n).cloned();
        if let Some(c) = conn {
            c.set_faults(d.faults.for_peer(d.name, n));
            if reset && d.faults.blocks(d.name, n) {
                c.reset();
                if d.is_simulated() {
                    d.conn_down(&c, Atom::CONNECTION_CLOSED); // no reader thread to
                }
            }
        }
    }
    d.faults.release_lingering(d.name);
}

fn rule_to_term(r: &Rule) -> Term {
    let kind = match r.fault {
        None => Term::atom("up"),
        Some(Fault::Cut) => Term::atom("cut"),
        Some(Fault::Delay {
            ms,
            jitter,
            at_receiver,
        }) => Term::tuple(vec![
            Term::atom("delay"),
            Term::Int(ms as i64),
            Term::Int(jitter as i64),
            Term::bool(at_receiver),
        ]),
    };
    Term::tuple(vec![Term::Atom(r.from), Term::Atom(r.to), kind])
}

fn rule_from_term(t: &Term) -> Option<Rule> {
    let Term::Tuple(parts) = t else { return None };
    let [from, to, kind] = &parts[..] else {
        return None;
    };
    let fault = match kind {
        Term::Atom(a) if a.as_str() == "up" => None,
        Term::Atom(a) if a.as_str() == "cut" => Some(Fault::Cut),
        Term::Tuple(d) if d.len() == 4 => match (&d[1], &d[2]) {
            (Term::Int(ms), Term::Int(jitter)) => Some(Fault::Delay {
                ms: u64::try_from(*ms).ok()?,
                jitter: u64::try_from(*jitter).ok()?,
                at_receiver: d[3] == Term::Atom(Atom::TRUE),
            }),
            _ => return None,
        },
        _ => return None,
    };
    Some(Rule {
        from: from.as_atom()?,
        to: to.as_atom()?,
        fault,
    })
}

/// Every node of a simulation handles `op`, in the order they started.
fn spread_simulated(here: &Distribution, op: &Term) -> Vec<Term> {
    let Some(net) = &here.net else { return Vec::new() };
    let back = crate::dist::nodes::this_node();
    let mut answers = Vec::new();
    for d in net.members() {
        crate::dist::nodes::enter(d.rt.this_node());
        let said = handle_on(&d, op);
        answers.extend(carried(said, back));
    }
    crate::dist::nodes::enter(back);
    answers
}

/// Answers made by the node now entered, as node `asker` reads them: each
/// crosses in the external format, as over a real control channel, so
/// that the pids in it name the right nodes there.
fn carried(answers: Vec<Term>, asker: (Atom, u32)) -> Vec<Term> {
    let bytes: Vec<Option<Vec<u8>>> = answers.iter().map(|t| crate::dist::etf::encode(t).ok()).collect();
    let here = crate::dist::nodes::this_node();
    crate::dist::nodes::enter(asker);
    let read = bytes.into_iter().flatten().filter_map(|b| crate::dist::etf::decode(&b).ok().map(|(t, _)| t)).collect();
    crate::dist::nodes::enter(here);
    read
}

/// A peer of `here` in a simulation handles `op`, and its own peers.
fn ask_simulated_peer(here: &Distribution, node: Atom, op: &Term) -> Vec<Term> {
    let Some(net) = &here.net else { return Vec::new() };
    if !here.simulated_peers().contains(&node) {
        return Vec::new();
    }
    let Some(peer) = net.lookup(node) else { return Vec::new() };
    let back = crate::dist::nodes::this_node();
    crate::dist::nodes::enter(peer.rt.this_node());
    let mut answers = handle_on(&peer, op);
    for child in peer.simulated_peers() {
        answers.extend(ask_simulated_peer(&peer, child, op));
    }
    let answers = carried(answers, back);
    crate::dist::nodes::enter(back);
    answers
}

/// Asks the whole session of `d`; an unreachable node is an error.
fn ask_session(d: &Distribution, op: &Term) -> Result<Vec<Term>, String> {
    if d.is_simulated() {
        return Ok(spread_simulated(d, op));
    }
    let answers = spread(op, None).list_to_vec().unwrap_or_default();
    let mut out = Vec::with_capacity(answers.len());
    for a in answers {
        if let Term::Tuple(t) = &a {
            if t.len() == 2 && t[0].as_atom().is_some_and(|x| x.as_str() == "$unreachable") {
                let who = t[1].as_atom().map_or("a node", |n| n.as_str());
                return Err(format!(
                    "cannot reach {who} to apply it on (its control channel does not answer)"
                ));
            }
        }
        out.push(a);
    }
    Ok(out)
}

/// The Snow nodes of the session (this one first).
fn members(d: &Distribution) -> Result<Vec<Atom>, String> {
    Ok(ask_session(d, &Term::atom("who"))?
        .iter()
        .filter_map(Term::as_atom)
        .collect())
}

/// A node a fault may name: one of the session, or one this node is or
/// was connected to.
fn check_known(d: &Distribution, node: Atom, members: &[Atom]) -> Result<(), String> {
    if members.contains(&node) || d.is_connected(node) || d.faults.last_heard(node).is_some() {
        return Ok(());
    }
    Err(format!(
        "unknown node {}: it is not a node of this session (this node and the peers started from it) and this node has never been connected to it",
        node.as_str()
    ))
}

/// Every rule needs a Snow node of the session at one end to enforce it.
fn check_enforceable(rules: &[Rule], members: &[Atom]) -> Result<(), String> {
    for r in rules {
        if !members.contains(&r.from) && !members.contains(&r.to) {
            return Err(format!(
                "cannot change the link {} -> {}: neither node runs Snow in this session, and faults are applied by the Snow nodes at either end (between two erl nodes they cannot be)",
                r.from.as_str(),
                r.to.as_str()
            ));
        }
    }
    Ok(())
}

/// Checks `rules` (which name `nodes`) and applies them across the session.
fn apply(d: &Distribution, nodes: &[Atom], rules: Vec<Rule>, reset: bool, event: String) -> Result<(), String> {
    let members = members(d)?;
    for &n in nodes {
        check_known(d, n, &members)?;
    }
    check_enforceable(&rules, &members)?;
    // The words each node's trace records for it (as the live feed's).
    let what = event.strip_prefix("net <- ").unwrap_or(&event);
    let op = Term::tuple(vec![
        Term::atom("set"),
        Term::list(rules.iter().map(rule_to_term).collect()),
        Term::bool(reset),
        Term::str(what),
    ]);
    ask_session(d, &op)?;
    crate::log::event(&event);
    Ok(())
}

/// `Net.partition(a, b)`: every link between a node of `a` and one of `b`
/// cut both ways; with `reset`, their connections are reset at once.
pub fn partition(d: &Distribution, a: &[Atom], b: &[Atom], reset: bool) -> Result<(), String> {
    if let Some(both) = a.iter().find(|n| b.contains(n)) {
        return Err(format!(
            "{} is on both sides of the partition",
            both.as_str()
        ));
    }
    let mut rules = Vec::new();
    for &x in a {
        for &y in b {
            rules.push(Rule {
                from: x,
                to: y,
                fault: Some(Fault::Cut),
            });
            rules.push(Rule {
                from: y,
                to: x,
                fault: Some(Fault::Cut),
            });
        }
    }
    let nodes: Vec<Atom> = a.iter().chain(b).copied().collect();
    let event = format!(
        "net <- partition {} | {}{}",
        names(a),
        names(b),
        if reset { " (reset)" } else { "" }
    );
    apply(d, &nodes, rules, reset, event)
}

/// `Net.cut(from, to)`: what `from` sends to `to` is lost.
pub fn cut(d: &Distribution, from: Atom, to: Atom) -> Result<(), String> {
    distinct(from, to)?;
    let event = format!("net <- cut {} -> {}", short(from), short(to));
    apply(
        d,
        &[from, to],
        vec![Rule {
            from,
            to,
            fault: Some(Fault::Cut),
        }],
        false,
        event,
    )
}

/// `Net.delay(from, to, ms, jitter)`: what `from` sends to `to` arrives
/// later, in order; 0 ms removes the delay.
pub fn delay(d: &Distribution, from: Atom, to: Atom, ms: u64, jitter: u64) -> Result<(), String> {
    distinct(from, to)?;
    let members = members(d)?;
    // The sender enforces a delay when it can; otherwise the receiver.
    let at_receiver = !members.contains(&from);
    let fault = (ms > 0 || jitter > 0).then_some(Fault::Delay {
        ms,
        jitter,
        at_receiver,
    });
    let event = match fault {
        None => format!("net <- delay {} -> {} removed", short(from), short(to)),
        Some(_) if jitter > 0 => format!(
            "net <- delay {} -> {} {ms} ms ± {jitter} ms",
            short(from),
            short(to)
        ),
        Some(_) => format!("net <- delay {} -> {} {ms} ms", short(from), short(to)),
    };
    apply(d, &[from, to], vec![Rule { from, to, fault }], false, event)
}

/// `Net.heal(a, b)`: the faults between `a` and `b`, both ways, end.
pub fn heal(d: &Distribution, a: Atom, b: Atom) -> Result<(), String> {
    distinct(a, b)?;
    let rules = vec![
        Rule {
            from: a,
            to: b,
            fault: None,
        },
        Rule {
            from: b,
            to: a,
            fault: None,
        },
    ];
    apply(
        d,
        &[a, b],
        rules,
        false,
        format!("net <- heal {} <-> {}", short(a), short(b)),
    )
}

/// `Net.heal()`: every fault of the session ends.
pub fn heal_all(d: &Distribution) -> Result<(), String> {
    ask_session(d, &Term::atom("heal_all"))?;
    crate::log::event("net <- heal");
    Ok(())
}

fn distinct(a: Atom, b: Atom) -> Result<(), String> {
    if a == b {
        return Err(format!(
            "a link joins two different nodes; both are {}",
            a.as_str()
        ));
    }
    Ok(())
}

/// One known link: `to`'s view of what `from` sends it.
#[derive(Clone, Debug, PartialEq)]
pub struct StatusEntry {
    pub from: Atom,
    pub to: Atom,
    /// `None`: up.
    pub fault: Option<Fault>,
    /// How long ago `to` last heard from `from`, when `to` can tell.
    pub heard: Option<Duration>,
}

/// `Net.status()`: one entry per known link of the session, sorted.
pub fn status(d: &Distribution) -> Result<Vec<StatusEntry>, String> {
    let mut entries: Vec<StatusEntry> = Vec::new();
    for t in ask_session(d, &Term::atom("status"))? {
        let Some(e) = entry_from_term(&t) else {
            continue;
        };
        match entries
            .iter_mut()
            .find(|x| x.from == e.from && x.to == e.to)
        {
            Some(x) => {
                x.fault = x.fault.or(e.fault);
                x.heard = x.heard.or(e.heard);
            }
            None => entries.push(e),
        }
    }
    entries.sort_by(|x, y| (x.from.as_str(), x.to.as_str()).cmp(&(y.from.as_str(), y.to.as_str())));
    Ok(entries)
}

/// This node's entries: both directions of every link it knows.
fn local_status(d: &Distribution) -> Vec<Term> {
    let me = d.name;
    let mut peers: Vec<Atom> = d.conns.read().keys().copied().collect();
    peers.extend(d.faults.rules().iter().flat_map(|(a, b, _)| [*a, *b]));
    peers.extend(d.faults.heard_nodes());
    peers.sort();
    peers.dedup();
    let rules = d.faults.rules();
    let fault = |from: Atom, to: Atom| {
        rules
            .iter()
            .find(|(a, b, _)| *a == from && *b == to)
            .map(|(_, _, f)| *f)
    };
    let mut out = Vec::new();
    for p in peers.into_iter().filter(|p| *p != me) {
        let conn = d.conns.read().get(&p).cloned();
        let heard = match conn {
            Some(c) if c.phase() == crate::dist::connection::Phase::Up => Some(c.last_heard()),
            _ => d.faults.last_heard(p),
        };
        out.push(entry_to_term(me, p, fault(me, p), None));
        out.push(entry_to_term(
            p,
            me,
            fault(p, me),
            heard.map(|t| d.rt.now().saturating_duration_since(t)),
        ));
    }
    out
}

/// A link's state as `Net.status` shows it: `:up`, `:cut` or
/// `(:delay, ms, jitter)`.
pub fn state_term(fault: Option<Fault>) -> Term {
    match fault {
        None => Term::atom("up"),
        Some(Fault::Cut) => Term::atom("cut"),
        Some(Fault::Delay { ms, jitter, .. }) => Term::tuple(vec![
            Term::atom("delay"),
            Term::Int(ms as i64),
            Term::Int(jitter as i64),
        ]),
    }
}

fn entry_to_term(from: Atom, to: Atom, fault: Option<Fault>, heard: Option<Duration>) -> Term {
    let state = state_term(fault);
    let heard = heard.map_or(Term::NIL_ATOM, |h| Term::Int(h.as_millis() as i64));
    Term::tuple(vec![Term::Atom(from), Term::Atom(to), state, heard])
}

fn entry_from_term(t: &Term) -> Option<StatusEntry> {
    let Term::Tuple(p) = t else { return None };
    let [from, to, state, heard] = &p[..] else {
        return None;
    };
    let fault = match state {
        Term::Atom(a) if a.as_str() == "cut" => Some(Fault::Cut),
        Term::Tuple(d) if d.len() == 3 => match (&d[1], &d[2]) {
            (Term::Int(ms), Term::Int(j)) => Some(Fault::Delay {
                ms: u64::try_from(*ms).ok()?,
                jitter: u64::try_from(*j).ok()?,
                at_receiver: false,
            }),
            _ => None,
        },
        _ => None,
    };
    let heard = match heard {
        Term::Int(ms) => Some(Duration::from_millis(u64::try_from(*ms).ok()?)),
        _ => None,
    };
    Some(StatusEntry {
        from: from.as_atom()?,
        to: to.as_atom()?,
        fault,
        heard,
    })
}

/// A node as the live feed names it: without the host when it is this
/// node's host.
pub fn short(node: Atom) -> String {
    let host = |n: Atom| n.as_str().split_once('@').map(|(_, h)| h.to_string());
    // The node whose code runs: the distributed one, or in a simulation
    // the one entered.
    let mine = CURRENT.lock().upgrade().map(|d| d.name).or_else(|| {
        let (me, _) = crate::dist::nodes::this_node();
        (me != Atom::NONODE).then_some(me)
    });
    let mine = mine.and_then(host);
    match node.as_str().split_once('@') {
        Some((alive, h)) if mine.as_deref() == Some(h) => alive.to_string(),
        _ => node.as_str().to_string(),
    }
}

fn names(nodes: &[Atom]) -> String {
    format!(
        "[{}]",
        nodes
            .iter()
            .map(|n| short(*n))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fault_needs_a_session_node_at_one_end() {
        let (a, e1, e2) = (Atom::new("a@h"), Atom::new("erl1@h"), Atom::new("erl2@h"));
        let rule = |from, to| Rule {
            from,
            to,
            fault: Some(Fault::Cut),
        };
        assert!(check_enforceable(&[rule(a, e1), rule(e1, a)], &[a]).is_ok());
        let refused = check_enforceable(&[rule(e1, e2)], &[a]).expect_err("refused");
        assert!(
            refused.contains("between two erl nodes they cannot be"),
            "{refused}"
        );
    }

    #[test]
    fn rules_and_status_entries_survive_the_control_channel() {
        let (a, b) = (Atom::new("a@h"), Atom::new("b@h"));
        for fault in [
            None,
            Some(Fault::Cut),
            Some(Fault::Delay {
                ms: 300,
                jitter: 20,
                at_receiver: true,
            }),
        ] {
            let r = Rule {
                from: a,
                to: b,
                fault,
            };
            assert_eq!(rule_from_term(&rule_to_term(&r)), Some(r));
        }
        let e = entry_from_term(&entry_to_term(
            a,
            b,
            Some(Fault::Cut),
            Some(Duration::from_millis(1500)),
        ))
        .expect("decodes");
        assert_eq!(
            (e.from, e.to, e.fault, e.heard),
            (a, b, Some(Fault::Cut), Some(Duration::from_millis(1500)))
        );
    }
}
