//! A recorded trace as a Lamport diagram in SVG: a band per node, a line per process, time going down.
//!
//! One row per event, in the timeline's causal order. Every signal sent is one arrow (an element of
//! class `arrow <kind>`, the only elements whose class starts so), from the sender's line at the send
//! to the receiver's at the delivery; a send nothing delivered ends in an X. An exit or DOWN
//! `:noconnection` is one arrow too, from the node-down that made it. Failures are red.

use super::export::{describe, down_reason, is_normal, short_pid, signal_text};
use rustc_hash::FxHashMap;
use snow_runtime::inspect::inspect;
use snow_runtime::trace::{signal_name, Effect, EventKind, Timeline};
use snow_runtime::{Atom, Pid, SignalKind};
use ::svg::node::element::{Circle, Definitions, Group, Line, Marker, Path, Rectangle, Style, Text, Title};
use ::svg::{Document, Node};

/// Rows drawn at most: past that the diagram shows the last ones (and says so).
pub const MAX_EVENTS: usize = 10_000;

const COL_W: f64 = 140.0;
const ROW_H: f64 = 24.0;
const MARGIN: f64 = 10.0;
const BAND_GAP: f64 = 12.0;
/// Above the first row: the node's name, then the processes' names.
const HEAD_H: f64 = 58.0;
const NOTE_H: f64 = 18.0;
/// Room right of the last column for the labels drawn there.
const RIGHT_SPARE: f64 = 220.0;
const LABEL_MAX: usize = 40;
/// A tooltip holds the whole text, up to this (a huge message would otherwise bloat the file).
const TITLE_MAX: usize = 4_000;

const CSS: &str = "
text{font-family:Menlo,Consolas,'DejaVu Sans Mono',monospace;font-size:11px;fill:#222}
.lbl{paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}
.fail{fill:#c62828}
.dim{fill:#666;font-size:10px}
.nodename{font-weight:bold;font-size:13px}
.note{font-size:12px;fill:#444}
.band{fill:#f2f4f8;stroke:#d5dae3}
.life{stroke:#9aa3b2;stroke-width:1.5}
.arrow{stroke:#37474f;stroke-width:1.3;fill:none}
.arrow.failure{stroke:#c62828}
.arrow.lost,.arrow.untraced{stroke-dasharray:4 3}
.arrow.noconnection{stroke:#c62828;stroke-width:1.3;stroke-dasharray:4 3;fill:none}
.incoming{stroke:#888;stroke-width:1.2;stroke-dasharray:2 2;fill:none}
.spawnline{stroke:#999;stroke-width:1;stroke-dasharray:2 3;fill:none}
.born{fill:#fff;stroke:#37474f;stroke-width:1.5}
.spawn{fill:#37474f}
.crash{fill:#c62828}
.death{stroke:#555;stroke-width:2}
.death.failure,.lostx{stroke:#c62828;stroke-width:2}
.recv{stroke:#37474f;stroke-width:1.5}
.nodeev{stroke:#2e7d32;stroke-width:2}
.nodeev.failure{stroke:#c62828}
.netev{stroke:#6a1b9a;stroke-width:1.5;stroke-dasharray:6 3}
.nettext{fill:#6a1b9a}
.partition{fill:#c62828;fill-opacity:0.08;stroke:#c62828;stroke-opacity:0.25}
";

/// Text fit for XML: no control characters (XML 1.0 allows none but tab and newlines, and a label
/// is one line anyway). `&`, `<`, `>` and quotes are escaped by the `svg` crate.
fn clean(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// At most `n` characters, the last one `…` when cut.
fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_string();
    }
    let mut out: String = s.chars().take(n.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// A one-line label of at most `LABEL_MAX` characters, the whole text in its tooltip.
fn label(x: f64, y: f64, class: &str, shown: &str, full: &str) -> Label {
    let text = Text::new(clean(&cut(shown, LABEL_MAX))).set("x", x).set("y", y).set("class", class);
    Label { text, full: clean(&cut(full, TITLE_MAX)) }
}

/// A label and its tooltip: `<g><title>full</title><text>shown</text></g>` (a `<title>` inside the
/// `<text>` would add whitespace to what is shown).
struct Label {
    text: Text,
    full: String,
}

impl Label {
    fn set<V: Into<::svg::node::Value>>(mut self, name: &str, value: V) -> Label {
        self.text = self.text.set(name, value);
        self
    }
}

impl From<Label> for Box<dyn Node> {
    fn from(l: Label) -> Box<dyn Node> {
        Box::new(Group::new().add(Title::new(l.full)).add(l.text))
    }
}

fn line(x1: f64, y1: f64, x2: f64, y2: f64, class: &str) -> Line {
    Line::new().set("x1", x1).set("y1", y1).set("x2", x2).set("y2", y2).set("class", class)
}

/// An X centred on (x, y).
fn cross(x: f64, y: f64, r: f64, class: &str, full: &str) -> Group {
    let mut g = Group::new();
    g.append(Title::new(clean(&cut(full, TITLE_MAX))));
    g.append(line(x - r, y - r, x + r, y + r, class));
    g.append(line(x - r, y + r, x + r, y - r, class));
    g
}

fn arrowhead(id: &str, colour: &str) -> Marker {
    Marker::new()
        .set("id", id)
        .set("viewBox", "0 0 10 10")
        .set("refX", 9)
        .set("refY", 5)
        .set("markerWidth", 7)
        .set("markerHeight", 7)
        .set("orient", "auto")
        .add(Path::new().set("d", "M0,0 L10,5 L0,10 z").set("fill", colour))
}

fn head(failure: bool) -> &'static str {
    if failure {
        "url(#head-fail)"
    } else {
        "url(#head)"
    }
}

/// Whether a signal stands for a failure: an exit or DOWN with a reason other than `:normal`.
fn failing(signal: SignalKind, payload: &snow_runtime::Term) -> bool {
    match signal {
        SignalKind::Exit => !is_normal(payload),
        SignalKind::Down => !is_normal(down_reason(payload)),
        _ => false,
    }
}

/// An arrow's label: what the signal says, and what it did when that is news.
fn arrow_text(signal: SignalKind, payload: &snow_runtime::Term, effect: Option<Effect>) -> String {
    let what = signal_text(signal, payload);
    match effect {
        Some(Effect::Queued | Effect::Applied) | None => what,
        Some(e) => format!("{} ({})", cut(&what, LABEL_MAX - 10), e.as_str()),
    }
}

/// A node's band: where it starts, how wide, and its processes in order.
struct Band {
    node: Atom,
    x: f64,
    w: f64,
    procs: Vec<Pid>,
}

/// Spans of the diagram between a partition (or cut) and the heal that ends it, as event indexes
/// (`None`: still in force at the end).
fn partitions(t: &Timeline) -> Vec<(usize, Option<usize>, String)> {
    let mut open: Vec<(usize, String)> = Vec::new();
    let mut spans = Vec::new();
    for (i, e) in t.events.iter().enumerate() {
        let EventKind::Net { what } = &e.kind else { continue };
        let w = what.trim();
        if w.starts_with("partition") || w.starts_with("cut") {
            // Each node applying the same fault records it: one span for them all.
            if !open.iter().any(|(_, o)| o == w) {
                open.push((i, w.to_string()));
            }
        } else if w == "heal" || w.starts_with("heal ") {
            let names: Vec<&str> = w["heal".len()..].split("<->").map(str::trim).filter(|s| !s.is_empty()).collect();
            // `heal a <-> b` ends what is between a and b; a bare `heal` (or one matching nothing
            // we know) ends everything.
            let mentions = |text: &str, name: &str| {
                let short = |s: &'_ str| s.split('@').next().unwrap_or(s).to_string();
                let words = text.split(|c: char| c.is_whitespace() || "[]|,".contains(c));
                words.filter(|w| !w.is_empty()).any(|w| w == name || short(w) == short(name))
            };
            let hits: Vec<bool> = open.iter().map(|(_, o)| names.iter().all(|n| mentions(o, n))).collect();
            let all = names.is_empty() || !hits.contains(&true);
            let mut k = 0;
            open.retain(|(start, text)| {
                let end = all || hits[k];
                k += 1;
                if end {
                    spans.push((*start, Some(i), text.clone()));
                }
                !end
            });
        }
    }
    spans.extend(open.into_iter().map(|(start, text)| (start, None, text)));
    spans
}

/// The diagram of `t` as a standalone SVG document.
pub fn render(t: &Timeline) -> String {
    let n = t.events.len();
    let first = n.saturating_sub(MAX_EVENTS);
    let window = &t.events[first..];

    let mut notes = Vec::new();
    let procs_total = {
        let mut seen: Vec<Pid> = window.iter().filter_map(|e| e.pid).collect();
        seen.sort();
        seen.dedup();
        seen.len()
    };
    let mut node_order: Vec<Atom> = Vec::new();
    for e in window {
        if !node_order.contains(&e.node) {
            node_order.push(e.node);
        }
    }
    notes.push(format!("trace: {n} events, {procs_total} processes on {} nodes", node_order.len()));
    if first > 0 {
        notes.push(format!("showing the last {MAX_EVENTS} of {n} events"));
    }
    if t.dropped > 0 {
        notes.push(format!("{} older events were dropped by the nodes' trace buffers", t.dropped));
    }

    // Columns: each node's processes in the order they first appear.
    let mut bands: Vec<Band> =
        node_order.iter().map(|&node| Band { node, x: 0.0, w: 0.0, procs: Vec::new() }).collect();
    let mut x_of: FxHashMap<Pid, f64> = FxHashMap::default();
    let mut name_of: FxHashMap<Pid, Atom> = FxHashMap::default();
    for e in window {
        if let Some(p) = e.pid {
            if let Some(b) = bands.iter_mut().find(|b| b.node == e.node) {
                if !b.procs.contains(&p) {
                    b.procs.push(p);
                }
            }
            if let Some(name) = e.name {
                name_of.entry(p).or_insert(name);
            }
        }
    }
    let mut x = MARGIN;
    for b in &mut bands {
        b.x = x;
        b.w = b.procs.len().max(1) as f64 * COL_W;
        for (k, p) in b.procs.iter().enumerate() {
            x_of.insert(*p, b.x + (k as f64 + 0.5) * COL_W);
        }
        x += b.w + BAND_GAP;
    }
    let width = (x - BAND_GAP + RIGHT_SPARE).max(520.0);
    let band_top = MARGIN + notes.len() as f64 * NOTE_H;
    let top = band_top + HEAD_H;
    let bottom = top + window.len() as f64 * ROW_H;
    let height = bottom + MARGIN + 6.0;
    let y = |i: usize| top + (i - first) as f64 * ROW_H + ROW_H / 2.0;
    let band_of = |node: Atom| bands.iter().find(|b| b.node == node);

    let mut background = Group::new();
    let mut shading = Group::new();
    let mut lives = Group::new();
    let mut markers = Group::new();
    let mut arrows = Group::new();
    let mut glyphs = Group::new();
    let mut labels = Group::new();

    for (k, note) in notes.iter().enumerate() {
        let ny = MARGIN + (k as f64 + 0.75) * NOTE_H;
        labels.append(Text::new(clean(note)).set("x", MARGIN).set("y", ny).set("class", "note"));
    }
    for b in &bands {
        background.append(
            Rectangle::new()
                .set("x", b.x)
                .set("y", band_top)
                .set("width", b.w)
                .set("height", bottom - band_top + 4.0)
                .set("rx", 6)
                .set("class", "band"),
        );
        let name = b.node.as_str();
        // About 9 px a character in the bold title: cut to the band, whole name in the tooltip.
        let fits = cut(name, ((b.w - 16.0) / 9.0).max(6.0) as usize);
        labels.append(label(b.x + 8.0, band_top + 18.0, "nodename", &fits, name));
        for p in &b.procs {
            let cx = x_of[p];
            let pid = short_pid(*p);
            match name_of.get(p) {
                Some(n) => {
                    let shown = cut(n.as_str(), 18);
                    labels.append(label(cx, top - 20.0, "lbl", &shown, n.as_str()).set("text-anchor", "middle"));
                    labels.append(label(cx, top - 8.0, "dim", &pid, &pid).set("text-anchor", "middle"));
                }
                None => labels.append(label(cx, top - 14.0, "lbl", &pid, &pid).set("text-anchor", "middle")),
            }
        }
    }

    // Process lines, from birth (or the top) to end (or the bottom).
    let mut span: FxHashMap<Pid, (usize, usize)> = FxHashMap::default();
    for (k, e) in window.iter().enumerate() {
        if let Some(p) = e.pid {
            span.entry(p).and_modify(|s| s.1 = first + k).or_insert((first + k, first + k));
        }
    }
    for p in bands.iter().flat_map(|b| &b.procs) {
        let (cx, (a, z)) = (x_of[p], span[p]);
        let y1 = if matches!(t.events[a].kind, EventKind::Born { .. }) { y(a) } else { top };
        let y2 = if matches!(t.events[z].kind, EventKind::End { .. }) { y(z) } else { bottom };
        lives.append(line(cx, y1, cx, y2, "life"));
    }

    for (start, end, what) in partitions(t) {
        let end_i = end.unwrap_or(n);
        if end_i < first {
            continue;
        }
        let y1 = if start < first { top } else { y(start) - ROW_H / 2.0 };
        let y2 = if end_i >= n { bottom } else { y(end_i) + ROW_H / 2.0 };
        let until = end.map_or(" (never healed)".to_string(), |h| format!(" until event {h}"));
        let mut r = Rectangle::new()
            .set("x", 0)
            .set("y", y1)
            .set("width", width)
            .set("height", (y2 - y1).max(1.0))
            .set("class", "partition");
        r.append(Title::new(clean(&format!("{what}{until}"))));
        shading.append(r);
        labels.append(label(width - 6.0, y1 + 12.0, "lbl fail", &what, &what).set("text-anchor", "end"));
    }

    // Which send each delivery in view came from.
    let mut delivery: FxHashMap<usize, usize> = FxHashMap::default();
    for d in first..n {
        if let (EventKind::Deliver { .. }, Some(c)) = (&t.events[d].kind, t.cause[d]) {
            if c >= first && matches!(t.events[c].kind, EventKind::Send { .. }) {
                delivery.insert(c, d);
            }
        }
    }

    for i in first..n {
        let e = &t.events[i];
        let yi = y(i);
        let full = describe(e);
        let Some(p) = e.pid else {
            // The node's own line: a marker across its band.
            let Some(b) = band_of(e.node) else { continue };
            let (x1, x2) = (b.x + 2.0, b.x + b.w - 2.0);
            match &e.kind {
                EventKind::NodeUp { peer } => {
                    markers.append(line(x1, yi, x2, yi, "nodeev"));
                    labels.append(label(x1 + 4.0, yi - 4.0, "lbl", &format!("nodeup {}", peer.as_str()), &full));
                }
                EventKind::NodeDown { peer, reason, .. } => {
                    markers.append(line(x1, yi, x2, yi, "nodeev failure"));
                    let shown = format!("nodedown {} {}", peer.as_str(), inspect(reason));
                    labels.append(label(x1 + 4.0, yi - 4.0, "lbl fail", &shown, &full));
                }
                EventKind::Net { what } => {
                    markers.append(line(x1, yi, x2, yi, "netev"));
                    labels.append(label(x1 + 4.0, yi - 4.0, "lbl nettext", what, &full));
                }
                _ => labels.append(label(x1 + 4.0, yi - 4.0, "lbl dim", &full, &full)),
            }
            continue;
        };
        let cx = x_of[&p];
        match &e.kind {
            EventKind::Send { to, signal, payload, .. } => {
                let fail = failing(*signal, payload);
                let mut class = format!("arrow {}", signal_name(*signal));
                if fail {
                    class.push_str(" failure");
                }
                let text_class = if fail { "lbl fail" } else { "lbl" };
                match delivery.get(&i).map(|&d| (d, &t.events[d])) {
                    Some((d, de)) => {
                        let effect = match de.kind {
                            EventKind::Deliver { effect, .. } => Some(effect),
                            _ => None,
                        };
                        let fail = fail || matches!(effect, Some(Effect::Died | Effect::Killed));
                        let text = arrow_text(*signal, payload, effect);
                        let tx = de.pid.and_then(|q| x_of.get(&q).copied()).unwrap_or(cx);
                        let yd = y(d);
                        let to = de.pid.map_or_else(String::new, short_pid);
                        let full = format!("{} → {to}: {text}", short_pid(p));
                        let text_class = if fail { "lbl fail" } else { text_class };
                        if tx == cx {
                            // To itself: a loop out to the right, labelled beside it.
                            let d = format!("M{cx},{yi} C{},{yi} {},{yd} {cx},{yd}", cx + 46.0, cx + 46.0);
                            let mut a = Path::new().set("d", d).set("class", class).set("marker-end", head(fail));
                            a.append(Title::new(clean(&cut(&full, TITLE_MAX))));
                            arrows.append(a);
                            labels.append(label(cx + 40.0, (yi + yd) / 2.0 + 4.0, text_class, &text, &full));
                        } else {
                            let mut a = line(cx, yi, tx, yd, &class).set("marker-end", head(fail));
                            a.append(Title::new(clean(&cut(&full, TITLE_MAX))));
                            arrows.append(a);
                            // Written along the arrow, just above it, so neither hides the other.
                            let (mx, my) = ((cx + tx) / 2.0, (yi + yd) / 2.0);
                            let mut deg = (yd - yi).atan2(tx - cx).to_degrees();
                            if deg > 90.0 {
                                deg -= 180.0; // kept upright when the arrow points left
                            }
                            let deg = (deg * 10.0).round() / 10.0;
                            let l = label(mx, my - 7.0, text_class, &text, &full)
                                .set("text-anchor", "middle")
                                .set("transform", format!("rotate({deg} {mx} {my})"));
                            labels.append(l);
                        }
                    }
                    None => {
                        let text = signal_text(*signal, payload);
                        let target = x_of.get(to).copied();
                        let dir = match target {
                            Some(tx) if tx < cx => -1.0,
                            _ => 1.0,
                        };
                        let (ex, ey) = (cx + dir * COL_W * 0.45, yi + ROW_H * 0.5);
                        let lx = if dir < 0.0 { ex - 8.0 } else { ex + 8.0 };
                        let anchor = if dir < 0.0 { "end" } else { "start" };
                        if target.is_some() {
                            // Nothing delivered it to a process we saw: lost, or on its way when the trace stopped.
                            let full = format!("undelivered: {} → {}: {text}", short_pid(p), short_pid(*to));
                            let mut a = line(cx, yi, ex, ey, &format!("{class} lost"));
                            a.append(Title::new(clean(&cut(&full, TITLE_MAX))));
                            arrows.append(a);
                            glyphs.append(cross(ex, ey, 4.0, "lostx", &full));
                            let shown = format!("undelivered: {text}");
                            labels.append(label(lx, ey + 4.0, "lbl fail", &shown, &full).set("text-anchor", anchor));
                        } else {
                            // To a process this trace has no line for (a node not traced).
                            let full = format!("{} → {} (not traced): {text}", short_pid(p), short_pid(*to));
                            let mut a =
                                line(cx, yi, ex, ey, &format!("{class} untraced")).set("marker-end", head(fail));
                            a.append(Title::new(clean(&cut(&full, TITLE_MAX))));
                            arrows.append(a);
                            let shown = format!("→ {}: {text}", short_pid(*to));
                            labels.append(label(lx, ey + 4.0, text_class, &shown, &full).set("text-anchor", anchor));
                        }
                    }
                }
            }
            EventKind::Deliver { from, signal, payload, effect, via_node } => {
                let cause = t.cause[i].filter(|&c| c >= first);
                if cause.is_some_and(|c| matches!(t.events[c].kind, EventKind::Send { .. })) {
                    continue; // drawn with its send
                }
                let fail = failing(*signal, payload) || matches!(effect, Effect::Died | Effect::Killed);
                let text = arrow_text(*signal, payload, Some(*effect));
                let text_class = if fail { "lbl fail" } else { "lbl" };
                if let Some(node) = via_node {
                    // Made here when the connection was lost: from the nodedown, if in view.
                    let (sx, sy) = match cause {
                        Some(c) => (band_of(e.node).map_or(cx - 40.0, |b| b.x + 6.0), y(c)),
                        None => (cx - 40.0, yi - ROW_H * 0.6),
                    };
                    // A signal of the run like any other (no process sent it: the
                    // lost connection stands for the far side), so one arrow.
                    let mut c = Path::new()
                        .set("d", format!("M{sx},{sy} L{cx},{yi}"))
                        .set("class", format!("arrow {} noconnection", signal_name(*signal)))
                        .set("marker-end", head(true));
                    c.append(Title::new(clean(&full)));
                    arrows.append(c);
                    let shown = format!("{text} ({})", node.as_str());
                    labels.append(label(cx + 8.0, yi + 4.0, text_class, &shown, &full));
                } else {
                    // Its send is not in view: from outside any process, or before the window.
                    let mut c = Path::new()
                        .set("d", format!("M{},{} L{cx},{yi}", cx - 36.0, yi - 10.0))
                        .set("class", "incoming")
                        .set("marker-end", head(fail));
                    c.append(Title::new(clean(&full)));
                    arrows.append(c);
                    let who = from.map_or_else(|| "outside".to_string(), short_pid);
                    labels.append(label(cx + 8.0, yi + 4.0, text_class, &format!("{text} (from {who})"), &full));
                }
            }
            EventKind::Born { .. } => {
                let mut c = Circle::new().set("cx", cx).set("cy", yi).set("r", 4.5).set("class", "born");
                c.append(Title::new(clean(&full)));
                glyphs.append(c);
                if let Some(c) = t.cause[i].filter(|&c| c >= first) {
                    if let Some(px) = t.events[c].pid.and_then(|q| x_of.get(&q).copied()) {
                        arrows.append(line(px, y(c), cx, yi - 4.5, "spawnline"));
                    }
                }
            }
            EventKind::Spawn { .. } | EventKind::SpawnRequest { .. } => {
                glyphs.append(Circle::new().set("cx", cx).set("cy", yi).set("r", 2.5).set("class", "spawn"));
                labels.append(label(cx + 7.0, yi + 4.0, "lbl dim", &full, &full));
            }
            EventKind::Receive { .. } => {
                let mut l = line(cx - 5.0, yi, cx + 5.0, yi, "recv");
                l.append(Title::new(clean(&cut(&full, TITLE_MAX))));
                glyphs.append(l);
            }
            EventKind::End { reason } => {
                let fail = !is_normal(reason);
                glyphs.append(cross(cx, yi, 5.0, if fail { "death failure" } else { "death" }, &full));
                let class = if fail { "lbl fail" } else { "lbl dim" };
                labels.append(label(cx + 9.0, yi + 4.0, class, &format!("end {}", inspect(reason)), &full));
            }
            EventKind::Crash { reason, .. } => {
                glyphs.append(Circle::new().set("cx", cx).set("cy", yi).set("r", 3.5).set("class", "crash"));
                labels.append(label(cx + 8.0, yi + 4.0, "lbl fail", &format!("crash {}", inspect(reason)), &full));
            }
            EventKind::Register { .. } | EventKind::Unregister { .. } => {
                labels.append(label(cx + 6.0, yi + 4.0, "lbl dim", &full, &full));
            }
            EventKind::NodeUp { .. } | EventKind::NodeDown { .. } | EventKind::Net { .. } => {
                labels.append(label(cx + 6.0, yi + 4.0, "lbl dim", &full, &full));
            }
            // A supervisor's restart or give-up, a call's timeout: news.
            EventKind::Report { text } => {
                labels.append(label(cx + 6.0, yi + 4.0, "lbl fail", &cut(text, TITLE_MAX), &full));
            }
        }
    }

    let doc = Document::new()
        .set("width", width)
        .set("height", height)
        .set("viewBox", (0, 0, width, height))
        .add(Title::new("Snow trace"))
        .add(Style::new(CSS))
        .add(Definitions::new().add(arrowhead("head", "#37474f")).add(arrowhead("head-fail", "#c62828")))
        .add(Rectangle::new().set("x", 0).set("y", 0).set("width", width).set("height", height).set("fill", "#fff"))
        .add(background)
        .add(shading)
        .add(lives)
        .add(markers)
        .add(arrows)
        .add(glyphs)
        .add(labels);
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{doc}\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::export::tests::{at, sample};
    use snow_runtime::Term;

    /// Checks the document is well-formed XML as far as a diagram needs: tags nest and close, and
    /// text and attributes hold only well-formed entities.
    fn check_xml(doc: &str) {
        let mut stack: Vec<&str> = Vec::new();
        let mut rest = doc;
        let mut roots = 0;
        let entities = |s: &str| {
            let mut parts = s.split('&');
            parts.next();
            for p in parts {
                let Some((ent, _)) = p.split_once(';') else { panic!("a bare & in {s:?}") };
                let ok = matches!(ent, "amp" | "lt" | "gt" | "quot" | "apos")
                    || ent.strip_prefix("#x").is_some_and(|h| u32::from_str_radix(h, 16).is_ok())
                    || ent.strip_prefix('#').is_some_and(|d| d.parse::<u32>().is_ok());
                assert!(ok, "bad entity &{ent}; in {s:?}");
            }
            assert!(!s.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')), "control char in {s:?}");
        };
        while let Some(lt) = rest.find('<') {
            let text = &rest[..lt];
            assert!(!text.contains('>'), "a raw > in text {text:?}");
            entities(text);
            if !text.trim().is_empty() {
                assert!(!stack.is_empty(), "text outside the root: {text:?}");
            }
            rest = &rest[lt..];
            if let Some(r) = rest.strip_prefix("<?") {
                let end = r.find("?>").expect("closed declaration");
                rest = &r[end + 2..];
                continue;
            }
            let gt = rest.find('>').expect("closed tag");
            let tag = &rest[1..gt];
            rest = &rest[gt + 1..];
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(stack.pop(), Some(name.trim()), "close tag </{name}> does not match");
                continue;
            }
            let self_closing = tag.ends_with('/');
            let tag = tag.trim_end_matches('/');
            let (name, mut attrs) = tag.split_once(' ').unwrap_or((tag, ""));
            assert!(!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == ':'), "tag {name:?}");
            // Attributes: name="value" pairs, values without a raw < or ".
            loop {
                attrs = attrs.trim_start();
                if attrs.is_empty() {
                    break;
                }
                let (k, v) = attrs.split_once("=\"").unwrap_or_else(|| panic!("attribute in <{tag}>"));
                assert!(k.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ':'), "attribute name {k:?}");
                let end = v.find('"').expect("closed attribute value");
                assert!(!v[..end].contains('<'), "< in an attribute");
                entities(&v[..end]);
                attrs = &v[end + 1..];
            }
            if stack.is_empty() {
                roots += 1;
            }
            if !self_closing {
                stack.push(name);
            }
        }
        assert!(rest.trim().is_empty(), "text after the root");
        assert!(stack.is_empty(), "unclosed: {stack:?}");
        assert_eq!(roots, 1, "one root element");
    }

    /// Signals of the run: every send, and every delivery a lost connection made.
    fn sends(t: &Timeline) -> usize {
        t.events
            .iter()
            .filter(|e| matches!(e.kind, EventKind::Send { .. } | EventKind::Deliver { via_node: Some(_), .. }))
            .count()
    }

    /// The number (of a numeric attribute) in an element's text.
    fn attr(element: &str, name: &str) -> f64 {
        let key = format!(" {name}=\"");
        let at = element.find(&key).unwrap_or_else(|| panic!("no {name} in {element}")) + key.len();
        let end = element[at..].find('"').expect("closed") + at;
        element[at..end].parse().expect("a number")
    }

    #[test]
    fn the_diagram_is_well_formed_with_one_arrow_per_signal() {
        let t = sample();
        let doc = render(&t);
        check_xml(&doc);
        assert_eq!(doc.matches("class=\"arrow").count(), sends(&t), "{doc}");
        assert_eq!(doc.matches("class=\"arrow message").count(), 2);
        assert_eq!(doc.matches("class=\"arrow exit failure").count(), 1);
        assert_eq!(doc.matches("class=\"arrow monitor").count(), 1);
        assert_eq!(doc.matches("class=\"arrow link").count(), 1);
        assert_eq!(doc.matches("class=\"arrow message lost").count(), 1);
        assert!(doc.contains("undelivered: :lost_one"), "{doc}");
        // Reasons, as labels.
        for reason in [":boom", ":noconnection", ":killed", ":net_tick_timeout"] {
            assert!(doc.contains(reason), "{reason} missing");
        }
        assert!(doc.contains("exit :boom (trapped)"));
        assert!(doc.contains("DOWN :noconnection"));
        // Names: nodes, a registered process, a plain pid.
        for name in ["a@h", "b@h", "worker", "&lt;0.84.0&gt;"] {
            assert!(doc.contains(name), "{name} missing");
        }
        // The awkward message is escaped, never raw.
        assert!(doc.contains("\\&quot;q\\&quot; &lt;&amp;&gt;") || doc.contains("\\\"q\\\" &lt;&amp;&gt;"), "{doc}");
        assert!(doc.contains("width=\"") && doc.contains("height=\"") && doc.contains("viewBox=\""));
    }

    #[test]
    fn a_partition_is_shaded_until_its_heal() {
        let t = sample();
        let doc = render(&t);
        let row = |i: usize| {
            let notes = 1.0;
            MARGIN + notes * NOTE_H + HEAD_H + i as f64 * ROW_H + ROW_H / 2.0
        };
        let net = |w: &str| {
            t.events.iter().position(|e| matches!(&e.kind, EventKind::Net { what } if what.starts_with(w)))
        };
        let (p, h) = (net("partition"), net("heal"));
        let (p, h) = (p.expect("partition"), h.expect("heal"));
        assert!(p < h);
        let at = doc.find("class=\"partition\"").expect("a shaded span");
        let start = doc[..at].rfind('<').expect("its element");
        let rect = &doc[start..start + doc[start..].find('>').expect("closed")];
        let (y, height) = (attr(rect, "y"), attr(rect, "height"));
        assert_eq!(y, row(p) - ROW_H / 2.0, "{rect}");
        assert_eq!(y + height, row(h) + ROW_H / 2.0, "{rect}");
        assert_eq!(doc.matches("class=\"partition\"").count(), 1);
        assert!(doc.contains("partition [a@h] | [b@h]"));
    }

    #[test]
    fn an_unhealed_cut_is_shaded_to_the_end_and_partial_heals_match_their_cut() {
        let a = Pid::local(1, 0);
        let net = |seq, what: &str| at("a@h", None, seq, EventKind::Net { what: what.into() });
        let events = vec![
            at("a@h", Some(a), 1, EventKind::Born { parent: None }),
            net(2, "cut a@h -> b@h"),
            net(3, "cut a@h -> c@h"),
            net(4, "heal a@h <-> c@h"),
            at("a@h", Some(a), 5, EventKind::End { reason: Term::atom("normal") }),
        ];
        let t = Timeline::build(events, 0);
        let spans = partitions(&t);
        let find = |w: &str| t.events.iter().position(|e| matches!(&e.kind, EventKind::Net { what } if what == w));
        let (to_b, to_c, heal) = (find("cut a@h -> b@h"), find("cut a@h -> c@h"), find("heal a@h <-> c@h"));
        assert_eq!(spans.len(), 2);
        assert!(spans.contains(&(to_c.expect("cut c"), heal, "cut a@h -> c@h".to_string())), "{spans:?}");
        assert!(spans.contains(&(to_b.expect("cut b"), None, "cut a@h -> b@h".to_string())), "{spans:?}");
        let doc = render(&t);
        check_xml(&doc);
        assert_eq!(doc.matches("class=\"partition\"").count(), 2);
        assert_eq!(doc.matches("class=\"arrow").count(), 0);
    }

    #[test]
    fn a_long_trace_shows_its_last_rows_and_says_so() {
        let a = Pid::local(1, 0);
        let b = Pid::local(2, 0);
        let mut events = Vec::new();
        let mut seq = 0;
        let mut next = || {
            seq += 1;
            seq
        };
        for m in 0..5_100i64 {
            let k = EventKind::Send { to: b, signal: SignalKind::Message, payload: Term::Int(m), to_name: None };
            events.push(at("a@h", Some(a), next(), k));
            let k = EventKind::Deliver {
                from: Some(a),
                signal: SignalKind::Message,
                payload: Term::Int(m),
                effect: Effect::Queued,
                via_node: None,
            };
            events.push(at("a@h", Some(b), next(), k));
        }
        let t = Timeline::build(events, 3);
        let doc = render(&t);
        assert!(doc.contains("showing the last 10000 of 10200 events"));
        assert!(doc.contains("3 older events were dropped"));
        let shown = t.events[t.events.len() - MAX_EVENTS..].iter().filter(|e| matches!(e.kind, EventKind::Send { .. }));
        assert_eq!(doc.matches("class=\"arrow").count(), shown.count());
        check_xml(&doc);
    }

    #[test]
    fn an_empty_trace_is_still_a_document() {
        let doc = render(&Timeline::build(Vec::new(), 0));
        check_xml(&doc);
        assert!(doc.contains("trace: 0 events"));
    }

    #[test]
    fn rsvg_convert_renders_it() {
        let found = std::process::Command::new("rsvg-convert").arg("--version").output();
        if !found.is_ok_and(|o| o.status.success()) {
            println!("rsvg-convert is not on PATH: the SVG was not rendered (apt-get install librsvg2-bin)");
            return;
        }
        // Left in place so a person can look at it.
        let dir = std::env::temp_dir().join("snow-trace-svg-test");
        std::fs::create_dir_all(&dir).expect("a temp dir");
        let (svg_file, png_file) = (dir.join("sample.svg"), dir.join("sample.png"));
        std::fs::write(&svg_file, render(&sample())).expect("written");
        let out = std::process::Command::new("rsvg-convert").arg("-o").arg(&png_file).arg(&svg_file).output();
        let out = out.expect("rsvg-convert runs");
        assert!(out.status.success(), "rsvg-convert failed: {}", String::from_utf8_lossy(&out.stderr));
        assert!(std::fs::metadata(&png_file).is_ok_and(|m| m.len() > 0));
        println!("rendered {}", png_file.display());
    }
}
