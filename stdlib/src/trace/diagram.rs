//! `Trace.diagram()` and the REPL's `:diagram`: a recorded trace as a space-time diagram in the terminal.
//!
//! One column per process, grouped under its node (a header with the nodes, then one with each
//! process's registered name, or its pid as `<0.84.0>`); time goes down, one row per event shown,
//! in the timeline's causal order. Legend (also printed, shorter, under the diagram):
//!
//! ```text
//!   |--- :hi -->|    a message, drawn on the row of its delivery
//!   |== exit ==>|    an exit signal; the label says what it did: (died) (killed) (trapped) (ignored)
//!   |~ DOWN x ~>|    a DOWN (a stale one says (ignored))
//!   |.. link ..>|    link, unlink, monitor, demonitor
//!   |-- :hi --x|     a signal nothing delivered: (undelivered: lost, or on its way when the trace stopped); to a node not traced: (untraced), no x
//!   +- spawn -->o    a spawn: the parent's `+`, the child born at `o` (`o` alone: born, no spawn seen)
//!   X :reason        the process ended          ! crash ...   it raised an error: reason and place
//!   * register :n    register / unregister      > to self     a signal a process sent itself
//!   # b@h down ###   a node came up or went down (prefixed with the node that saw it, if several)
//!   ! net: ... !!!   a fault applied (`Net`), a peer killed, frozen or restarted
//!   |                the process is alive (blank before its birth and after its end; an arrow
//!                    starting on a blank was sent as its sender ended: its exits and DOWNs)
//!   ...  :           the edge: processes without a column (folded for width, filtered out, never
//!                    traced, or no sender at all), named in the arrow's label
//! ```
//!
//! Which events are rows: a delivery (the arrow from its send; the send has no row of its own
//! unless nothing delivered it), a birth (the arrow from the spawn), an end, a crash, a register,
//! a node's events (rules across the diagram). `receive`s are not drawn: the delivery is.
//! A label that does not fit on its arrow goes to the row's right end. Terms are cut to 24
//! characters (`..`). Columns are 12 to 20 wide; when not all fit, the processes with the most
//! rows keep theirs and a footer names the folded. Widths under 40 are drawn 40 wide.
//! Without `color` the output is plain ASCII, deterministic, with no trailing spaces and no final
//! newline: golden tests compare it byte for byte. Colour: exits and ends red, DOWNs yellow,
//! links and monitors cyan, spawns green, crashes and faults bold red, node events bold magenta.

use rustc_hash::{FxHashMap, FxHashSet};
use snow_runtime::inspect::inspect;
use snow_runtime::trace::{signal_name, Effect, EventKind, Timeline};
use snow_runtime::{Atom, Pid, SignalKind, Term};

/// What to draw, and how wide.
#[derive(Clone, Debug)]
pub struct DiagramOptions {
    /// Terminal width in columns (the diagram must never be wider).
    pub width: usize,
    /// ANSI colours (only when true; plain ASCII otherwise — no Unicode at all in plain mode, so golden
    /// files are ASCII).
    pub color: bool,
    /// Show only these processes / nodes (empty = all). A pid filter keeps the arrows touching those pids.
    pub pids: Vec<Pid>,
    pub nodes: Vec<Atom>,
    /// Only the last N events (after filtering), None = all.
    pub last: Option<usize>,
}

impl Default for DiagramOptions {
    fn default() -> Self {
        DiagramOptions { width: 80, color: false, pids: Vec::new(), nodes: Vec::new(), last: None }
    }
}

/// Narrower than this is drawn this wide (a column and its labels need the room).
const MIN_WIDTH: usize = 40;
/// A process column: room for `<0.123.0>` and a short label on an arrow to the next one.
const MIN_COL: usize = 12;
const MAX_COL: usize = 20;
/// The `...` column at the right edge.
const EDGE_COL: usize = 5;
/// Kept free right of the columns for the labels that do not fit on their arrows: at least,
/// and (narrowing the columns down to `MIN_COL`) preferably.
const NOTE_MIN: usize = 16;
const NOTE_WANT: usize = 32;
/// A term in a label is cut to this.
const TERM_MAX: usize = 24;
/// A report line (a restart, a give-up) is worth more of the row.
const REPORT_MAX: usize = 60;

/// The diagram of `t` as lines of text (no final newline).
pub fn render(t: &Timeline, opts: &DiagramOptions) -> String {
    let width = opts.width.max(MIN_WIDTH);
    if t.events.is_empty() {
        let mut out = vec!["no events recorded".to_string()];
        if t.dropped > 0 {
            out.push(cut(&dropped_line(t.dropped), width));
        }
        return out.join("\n");
    }
    let f = Facts::of(t);
    let matched = matched_sends(t);
    // First without the terms' text (`inspect` of every message is the costly part), to choose the rows.
    let quick = Ctx { t, f: &f, matched: &matched, text: false };
    let mut chosen: Vec<usize> =
        (0..t.events.len()).filter(|&i| quick.shape(i).is_some_and(|s| keep(&s, opts, &f))).collect();
    let total = chosen.len();
    if let Some(n) = opts.last {
        chosen.drain(..total.saturating_sub(n));
    }
    let mut out = Vec::new();
    if total == 0 {
        out.push(cut(&format!("no events to show: the filter matched none of the {} events", t.events.len()), width));
    } else if !chosen.is_empty() {
        let full = Ctx { text: true, ..quick };
        let rows: Vec<Row> = chosen.iter().filter_map(|&i| full.shape(i).map(|shape| Row { at: i, shape })).collect();
        let layout = Layout::new(&rows, &f, opts, width);
        out.extend(layout.draw(&rows, &f).into_iter().map(|c| c.finish(opts.color)));
        out.push(String::new());
        if !layout.folded.is_empty() {
            let names: Vec<String> = layout.folded.iter().map(|p| f.label(*p)).collect();
            out.push(folded_line(&names, width));
        } else if layout.edge {
            // The edge without folding: say who stands there.
            out.push(cut("...: processes without a column here (filtered out, not traced, or the runtime)", width));
        }
    }
    if chosen.len() < total {
        out.push(cut(&format!("(the last {} of {total} rows)", chosen.len()), width));
    }
    if t.dropped > 0 {
        out.push(cut(&dropped_line(t.dropped), width));
    }
    if !chosen.is_empty() {
        out.extend(legend(width));
    }
    out.join("\n")
}

fn dropped_line(n: u64) -> String {
    format!("({n} earlier events dropped: the trace ring was full)")
}

/// The legend, in as few lines as the width allows.
fn legend(width: usize) -> Vec<String> {
    const ITEMS: [&str; 10] = [
        "--> message",
        "==> exit",
        "~~> DOWN",
        "..> link/monitor",
        "--x undelivered",
        "+->o spawn",
        "X end",
        "! crash",
        "### node",
        "!!! fault",
    ];
    let mut lines = vec!["legend:".to_string()];
    for item in ITEMS {
        let Some(last) = lines.last_mut() else { break };
        if last.len() + 2 + item.len() <= width {
            last.push_str(if last.ends_with(':') { " " } else { "  " });
            last.push_str(item);
        } else {
            lines.push(format!("        {item}"));
        }
    }
    lines
}

/// `folded: a, b, c`, or as many as fit and `... (N more)`.
fn folded_line(names: &[String], width: usize) -> String {
    let all = format!("folded: {}", names.join(", "));
    if all.len() <= width {
        return all;
    }
    let mut line = "folded:".to_string();
    let mut shown = 0;
    for (k, name) in names.iter().enumerate() {
        let rest = names.len() - k - 1;
        let sep = if k == 0 { " " } else { ", " };
        let tail = format!("{}... ({rest} more)", if rest == 0 { "" } else { ", " });
        if line.len() + sep.len() + name.len() + if rest == 0 { 0 } else { tail.len() } > width {
            break;
        }
        line.push_str(sep);
        line.push_str(name);
        shown += 1;
    }
    let rest = names.len() - shown;
    line.push_str(&format!("{}... ({rest} more)", if shown == 0 { " " } else { ", " }));
    cut(&line, width)
}

/// What the whole trace says about each process: its label, node and life.
struct Facts {
    names: FxHashMap<Pid, String>,
    node_of: FxHashMap<Pid, Atom>,
    procs: Vec<(Atom, Pid)>,
    nodes: Vec<Atom>,
    born: FxHashMap<Pid, usize>,
    ended: FxHashMap<Pid, usize>,
}

impl Facts {
    fn of(t: &Timeline) -> Facts {
        let (mut names, mut born, mut ended) = (FxHashMap::default(), FxHashMap::default(), FxHashMap::default());
        for (i, e) in t.events.iter().enumerate() {
            let Some(p) = e.pid else { continue };
            let registered = match e.kind {
                EventKind::Register { name } => Some(name),
                _ => e.name,
            };
            if let Some(n) = registered {
                names.entry(p).or_insert_with(|| clean(n.as_str()));
            }
            match e.kind {
                EventKind::Born { .. } => {
                    born.entry(p).or_insert(i);
                }
                EventKind::End { .. } => {
                    ended.entry(p).or_insert(i);
                }
                _ => {}
            }
        }
        let procs = t.processes();
        let node_of = procs.iter().map(|&(n, p)| (p, n)).collect();
        Facts { names, node_of, procs, nodes: t.nodes(), born, ended }
    }

    /// The process's registered name if it ever had one, else its short pid.
    fn label(&self, p: Pid) -> String {
        self.names.get(&p).cloned().unwrap_or_else(|| format!("<{}.{}.{}>", p.node, p.id, p.serial))
    }

    /// Alive on the row of event `i` (a process never seen born was alive from the top).
    fn alive_at(&self, p: Pid, i: usize) -> bool {
        self.born.get(&p).is_none_or(|&b| b <= i) && self.ended.get(&p).is_none_or(|&e| e > i)
    }

    /// Alive just before event `i`.
    fn alive_before(&self, p: Pid, i: usize) -> bool {
        self.born.get(&p).is_none_or(|&b| b < i) && self.ended.get(&p).is_none_or(|&e| e >= i)
    }

    /// A send to `to` that nothing delivered because nothing there was traced (not a loss).
    fn untraced(&self, to: Pid) -> bool {
        if to.node == 0 || self.node_of.contains_key(&to) {
            return false;
        }
        snow_runtime::dist::nodes::node_of(to.node).is_some_and(|(n, _)| !self.nodes.contains(&n))
    }
}

/// For each event, whether a delivery or a birth names it as its cause (then it has no row).
fn matched_sends(t: &Timeline) -> Vec<bool> {
    let mut matched = vec![false; t.events.len()];
    for (e, c) in t.events.iter().zip(&t.cause) {
        if let (Some(c), EventKind::Deliver { .. } | EventKind::Born { .. }) = (c, &e.kind) {
            if let Some(m) = matched.get_mut(*c) {
                *m = true;
            }
        }
    }
    matched
}

/// How an arrow is drawn.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Message,
    Exit,
    Down,
    Control,
    Spawn,
}

impl Kind {
    fn of(s: SignalKind) -> Kind {
        match s {
            SignalKind::Exit => Kind::Exit,
            SignalKind::Down => Kind::Down,
            SignalKind::Link | SignalKind::Unlink | SignalKind::Monitor | SignalKind::Demonitor => Kind::Control,
            _ => Kind::Message,
        }
    }

    fn shaft(self) -> u8 {
        match self {
            Kind::Message | Kind::Spawn => b'-',
            Kind::Exit => b'=',
            Kind::Down => b'~',
            Kind::Control => b'.',
        }
    }

    fn style(self) -> Style {
        match self {
            Kind::Message => Style::Plain,
            Kind::Exit => Style::Exit,
            Kind::Down => Style::Down,
            Kind::Control => Style::Control,
            Kind::Spawn => Style::Born,
        }
    }
}

/// What one row shows.
enum Shape {
    /// A mark on a process's column, and a note.
    Note { on: Pid, mark: u8, style: Style, text: String },
    /// A signal (or a spawn) between two columns; `from: None` is from outside any process.
    Arrow { from: Option<Pid>, to: Pid, kind: Kind, label: String, lost: bool },
    /// A node's event: a rule across the diagram.
    Rule { node: Atom, fill: u8, text: String, style: Style },
}

impl Shape {
    /// The processes the row touches (for the filters and the columns).
    fn pids(&self) -> Vec<Pid> {
        match self {
            Shape::Note { on, .. } => vec![*on],
            Shape::Arrow { from: Some(f), to, .. } if f != to => vec![*f, *to],
            Shape::Arrow { to, .. } => vec![*to],
            Shape::Rule { .. } => Vec::new(),
        }
    }
}

struct Row {
    /// The event's index in the timeline (for the lifelines).
    at: usize,
    shape: Shape,
}

/// Turns events into rows.
#[derive(Clone, Copy)]
struct Ctx<'a> {
    t: &'a Timeline,
    f: &'a Facts,
    matched: &'a [bool],
    /// Whether to print terms (the first pass only chooses rows).
    text: bool,
}

impl Ctx<'_> {
    fn term(&self, t: &Term) -> String {
        if self.text {
            cut(&clean(&inspect(t)), TERM_MAX)
        } else {
            String::new()
        }
    }

    /// A reason as a node event shows it: an atom bare (`net_tick_timeout`).
    fn bare(&self, t: &Term) -> String {
        match t {
            Term::Atom(a) => clean(a.as_str()),
            other => self.term(other),
        }
    }

    fn signal_label(&self, sig: SignalKind, payload: &Term, effect: Option<Effect>) -> String {
        // The effect is shown when it is not the one to expect (an exit's always is news).
        let (text, usual) = match sig {
            SignalKind::Exit => (format!("exit {}", self.term(payload)), None),
            SignalKind::Down => (format!("DOWN {}", self.term(down_reason(payload))), Some(Effect::Queued)),
            SignalKind::Link | SignalKind::Unlink | SignalKind::Monitor | SignalKind::Demonitor => {
                (signal_name(sig).to_string(), Some(Effect::Applied))
            }
            _ => (self.term(payload), Some(Effect::Queued)),
        };
        match effect {
            Some(e) if Some(e) != usual => format!("{text} ({})", e.as_str()),
            _ => text,
        }
    }

    /// The row event `i` makes, if any.
    fn shape(&self, i: usize) -> Option<Shape> {
        let e = self.t.events.get(i)?;
        let cause = self.t.cause.get(i).copied().flatten().and_then(|c| self.t.events.get(c));
        let matched = self.matched.get(i).copied().unwrap_or(false);
        let rule = |fill: u8, text: String, style: Style| {
            let text = if self.f.nodes.len() > 1 { format!("{}: {text}", clean(e.node.as_str())) } else { text };
            Some(Shape::Rule { node: e.node, fill, text, style })
        };
        let note = |on: Pid, mark: u8, style: Style, text: String| Some(Shape::Note { on, mark, style, text });
        match &e.kind {
            EventKind::NodeUp { peer } => return rule(b'#', format!("{} up", clean(peer.as_str())), Style::Node),
            EventKind::NodeDown { peer, reason, silent_ms } => {
                let mut text = format!("{} down: {}", clean(peer.as_str()), self.bare(reason));
                if let Some(ms) = silent_ms {
                    text.push_str(&format!(" (silent {:.1} s)", *ms as f64 / 1000.0));
                }
                return rule(b'#', text, Style::Node);
            }
            EventKind::Net { what } => return rule(b'!', format!("net: {}", clean(what)), Style::Fault),
            _ => {}
        }
        let p = e.pid?;
        match &e.kind {
            EventKind::Spawn { child, .. } if !matched => {
                note(p, b'+', Style::Born, format!("spawn {}", self.f.label(*child)))
            }
            EventKind::SpawnRequest { node, .. } if !matched => {
                note(p, b'+', Style::Born, format!("spawn on {}", clean(node.as_str())))
            }
            EventKind::Born { parent } => {
                let from = cause.and_then(|c| c.pid).or(*parent).filter(|f| *f != p);
                let label = match cause.map(|c| &c.kind) {
                    Some(
                        EventKind::Spawn { link: true, monitor: true, .. }
                        | EventKind::SpawnRequest { link: true, monitor: true, .. },
                    ) => "spawn_link+monitor",
                    Some(EventKind::Spawn { link: true, .. } | EventKind::SpawnRequest { link: true, .. }) => "spawn_link",
                    Some(EventKind::Spawn { monitor: true, .. } | EventKind::SpawnRequest { monitor: true, .. }) => {
                        "spawn_monitor"
                    }
                    _ => "spawn",
                };
                match from {
                    Some(parent) => {
                        Some(Shape::Arrow { from: Some(parent), to: p, kind: Kind::Spawn, label: label.into(), lost: false })
                    }
                    None => note(p, b'o', Style::Born, "born".into()),
                }
            }
            EventKind::Send { to, signal, payload, .. } if !matched => {
                let untraced = self.f.untraced(*to);
                let why = if untraced { "untraced" } else { "undelivered" };
                let label = format!("{} ({why})", self.signal_label(*signal, payload, None));
                Some(Shape::Arrow { from: Some(p), to: *to, kind: Kind::of(*signal), label, lost: !untraced })
            }
            EventKind::Deliver { from, signal, payload, effect, .. } => {
                // From the send it matched (its line), else from whom it says it came.
                let sender = cause.filter(|c| matches!(c.kind, EventKind::Send { .. })).and_then(|c| c.pid).or(*from);
                let label = self.signal_label(*signal, payload, Some(*effect));
                Some(Shape::Arrow { from: sender, to: p, kind: Kind::of(*signal), label, lost: false })
            }
            EventKind::End { reason } => {
                // A normal end is no failure: not red.
                let style = if reason.as_atom() == Some(Atom::NORMAL) { Style::Plain } else { Style::Death };
                note(p, b'X', style, self.term(reason))
            }
            EventKind::Crash { reason, place } => {
                let mut text = format!("crash {}", self.term(reason));
                if !place.is_empty() {
                    text.push_str(" at ");
                    text.push_str(&clean(place));
                }
                note(p, b'!', Style::Crash, text)
            }
            EventKind::Register { name } => {
                note(p, b'*', Style::Plain, format!("register {}", clean(&inspect(&Term::Atom(*name)))))
            }
            EventKind::Report { text } => {
                // On the reporter's own column: its `[supervisor Shop #PID<..>]` prefix is implied.
                let text = text.strip_prefix('[').and_then(|t| t.split_once("] ")).map_or(text.as_str(), |(_, t)| t);
                note(p, b'~', Style::Fault, cut(&clean(text), REPORT_MAX))
            }
            // A process that ends lets go of its name: implied by its `X`.
            EventKind::Unregister { .. } if self.f.ended.get(&p).is_some_and(|&end| end < i) => None,
            EventKind::Unregister { name } => {
                note(p, b'*', Style::Plain, format!("unregister {}", clean(&inspect(&Term::Atom(*name)))))
            }
            _ => None,
        }
    }
}

/// The reason inside a DOWN's payload (the `(:down, ref, who, reason)` it becomes), or the payload.
fn down_reason(payload: &Term) -> &Term {
    match payload {
        Term::Tuple(t) if t.len() == 4 && t[0] == Term::Atom(Atom::DOWN) => &t[3],
        other => other,
    }
}

fn selected(opts: &DiagramOptions, f: &Facts, p: Pid) -> bool {
    (opts.pids.is_empty() || opts.pids.contains(&p))
        && (opts.nodes.is_empty() || f.node_of.get(&p).is_some_and(|n| opts.nodes.contains(n)))
}

/// Whether a row passes the filters: it touches a chosen process, or is an event of a chosen node.
fn keep(s: &Shape, opts: &DiagramOptions, f: &Facts) -> bool {
    match s {
        Shape::Rule { node, .. } => {
            (opts.nodes.is_empty() || opts.nodes.contains(node))
                && (opts.pids.is_empty() || opts.pids.iter().any(|p| f.node_of.get(p) == Some(node)))
        }
        _ => s.pids().into_iter().any(|p| selected(opts, f, p)),
    }
}

/// Where everything goes across the width.
struct Layout {
    width: usize,
    col_w: usize,
    cols: Vec<Pid>,
    col_of: FxHashMap<Pid, usize>,
    /// The `...` column: arrows to and from processes without a column.
    edge: bool,
    folded: Vec<Pid>,
}

impl Layout {
    fn new(rows: &[Row], f: &Facts, opts: &DiagramOptions, width: usize) -> Layout {
        let mut count: FxHashMap<Pid, usize> = FxHashMap::default();
        for r in rows {
            for p in r.shape.pids() {
                if f.node_of.contains_key(&p) && selected(opts, f, p) {
                    *count.entry(p).or_insert(0) += 1;
                }
            }
        }
        // Grouped by node, each in the order it first appears.
        let mut cands = Vec::new();
        for node in &f.nodes {
            cands.extend(f.procs.iter().filter(|(n, p)| n == node && count.contains_key(p)).map(|(_, p)| *p));
        }
        let cand_set: FxHashSet<Pid> = cands.iter().copied().collect();
        let mut edge = rows.iter().any(|r| match &r.shape {
            Shape::Arrow { from, to, .. } => from.is_none_or(|p| !cand_set.contains(&p)) || !cand_set.contains(to),
            _ => false,
        });
        let avail = width - NOTE_MIN;
        let edge_w = |edge: bool| if edge { EDGE_COL } else { 0 };
        let mut folded = Vec::new();
        if cands.len() * MIN_COL + edge_w(edge) > avail {
            // Keep the busiest that fit, in their order; the rest share the edge.
            edge = true;
            let k = (avail - EDGE_COL) / MIN_COL;
            let mut busiest: Vec<usize> = (0..cands.len()).collect();
            busiest.sort_by(|&a, &b| count[&cands[b]].cmp(&count[&cands[a]]).then(a.cmp(&b)));
            let keep: FxHashSet<Pid> = busiest.into_iter().take(k).map(|i| cands[i]).collect();
            (cands, folded) = cands.into_iter().partition(|p| keep.contains(p));
        }
        let want = width.saturating_sub(NOTE_WANT + edge_w(edge));
        let col_w = if cands.is_empty() { MIN_COL } else { (want / cands.len()).clamp(MIN_COL, MAX_COL) };
        let col_of = cands.iter().enumerate().map(|(i, p)| (*p, i)).collect();
        Layout { width, col_w, cols: cands, col_of, edge, folded }
    }

    fn anchor(&self, col: usize) -> usize {
        col * self.col_w + self.col_w / 2
    }

    fn edge_x(&self) -> usize {
        self.cols.len() * self.col_w + EDGE_COL / 2
    }

    /// Where a process's mark goes, and whether that is the edge.
    fn place(&self, p: Option<Pid>) -> (usize, bool) {
        match p.and_then(|p| self.col_of.get(&p)) {
            Some(&c) => (self.anchor(c), false),
            None => (self.edge_x(), true),
        }
    }

    /// The columns' width (the rules span it).
    fn draw_w(&self) -> usize {
        self.cols.len() * self.col_w + if self.edge { EDGE_COL } else { 0 }
    }

    /// Where labels that did not fit in place start.
    fn note_x(&self) -> usize {
        let last = if self.edge { self.edge_x() } else { self.anchor(self.cols.len().saturating_sub(1)) };
        last + 3
    }

    fn draw(&self, rows: &[Row], f: &Facts) -> Vec<Canvas> {
        let mut out = Vec::new();
        if !self.cols.is_empty() || self.edge {
            out.push(self.node_header(f));
            out.push(self.process_header(f));
            let first = rows.first().map_or(0, |r| r.at);
            out.push(self.lifelines(|p| f.alive_before(p, first)));
        }
        let body: Vec<Option<Canvas>> = rows.iter().map(|r| self.row(r, f)).collect();
        // Rules span the whole diagram, labels at the right end included.
        let span = out.iter().chain(body.iter().flatten()).map(Canvas::used).max().unwrap_or(0).max(self.draw_w());
        for (r, cv) in rows.iter().zip(body) {
            match (cv, &r.shape) {
                (Some(cv), _) => out.push(cv),
                (None, Shape::Rule { fill, text, style, .. }) => out.push(self.rule(*fill, text, *style, span)),
                (None, _) => {}
            }
        }
        out
    }

    /// `# text ####...` across `span` columns (longer if the text needs it, never past the width).
    fn rule(&self, fill: u8, text: &str, style: Style, span: usize) -> Canvas {
        let mut cv = Canvas::new(self.width);
        let head = format!("{} {text} ", fill as char);
        for x in 0..span.max(head.len() + 3) {
            cv.put(x, fill, style);
        }
        cv.text_cut(0, &head, style);
        cv
    }

    /// Each node's name over its group of columns: `----- a@h -----`.
    fn node_header(&self, f: &Facts) -> Canvas {
        let mut cv = Canvas::new(self.width);
        let node = |c: usize| self.cols.get(c).and_then(|p| f.node_of.get(p)).copied();
        let mut c = 0;
        while c < self.cols.len() {
            let mut e = c;
            while e + 1 < self.cols.len() && node(e + 1) == node(c) {
                e += 1;
            }
            let (x0, x1) = (c * self.col_w, (e + 1) * self.col_w - 1);
            for x in x0..x1 {
                cv.put(x, b'-', Style::Head);
            }
            let name = cut(&node(c).map_or_else(String::new, |n| clean(n.as_str())), x1 - x0 - 2);
            let text = format!(" {name} ");
            cv.text(x0 + (x1 - x0 - text.len()) / 2, &text, Style::Head);
            c = e + 1;
        }
        cv
    }

    fn process_header(&self, f: &Facts) -> Canvas {
        let mut cv = Canvas::new(self.width);
        for (c, p) in self.cols.iter().enumerate() {
            let label = cut(&f.label(*p), self.col_w - 1);
            cv.text(self.anchor(c) - label.len() / 2, &label, Style::Head);
        }
        if self.edge {
            cv.text(self.edge_x() - 1, "...", Style::Head);
        }
        cv
    }

    fn lifelines(&self, alive: impl Fn(Pid) -> bool) -> Canvas {
        let mut cv = Canvas::new(self.width);
        for (c, p) in self.cols.iter().enumerate() {
            if alive(*p) {
                cv.put(self.anchor(c), b'|', Style::Plain);
            }
        }
        if self.edge {
            cv.put(self.edge_x(), b':', Style::Plain);
        }
        cv
    }

    /// A process's row (a rule is drawn once the diagram's span is known).
    fn row(&self, r: &Row, f: &Facts) -> Option<Canvas> {
        if let Shape::Rule { .. } = &r.shape {
            return None;
        }
        let mut cv = self.lifelines(|p| f.alive_at(p, r.at));
        match &r.shape {
            Shape::Note { on, mark, style, text } => {
                let (x, edge) = self.place(Some(*on));
                let text = if edge { format!("{}: {text}", f.label(*on)) } else { text.clone() };
                self.note(&mut cv, x, *mark, *style, &text);
            }
            Shape::Arrow { from, to, kind, label, lost } => self.arrow(&mut cv, f, *from, *to, *kind, label, *lost),
            Shape::Rule { .. } => {}
        }
        Some(cv)
    }

    /// A mark at `x`, its text right of it if the room there is free, else at the row's right end.
    fn note(&self, cv: &mut Canvas, x: usize, mark: u8, style: Style, text: &str) {
        cv.put(x, mark, style);
        if text.is_empty() {
            return;
        }
        if x + 2 + text.len() <= self.width && cv.free(x + 1, x + 3 + text.len()) {
            cv.text(x + 2, text, style);
        } else {
            cv.text_cut(self.note_x(), text, style);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn arrow(&self, cv: &mut Canvas, f: &Facts, from: Option<Pid>, to: Pid, kind: Kind, label: &str, lost: bool) {
        let (ax, a_edge) = self.place(from);
        let (bx, b_edge) = self.place(Some(to));
        let style = kind.style();
        if ax == bx {
            // To itself, or between two processes that both have no column: a note.
            let text = match from {
                Some(p) if p == to => format!("to self: {label}"),
                Some(p) => format!("{} to {}: {label}", f.label(p), f.label(to)),
                None => format!("to {}: {label}", f.label(to)),
            };
            self.note(cv, ax, b'>', style, &text);
            return;
        }
        let mut label = label.to_string();
        if a_edge {
            if let Some(p) = from {
                label = format!("{}: {label}", f.label(p));
            }
        }
        if b_edge {
            label = format!("{}: {label}", f.label(to));
        }
        let (lo, hi) = (ax.min(bx), ax.max(bx));
        for x in lo + 1..hi {
            cv.put(x, kind.shaft(), style);
        }
        let right = ax < bx;
        let head_x = if right { hi - 1 } else { lo + 1 };
        match (lost, right) {
            (true, _) => cv.put(head_x, b'x', Style::Death),
            (false, true) => cv.put(head_x, b'>', style),
            (false, false) => cv.put(head_x, b'<', style),
        }
        if kind == Kind::Spawn {
            if !a_edge {
                cv.put(ax, b'+', style);
            }
            if !b_edge {
                cv.put(bx, b'o', style);
            }
        } else if !a_edge && cv.free(ax, ax + 1) {
            // Sent as the sender ended (its exits and DOWNs): the arrow starts where its line stopped.
            cv.put(ax, kind.shaft(), style);
        }
        if label.is_empty() {
            return;
        }
        // On the shaft, with at least one shaft character either side, else at the right end.
        let text = format!(" {label} ");
        let (r0, r1) = if right { (lo + 1, hi - 1) } else { (lo + 2, hi) };
        if text.len() + 2 <= r1 - r0 {
            cv.text(r0 + (r1 - r0 - text.len()) / 2, &text, style);
        } else {
            cv.text_cut(self.note_x(), &label, style);
        }
    }
}

/// How a cell is coloured (only with `color`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Style {
    Plain,
    Head,
    Exit,
    Down,
    Control,
    Born,
    Death,
    Crash,
    Node,
    Fault,
}

impl Style {
    fn sgr(self) -> &'static str {
        match self {
            Style::Plain => "",
            Style::Head => "\x1b[1m",
            Style::Exit | Style::Death => "\x1b[31m",
            Style::Down => "\x1b[33m",
            Style::Control => "\x1b[36m",
            Style::Born => "\x1b[32m",
            Style::Crash | Style::Fault => "\x1b[1;31m",
            Style::Node => "\x1b[1;35m",
        }
    }
}

/// One line being drawn: ASCII cells, never past the width.
struct Canvas {
    cells: Vec<(u8, Style)>,
    width: usize,
}

impl Canvas {
    fn new(width: usize) -> Canvas {
        Canvas { cells: Vec::new(), width }
    }

    fn put(&mut self, x: usize, c: u8, s: Style) {
        if x >= self.width {
            return;
        }
        if self.cells.len() <= x {
            self.cells.resize(x + 1, (b' ', Style::Plain));
        }
        let c = if c.is_ascii_graphic() || c == b' ' { c } else { b'?' };
        self.cells[x] = (c, s);
    }

    fn text(&mut self, x: usize, s: &str, style: Style) {
        for (k, b) in s.bytes().enumerate() {
            self.put(x + k, b, style);
        }
    }

    /// `s` from `x`, cut (with `..`) to what is left of the width.
    fn text_cut(&mut self, x: usize, s: &str, style: Style) {
        if x < self.width {
            self.text(x, &cut(s, self.width - x), style);
        }
    }

    /// How far the line has something drawn.
    fn used(&self) -> usize {
        self.cells.iter().rposition(|c| c.0 != b' ').map_or(0, |x| x + 1)
    }

    /// Whether cells `from..to` are blank.
    fn free(&self, from: usize, to: usize) -> bool {
        (from..to).all(|x| self.cells.get(x).is_none_or(|c| c.0 == b' '))
    }

    /// The line without trailing spaces, coloured if asked.
    fn finish(mut self, color: bool) -> String {
        while self.cells.last().is_some_and(|c| c.0 == b' ') {
            self.cells.pop();
        }
        let mut out = String::with_capacity(self.cells.len());
        let mut current = Style::Plain;
        for (c, s) in &self.cells {
            // Spaces keep the current colour: fewer escapes, same look.
            if color && *s != current && *c != b' ' {
                if current != Style::Plain {
                    out.push_str("\x1b[0m");
                }
                out.push_str(s.sgr());
                current = *s;
            }
            out.push(*c as char);
        }
        if color && current != Style::Plain {
            out.push_str("\x1b[0m");
        }
        out
    }
}

/// Text made printable ASCII: anything else becomes `?` (the diagram counts one column per byte).
fn clean(s: &str) -> String {
    s.chars().map(|c| if c == ' ' || c.is_ascii_graphic() { c } else { '?' }).collect()
}

/// `s` cut to `n` characters, ending in `..` when cut.
fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else if n >= 2 {
        format!("{}..", s.chars().take(n - 2).collect::<String>())
    } else {
        s.chars().take(n).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    // The same hand-built events as the exports' tests.
    use crate::trace::export::tests::{at, deliver, send};
    use snow_runtime::trace::TraceEvent;
    use snow_runtime::Ref;

    fn plain(width: usize) -> DiagramOptions {
        DiagramOptions { width, ..DiagramOptions::default() }
    }

    /// Plain output is ASCII and fits; returns it.
    fn draw(t: &Timeline, opts: &DiagramOptions) -> String {
        let out = render(t, opts);
        assert!(out.is_ascii(), "{out}");
        for line in out.lines() {
            assert!(line.len() <= opts.width.max(MIN_WIDTH), "too wide ({}): {line:?}", line.len());
            assert_eq!(line, line.trim_end(), "trailing spaces: {line:?}");
        }
        out
    }

    /// <0.84.0> spawns <0.85.0>, sends it :hi, gets (:ok, 42) back; the child ends.
    fn spawn_and_reply() -> Timeline {
        let (a, b) = (Pid::local(84, 0), Pid::local(85, 0));
        let n = "a@h";
        let ok = Term::tuple(vec![Term::atom("ok"), Term::Int(42)]);
        Timeline::build(
            vec![
                at(n, Some(a), 1, EventKind::Spawn { child: b, link: false, monitor: false }),
                at(n, Some(b), 2, EventKind::Born { parent: Some(a) }),
                at(n, Some(a), 3, send(b, SignalKind::Message, Term::atom("hi"))),
                at(n, Some(b), 4, deliver(a, SignalKind::Message, Term::atom("hi"), Effect::Queued)),
                at(n, Some(b), 5, EventKind::Receive { msg: Term::atom("hi") }),
                at(n, Some(b), 6, send(a, SignalKind::Message, ok.clone())),
                at(n, Some(a), 7, deliver(b, SignalKind::Message, ok.clone(), Effect::Queued)),
                at(n, Some(a), 8, EventKind::Receive { msg: ok }),
                at(n, Some(b), 9, EventKind::End { reason: Term::atom("normal") }),
            ],
            0,
        )
    }

    /// <0.84.0>, <0.85.0>, <0.86.0> linked in a chain: the last crashes and takes the others along.
    fn link_chain() -> Timeline {
        let (a, b, c) = (Pid::local(84, 0), Pid::local(85, 0), Pid::local(86, 0));
        let n = "a@h";
        let boom = || Term::atom("badarith");
        Timeline::build(
            vec![
                at(n, Some(c), 1, EventKind::Crash { reason: boom(), place: "chain.snow:7".into() }),
                at(n, Some(c), 2, EventKind::End { reason: boom() }),
                at(n, Some(c), 3, send(b, SignalKind::Exit, boom())),
                at(n, Some(b), 4, deliver(c, SignalKind::Exit, boom(), Effect::Died)),
                at(n, Some(b), 5, EventKind::End { reason: boom() }),
                at(n, Some(b), 6, send(a, SignalKind::Exit, boom())),
                at(n, Some(a), 7, deliver(b, SignalKind::Exit, boom(), Effect::Died)),
                at(n, Some(a), 8, EventKind::End { reason: boom() }),
            ],
            0,
        )
    }

    /// A supervisor that traps exits: its spawn_link'ed worker dies, the exit becomes a message;
    /// a message sent to the dead worker is lost.
    fn trapped() -> Timeline {
        let (sup, w) = (Pid::local(84, 0), Pid::local(85, 0));
        let n = "a@h";
        let named = |mut e: TraceEvent| {
            e.name = Some(Atom::new("sup"));
            e
        };
        Timeline::build(
            vec![
                named(at(n, Some(sup), 1, EventKind::Register { name: Atom::new("sup") })),
                named(at(n, Some(sup), 2, EventKind::Spawn { child: w, link: true, monitor: false })),
                at(n, Some(w), 3, EventKind::Born { parent: Some(sup) }),
                at(n, Some(w), 4, EventKind::End { reason: Term::atom("boom") }),
                at(n, Some(w), 5, send(sup, SignalKind::Exit, Term::atom("boom"))),
                named(at(n, Some(sup), 6, deliver(w, SignalKind::Exit, Term::atom("boom"), Effect::Trapped))),
                named(at(n, Some(sup), 7, send(w, SignalKind::Message, Term::str("are you there?")))),
            ],
            0,
        )
    }

    /// a@h's <0.84.0> monitors b@h's worker; a partition cuts them: a DOWN :noconnection after
    /// a's nodedown, and a message lost on the way.
    fn partition() -> Timeline {
        let a = Pid::local(84, 0);
        let w = Pid { node: 1, id: 90, serial: 0, creation: 0 };
        let (na, nb) = ("a@h", "b@h");
        let r = Term::Ref(Ref { node: 0, words: [7, 0, 0] });
        let down = Term::tuple(vec![Term::Atom(Atom::DOWN), r.clone(), Term::Pid(w), Term::atom("noconnection")]);
        let mut reg = at(nb, Some(w), 1, EventKind::Register { name: Atom::new("worker") });
        reg.name = Some(Atom::new("worker"));
        Timeline::build(
            vec![
                at(na, None, 1, EventKind::NodeUp { peer: Atom::new(nb) }),
                at(nb, None, 2, EventKind::NodeUp { peer: Atom::new(na) }),
                reg,
                at(na, Some(a), 2, send(w, SignalKind::Monitor, r.clone())),
                at(nb, Some(w), 3, deliver(a, SignalKind::Monitor, r, Effect::Applied)),
                at(na, None, 3, EventKind::Net { what: "partition [a@h] | [b@h]".into() }),
                at(na, Some(a), 4, send(w, SignalKind::Message, Term::atom("ping"))),
                at(
                    na,
                    None,
                    5,
                    EventKind::NodeDown {
                        peer: Atom::new(nb),
                        reason: Term::atom("net_tick_timeout"),
                        silent_ms: Some(4000),
                    },
                ),
                at(
                    na,
                    Some(a),
                    6,
                    EventKind::Deliver {
                        from: Some(w),
                        signal: SignalKind::Down,
                        payload: down,
                        effect: Effect::Queued,
                        via_node: Some(Atom::new(nb)),
                    },
                ),
                at(
                    nb,
                    None,
                    4,
                    EventKind::NodeDown { peer: Atom::new(na), reason: Term::atom("net_tick_timeout"), silent_ms: None },
                ),
            ],
            0,
        )
    }

    /// A hub on a@h spawns nine workers and messages each; the last ones are the busiest.
    fn crowd() -> Timeline {
        let hub = Pid::local(80, 0);
        let n = "a@h";
        let mut events = Vec::new();
        let mut seq = 0;
        let mut push = |pid: Pid, kind: EventKind| {
            seq += 1;
            events.push(at(n, Some(pid), seq, kind));
        };
        for k in 0..9u32 {
            let w = Pid::local(90 + k, 0);
            push(hub, EventKind::Spawn { child: w, link: false, monitor: false });
            push(w, EventKind::Born { parent: Some(hub) });
            for m in 0..(k / 3) {
                push(hub, send(w, SignalKind::Message, Term::Int(i64::from(m))));
                push(w, deliver(hub, SignalKind::Message, Term::Int(i64::from(m)), Effect::Queued));
            }
        }
        push(Pid::local(98, 0), send(Pid::local(90, 0), SignalKind::Message, Term::atom("hello")));
        push(Pid::local(90, 0), deliver(Pid::local(98, 0), SignalKind::Message, Term::atom("hello"), Effect::Queued));
        Timeline::build(events, 0)
    }

    /// The diagram's lines, down to the blank line before the footers.
    fn body(out: &str) -> Vec<&str> {
        out.lines().take_while(|l| !l.is_empty()).collect()
    }

    /// The footer lines (after the blank line), without the legend.
    fn footers(out: &str) -> Vec<&str> {
        out.lines().skip_while(|l| !l.is_empty()).skip(1).take_while(|l| !l.starts_with("legend:")).collect()
    }

    #[test]
    fn a_spawn_a_message_and_its_reply() {
        let out = draw(&spawn_and_reply(), &plain(80));
        eprintln!("{out}");
        assert_eq!(
            body(&out),
            [
                "----------------- a@h -----------------",
                "      <0.84.0>            <0.85.0>",
                "          |",
                "          +----- spawn ------>o",
                "          |------ :hi ------->|",
                "          |<--- (:ok, 42) ----|",
                "          |                   X :normal",
            ]
        );
        assert_eq!(
            out.lines().skip(8).collect::<Vec<_>>(),
            [
                "legend: --> message  ==> exit  ~~> DOWN  ..> link/monitor  --x undelivered",
                "        +->o spawn  X end  ! crash  ### node  !!! fault",
            ]
        );
    }

    #[test]
    fn a_crash_takes_a_link_chain_down() {
        let out = draw(&link_chain(), &plain(80));
        assert_eq!(
            body(&out),
            [
                "--------------------- a@h ---------------------",
                "    <0.86.0>        <0.85.0>        <0.84.0>",
                "        |               |               |",
                "        !               |               |  crash :badarith at chain.snow:7",
                "        X :badarith     |               |",
                "        ===============>|               |  exit :badarith (died)",
                "                        X :badarith     |",
                "                        ===============>|  exit :badarith (died)",
                "                                        X :badarith",
            ]
        );
    }

    #[test]
    fn a_trapped_exit_and_a_message_lost_to_the_dead() {
        let out = draw(&trapped(), &plain(80));
        assert_eq!(
            body(&out),
            [
                "----------------- a@h -----------------",
                "         sup              <0.85.0>",
                "          |",
                "          * register :sup",
                "          +--- spawn_link --->o",
                "          |                   X :boom",
                "          |<===================  exit :boom (trapped)",
                "          |------------------x   \"are you there?\" (undelivered)",
            ]
        );
    }

    #[test]
    fn a_partition_a_nodedown_and_a_down_noconnection() {
        let out = draw(&partition(), &plain(80));
        assert_eq!(
            body(&out),
            [
                "------- a@h ------- ------- b@h -------",
                "      <0.84.0>             worker",
                "          |                   |",
                "# a@h: b@h up ######################################",
                "          |                   * register :worker",
                "# b@h: a@h up ######################################",
                "! a@h: net: partition [a@h] | [b@h] !!!!!!!!!!!!!!!!",
                "          |.... monitor .....>|",
                "          |------------------x|  :ping (undelivered)",
                "# b@h: a@h down: net_tick_timeout ##################",
                "# a@h: b@h down: net_tick_timeout (silent 4.0 s) ###",
                "          |<~~~~~~~~~~~~~~~~~~|  DOWN :noconnection",
            ]
        );
        // One node's view: the other side's processes are at the edge, named.
        let out = draw(&partition(), &DiagramOptions { nodes: vec![Atom::new("b@h")], ..plain(80) });
        assert_eq!(
            body(&out),
            [
                "------- b@h -------",
                "       worker        ...",
                "          |           :",
                "          *           :  register :worker",
                "# b@h: a@h up ########################################",
                "          |<..........:  <0.84.0>: monitor",
                "          |x----------:  <0.84.0>: :ping (undelivered)",
                "# b@h: a@h down: net_tick_timeout ####################",
                "          |~~~~~~~~~~>:  <0.84.0>: DOWN :noconnection",
            ]
        );
    }

    #[test]
    fn what_does_not_fit_is_folded_into_the_edge() {
        let out = draw(&crowd(), &plain(60));
        assert_eq!(
            body(&out),
            [
                "--------------- a@h ---------------",
                "  <0.80.0>    <0.96.0>    <0.98.0>   ...",
                "      |                               :",
                "      +------ <0.90.0>: spawn ------->:",
                "      +------ <0.91.0>: spawn ------->:",
                "      +------ <0.92.0>: spawn ------->:",
                "      +------ <0.93.0>: spawn ------->:",
                "      |-------- <0.93.0>: 0 --------->:",
                "      +------ <0.94.0>: spawn ------->:",
                "      |-------- <0.94.0>: 0 --------->:",
                "      +------ <0.95.0>: spawn ------->:",
                "      |-------- <0.95.0>: 0 --------->:",
                "      +- spawn -->o                   :",
                "      |--- 0 ---->|                   :",
                "      |--- 1 ---->|                   :",
                "      +------ <0.97.0>: spawn ------->:",
                "      |-------- <0.97.0>: 0 --------->:",
                "      |-------- <0.97.0>: 1 --------->:",
                "      +------- spawn -------->o       :",
                "      |--------- 0 ---------->|       :",
                "      |--------- 1 ---------->|       :",
                "      |           |           |------>:  <0.90.0>: :hello",
            ]
        );
        assert_eq!(footers(&out), ["folded: <0.90.0>, <0.91.0>, <0.92.0>, <0.93.0>, ... (3 more)"]);
        // Wide enough for all: nothing folded, no edge.
        let out = draw(&crowd(), &plain(200));
        assert!(footers(&out).is_empty(), "{out}");
        assert!(!out.contains("..."), "{out}");
    }

    #[test]
    fn a_pid_filter_keeps_the_arrows_touching_it() {
        let out = draw(&crowd(), &DiagramOptions { pids: vec![Pid::local(90, 0)], ..plain(80) });
        assert_eq!(
            body(&out),
            [
                "------- a@h -------",
                "      <0.90.0>       ...",
                "                      :",
                "          o<----------:  <0.80.0>: spawn",
                "          |<----------:  <0.98.0>: :hello",
            ]
        );
        assert_eq!(
            footers(&out),
            ["...: processes without a column here (filtered out, not traced, or the runtime)"],
            "the filtered out are not folded: {out}"
        );
    }

    #[test]
    fn last_keeps_the_last_rows_with_the_lives_as_they_were() {
        let out = draw(&crowd(), &DiagramOptions { last: Some(4), ..plain(80) });
        assert_eq!(
            body(&out),
            [
                "--------------------- a@h ---------------------",
                "    <0.80.0>        <0.90.0>        <0.98.0>",
                "        |               |",
                "        +----------- spawn ------------>o",
                "        |------------- 0 -------------->|",
                "        |------------- 1 -------------->|",
                "        |               |<--- :hello ---|",
            ]
        );
        assert_eq!(footers(&out), ["(the last 4 of 19 rows)"]);
    }

    #[test]
    fn dropped_events_are_said() {
        let mut t = spawn_and_reply();
        t.dropped = 3;
        let out = draw(&t, &plain(80));
        assert_eq!(footers(&out), ["(3 earlier events dropped: the trace ring was full)"]);
        let empty = Timeline::build(Vec::new(), 0);
        assert_eq!(render(&empty, &plain(80)), "no events recorded");
        let empty = Timeline::build(Vec::new(), 5);
        assert_eq!(
            render(&empty, &plain(80)),
            "no events recorded\n(5 earlier events dropped: the trace ring was full)"
        );
    }

    #[test]
    fn a_filter_that_matches_nothing_says_so() {
        let out = draw(&crowd(), &DiagramOptions { pids: vec![Pid::local(7, 0)], ..plain(80) });
        assert_eq!(out, "no events to show: the filter matched none of the 38 events");
    }

    #[test]
    fn plain_is_ascii_and_never_too_wide_colour_only_adds_escapes() {
        let traces = [spawn_and_reply(), link_chain(), trapped(), partition(), crowd()];
        for t in &traces {
            for width in (0..=130).step_by(7) {
                for opts in [
                    plain(width),
                    DiagramOptions { last: Some(3), ..plain(width) },
                    DiagramOptions { pids: vec![Pid::local(84, 0), Pid::local(90, 0)], ..plain(width) },
                    DiagramOptions { nodes: vec![Atom::new("a@h")], ..plain(width) },
                ] {
                    let out = draw(t, &opts);
                    let colored = render(t, &DiagramOptions { color: true, ..opts.clone() });
                    assert_eq!(strip_ansi(&colored), out);
                }
            }
        }
        assert!(render(&trapped(), &DiagramOptions { color: true, ..plain(80) }).contains("\x1b[31m"));
    }

    fn strip_ansi(s: &str) -> String {
        let mut out = String::new();
        let mut chars = s.chars();
        while let Some(c) = chars.next() {
            if c == '\x1b' {
                for c in chars.by_ref() {
                    if c == 'm' {
                        break;
                    }
                }
            } else {
                out.push(c);
            }
        }
        out
    }

    #[test]
    fn long_and_non_ascii_terms_are_cut_and_made_ascii() {
        let (a, b) = (Pid::local(1, 0), Pid::local(2, 0));
        let msg = Term::str("h\u{e9}llo, this is a rather long message indeed");
        let t = Timeline::build(
            vec![
                at("a@h", Some(a), 1, send(b, SignalKind::Message, msg.clone())),
                at("a@h", Some(b), 2, deliver(a, SignalKind::Message, msg, Effect::Queued)),
            ],
            0,
        );
        let out = draw(&t, &plain(80));
        assert!(out.contains("  \"h?llo, this is a rath.."), "{out}");
    }
}
