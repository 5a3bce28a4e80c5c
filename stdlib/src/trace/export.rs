//! A recorded trace as files other tools read: JSON lines (one event a line) and ShiViz's vector-clock log.

use rustc_hash::FxHashMap;
use snow_runtime::inspect::inspect;
use snow_runtime::trace::{signal_name, EventKind, Line, Timeline, TraceEvent};
use snow_runtime::{Pid, SignalKind, Term};
use std::fmt::Write;

/// ShiViz's default parser: the event's text on one line, then `host {clock}` on the next.
pub const SHIVIZ_REGEX: &str = r"(?<event>.*)\n(?<host>\S*) (?<clock>{.*})";

/// A pid as the trace shows it: `<0.84.0>`.
pub(crate) fn short_pid(p: Pid) -> String {
    format!("<{}.{}.{}>", p.node, p.id, p.serial)
}

/// The reason inside a DOWN signal's payload (the `(:down, ref, who, reason)` it becomes), or the
/// payload itself when it is not that tuple.
pub(crate) fn down_reason(payload: &Term) -> &Term {
    match payload {
        Term::Tuple(t) if t.len() == 4 && t[0].as_atom().is_some_and(|a| a.as_str() == "down") => &t[3],
        other => other,
    }
}

/// Whether a reason is `:normal`.
pub(crate) fn is_normal(reason: &Term) -> bool {
    reason.as_atom().is_some_and(|a| a.as_str() == "normal")
}

/// What a signal says, in a word or two: the message, `exit :boom`, `DOWN :noconnection`, `link`.
pub(crate) fn signal_text(signal: SignalKind, payload: &Term) -> String {
    match signal {
        SignalKind::Message => inspect(payload),
        SignalKind::Exit => format!("exit {}", inspect(payload)),
        SignalKind::Down => format!("DOWN {}", inspect(down_reason(payload))),
        other => signal_name(other).to_string(),
    }
}

/// One line of plain text saying what an event was (ShiViz's event line, the SVG's tooltips).
pub(crate) fn describe(e: &TraceEvent) -> String {
    let text = match &e.kind {
        EventKind::Spawn { child, link, monitor } => {
            let how = match (link, monitor) {
                (true, true) => " (link, monitor)",
                (true, false) => " (link)",
                (false, true) => " (monitor)",
                _ => "",
            };
            format!("spawn {}{how}", short_pid(*child))
        }
        EventKind::SpawnRequest { node, .. } => format!("spawn on {}", node.as_str()),
        EventKind::Born { parent: Some(p) } => format!("born (parent {})", short_pid(*p)),
        EventKind::Born { parent: None } => "born".to_string(),
        EventKind::Send { to, signal, payload, .. } => {
            format!("send {} to {}", signal_text(*signal, payload), short_pid(*to))
        }
        EventKind::Deliver { from, signal, payload, effect, via_node } => {
            let from = from.map_or_else(|| "outside".to_string(), short_pid);
            let via = via_node.map_or_else(String::new, |n| format!(", connection to {} lost", n.as_str()));
            format!("deliver {} from {from} ({}{via})", signal_text(*signal, payload), effect.as_str())
        }
        EventKind::Receive { msg } => format!("receive {}", inspect(msg)),
        EventKind::End { reason } => format!("end {}", inspect(reason)),
        EventKind::Crash { reason, place } if place.is_empty() => format!("crash {}", inspect(reason)),
        EventKind::Crash { reason, place } => format!("crash {} at {place}", inspect(reason)),
        EventKind::Register { name } => format!("register :{}", name.as_str()),
        EventKind::Unregister { name } => format!("unregister :{}", name.as_str()),
        EventKind::NodeUp { peer } => format!("nodeup {}", peer.as_str()),
        EventKind::NodeDown { peer, reason, silent_ms } => {
            let silent = silent_ms.map_or_else(String::new, |ms| format!(" (silent {ms} ms)"));
            format!("nodedown {} {}{silent}", peer.as_str(), inspect(reason))
        }
        EventKind::Net { what } => format!("net {what}"),
        EventKind::Report { text } => format!("report {text}"),
    };
    // One line whatever a term prints as.
    text.replace(['\n', '\r'], " ")
}

/// Appends `s` as a JSON string (quotes included).
fn json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A flat JSON object written key by key.
struct Obj {
    out: String,
    empty: bool,
}

impl Obj {
    fn new() -> Obj {
        Obj { out: String::from("{"), empty: true }
    }

    fn key(&mut self, k: &str) -> &mut String {
        if !self.empty {
            self.out.push(',');
        }
        self.empty = false;
        json_str(&mut self.out, k);
        self.out.push(':');
        &mut self.out
    }

    fn str(&mut self, k: &str, v: &str) {
        json_str(self.key(k), v);
    }

    fn opt_str(&mut self, k: &str, v: Option<&str>) {
        match v {
            Some(v) => self.str(k, v),
            None => self.key(k).push_str("null"),
        }
    }

    fn num(&mut self, k: &str, v: u64) {
        let _ = write!(self.key(k), "{v}");
    }

    fn opt_num(&mut self, k: &str, v: Option<u64>) {
        match v {
            Some(v) => self.num(k, v),
            None => self.key(k).push_str("null"),
        }
    }

    fn bool(&mut self, k: &str, v: bool) {
        self.key(k).push_str(if v { "true" } else { "false" });
    }

    fn pid(&mut self, k: &str, p: Option<Pid>) {
        self.opt_str(k, p.map(short_pid).as_deref());
    }

    fn term(&mut self, k: &str, t: &Term) {
        self.str(k, &inspect(t));
    }

    fn finish(mut self) -> String {
        self.out.push('}');
        self.out
    }
}

/// The key a signal's payload goes under, as `TraceEvent::to_term` names it.
fn payload_key(k: SignalKind) -> &'static str {
    match k {
        SignalKind::Exit => "reason",
        SignalKind::Monitor | SignalKind::Demonitor => "ref",
        _ => "msg",
    }
}

/// One JSON object per event, one a line, in causal order: the fields of `TraceEvent::to_term`
/// (pids as `<0.84.0>`, atoms as their names, other terms as `inspect` prints them) plus `cause`,
/// the line number from 0 of the event on another line that caused this one.
pub fn json_lines(t: &Timeline) -> String {
    let mut out = String::new();
    for (i, e) in t.events.iter().enumerate() {
        let mut o = Obj::new();
        o.str("kind", e.kind.name());
        o.str("node", e.node.as_str());
        o.pid("pid", e.pid);
        o.opt_str("name", e.name.map(|a| a.as_str()));
        o.num("at_us", e.wall_us);
        o.num("seq", e.seq);
        o.num("lamport", e.lamport);
        match &e.kind {
            EventKind::Spawn { child, link, monitor } => {
                o.pid("child", Some(*child));
                o.bool("link", *link);
                o.bool("monitor", *monitor);
            }
            EventKind::SpawnRequest { node, link, monitor } => {
                o.str("to_node", node.as_str());
                o.bool("link", *link);
                o.bool("monitor", *monitor);
            }
            EventKind::Born { parent } => o.pid("parent", *parent),
            EventKind::Send { to, signal, payload, .. } => {
                o.pid("to", Some(*to));
                o.str("signal", signal_name(*signal));
                o.term(payload_key(*signal), payload);
            }
            EventKind::Deliver { from, signal, payload, effect, via_node } => {
                o.pid("from", *from);
                o.str("signal", signal_name(*signal));
                o.term(payload_key(*signal), payload);
                o.str("effect", effect.as_str());
                o.opt_str("via_node", via_node.map(|a| a.as_str()));
            }
            EventKind::Receive { msg } => o.term("msg", msg),
            EventKind::End { reason } => o.term("reason", reason),
            EventKind::Crash { reason, place } => {
                o.term("reason", reason);
                o.str("where", place);
            }
            EventKind::Register { .. } | EventKind::Unregister { .. } => {}
            EventKind::NodeUp { peer } => o.str("peer", peer.as_str()),
            EventKind::NodeDown { peer, reason, silent_ms } => {
                o.str("peer", peer.as_str());
                o.term("reason", reason);
                o.opt_num("silent_ms", *silent_ms);
            }
            EventKind::Net { what } => o.str("what", what),
            EventKind::Report { text } => o.str("text", text),
        }
        o.opt_num("cause", t.cause.get(i).copied().flatten().map(|c| c as u64));
        out.push_str(&o.finish());
        out.push('\n');
    }
    out
}

/// ShiViz's name for each line: `node/<0.84.0>`, or `node/name` when that registered name belongs
/// to one process of the trace; the node's own name for the node's line. No spaces: ShiViz's
/// parser reads the host as `\S*`.
fn shiviz_hosts(t: &Timeline) -> (Vec<String>, FxHashMap<Line, usize>) {
    let mut names: FxHashMap<Pid, snow_runtime::Atom> = FxHashMap::default();
    let mut owners: FxHashMap<snow_runtime::Atom, Vec<Pid>> = FxHashMap::default();
    for e in &t.events {
        if let (Some(p), Some(n)) = (e.pid, e.name) {
            if let std::collections::hash_map::Entry::Vacant(v) = names.entry(p) {
                v.insert(n);
                owners.entry(n).or_default().push(p);
            }
        }
    }
    let mut hosts = Vec::new();
    let mut index = FxHashMap::default();
    for e in &t.events {
        let line = e.line();
        if index.contains_key(&line) {
            continue;
        }
        let host = match line {
            Line::Node(n) => n.as_str().to_string(),
            Line::Process(p) => match names.get(&p) {
                Some(n) if owners.get(n).is_some_and(|o| o.len() == 1) => format!("{}/{}", e.node.as_str(), n.as_str()),
                _ => format!("{}/{}", e.node.as_str(), short_pid(p)),
            },
        };
        let host: String = host.chars().map(|c| if c.is_whitespace() || c.is_control() { '_' } else { c }).collect();
        index.insert(line, hosts.len());
        hosts.push(host);
    }
    (hosts, index)
}

/// A vector clock: (host, count) pairs sorted by host, zeros left out.
type Clock = Vec<(usize, u64)>;

/// The element-wise max of two clocks.
fn merge(a: &Clock, b: &Clock) -> Clock {
    let mut out = Vec::with_capacity(a.len().max(b.len()));
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        match (a.get(i), b.get(j)) {
            (Some(&(ha, va)), Some(&(hb, vb))) if ha == hb => {
                out.push((ha, va.max(vb)));
                i += 1;
                j += 1;
            }
            (Some(&(ha, va)), Some(&(hb, _))) if ha < hb => {
                out.push((ha, va));
                i += 1;
            }
            (Some(_), Some(&(hb, vb))) | (None, Some(&(hb, vb))) => {
                out.push((hb, vb));
                j += 1;
            }
            (Some(&(ha, va)), None) => {
                out.push((ha, va));
                i += 1;
            }
            (None, None) => break,
        }
    }
    out
}

/// The trace as a ShiViz log (https://bestchai.bitbucket.io/shiviz/, "upload a file"): the parser
/// regex, an empty multiple-executions delimiter, then per event its description and
/// `host {"host":n,...}`. The vector clocks are computed here: a line's own entry counts its events
/// from 1, and an event with a cause on another line (a delivery, a birth, a `:noconnection`) first
/// takes the element-wise max with its cause's clock.
pub fn shiviz(t: &Timeline) -> String {
    let (hosts, index) = shiviz_hosts(t);
    let n = t.events.len();
    // Only a cause's clock is needed again later: keep just those.
    let mut is_cause = vec![false; n];
    for c in t.cause.iter().flatten() {
        if *c < n {
            is_cause[*c] = true;
        }
    }
    let mut saved: FxHashMap<usize, Clock> = FxHashMap::default();
    let mut current: Vec<Clock> = vec![Vec::new(); hosts.len()];
    let mut out = String::new();
    out.push_str(SHIVIZ_REGEX);
    out.push_str("\n\n");
    for (i, e) in t.events.iter().enumerate() {
        let h = index[&e.line()];
        let mut clock = std::mem::take(&mut current[h]);
        // A cause is always earlier in causal order; anything else would be a wrong match.
        if let Some(c) = t.cause.get(i).copied().flatten().filter(|&c| c < i) {
            if let Some(theirs) = saved.get(&c) {
                clock = merge(&clock, theirs);
            }
        }
        match clock.binary_search_by_key(&h, |&(host, _)| host) {
            Ok(k) => clock[k].1 += 1,
            Err(k) => clock.insert(k, (h, 1)),
        }
        out.push_str(&describe(e));
        out.push('\n');
        out.push_str(&hosts[h]);
        out.push_str(" {");
        for (k, &(host, v)) in clock.iter().enumerate() {
            if k > 0 {
                out.push(',');
            }
            json_str(&mut out, &hosts[host]);
            let _ = write!(out, ":{v}");
        }
        out.push_str("}\n");
        if is_cause[i] {
            saved.insert(i, clock.clone());
        }
        current[h] = clock;
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use snow_runtime::trace::Effect;
    use snow_runtime::Atom;

    pub(crate) fn at(node: &str, pid: Option<Pid>, seq: u64, kind: EventKind) -> TraceEvent {
        TraceEvent { node: Atom::new(node), pid, name: None, wall_us: 1_000 + seq, seq, epoch: 0, lamport: 0, kind }
    }

    pub(crate) fn send(to: Pid, signal: SignalKind, payload: Term) -> EventKind {
        EventKind::Send { to, signal, payload, to_name: None }
    }

    pub(crate) fn deliver(from: Pid, signal: SignalKind, payload: Term, effect: Effect) -> EventKind {
        EventKind::Deliver { from: Some(from), signal, payload, effect, via_node: None }
    }

    /// A message that needs escaping everywhere.
    fn ping() -> Term {
        Term::tuple(vec![Term::atom("ping"), Term::str("a \"q\" <&>\n")])
    }

    /// Two nodes: a spawns b's worker over there, pings it, the worker crashes, a partition
    /// leaves a's monitor with a DOWN :noconnection, and one send is lost on the way.
    pub(crate) fn sample() -> Timeline {
        let a = Pid::local(84, 0);
        let w = Pid { node: 1, id: 90, serial: 0, creation: 0 };
        let c = Pid::local(85, 0);
        let (na, nb) = ("a@h", "b@h");
        let mut born = at(nb, Some(w), 1, EventKind::Born { parent: Some(a) });
        born.name = None;
        let mut reg = at(nb, Some(w), 2, EventKind::Register { name: Atom::new("worker") });
        reg.name = Some(Atom::new("worker"));
        let named = |mut e: TraceEvent| {
            e.name = Some(Atom::new("worker"));
            e
        };
        let events = vec![
            at(na, Some(a), 1, EventKind::Born { parent: None }),
            at(na, Some(a), 2, EventKind::SpawnRequest { node: Atom::new(nb), link: false, monitor: false }),
            born,
            reg,
            at(na, Some(a), 3, send(w, SignalKind::Monitor, Term::Int(7))),
            named(at(nb, Some(w), 3, deliver(a, SignalKind::Monitor, Term::Int(7), Effect::Applied))),
            at(na, Some(a), 4, send(w, SignalKind::Message, ping())),
            named(at(
                nb,
                Some(w),
                4,
                deliver(a, SignalKind::Message, ping(), Effect::Queued),
            )),
            named(at(nb, Some(w), 5, EventKind::Receive { msg: Term::atom("ping") })),
            at(na, Some(a), 5, EventKind::Spawn { child: c, link: true, monitor: false }),
            at(na, Some(c), 6, EventKind::Born { parent: Some(a) }),
            at(na, Some(c), 7, send(a, SignalKind::Exit, Term::atom("boom"))),
            at(na, Some(c), 8, EventKind::Crash { reason: Term::atom("boom"), place: "x.snow:3".into() }),
            at(na, Some(c), 9, EventKind::End { reason: Term::atom("boom") }),
            at(na, Some(a), 10, deliver(c, SignalKind::Exit, Term::atom("boom"), Effect::Trapped)),
            at(na, None, 11, EventKind::Net { what: "partition [a@h] | [b@h]".into() }),
            at(na, Some(a), 12, send(w, SignalKind::Message, Term::atom("lost_one"))),
            at(
                na,
                None,
                13,
                EventKind::NodeDown {
                    peer: Atom::new(nb),
                    reason: Term::atom("net_tick_timeout"),
                    silent_ms: Some(4000),
                },
            ),
            at(
                na,
                Some(a),
                14,
                EventKind::Deliver {
                    from: Some(w),
                    signal: SignalKind::Down,
                    payload: Term::tuple(vec![
                        Term::atom("down"),
                        Term::Int(7),
                        Term::Pid(w),
                        Term::atom("noconnection"),
                    ]),
                    effect: Effect::Queued,
                    via_node: Some(Atom::new(nb)),
                },
            ),
            at(na, None, 15, EventKind::Net { what: "heal".into() }),
            at(na, None, 16, EventKind::NodeUp { peer: Atom::new(nb) }),
            named(at(nb, Some(w), 6, send(a, SignalKind::Link, Term::NIL_ATOM))),
            at(na, Some(a), 17, deliver(w, SignalKind::Link, Term::NIL_ATOM, Effect::Applied)),
            named(at(nb, Some(w), 7, EventKind::End { reason: Term::atom("killed") })),
        ];
        Timeline::build(events, 0)
    }

    /// A small JSON reader, enough to check that a line is one valid JSON value.
    pub(crate) struct Json<'a> {
        s: &'a [u8],
        i: usize,
    }

    #[derive(Debug, PartialEq)]
    pub(crate) enum J {
        Null,
        Bool(bool),
        Num(f64),
        Str(String),
        Arr(Vec<J>),
        Obj(Vec<(String, J)>),
    }

    impl J {
        pub(crate) fn get(&self, k: &str) -> Option<&J> {
            match self {
                J::Obj(kv) => kv.iter().find(|(key, _)| key == k).map(|(_, v)| v),
                _ => None,
            }
        }
    }

    impl<'a> Json<'a> {
        pub(crate) fn parse(s: &'a str) -> Result<J, String> {
            let mut p = Json { s: s.as_bytes(), i: 0 };
            let v = p.value()?;
            p.ws();
            if p.i != p.s.len() {
                return Err(format!("trailing text at {}", p.i));
            }
            Ok(v)
        }

        fn ws(&mut self) {
            while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r') {
                self.i += 1;
            }
        }

        fn eat(&mut self, c: u8) -> Result<(), String> {
            self.ws();
            if self.s.get(self.i) == Some(&c) {
                self.i += 1;
                Ok(())
            } else {
                Err(format!("expected {:?} at {}", c as char, self.i))
            }
        }

        fn value(&mut self) -> Result<J, String> {
            self.ws();
            match self.s.get(self.i) {
                Some(b'{') => {
                    self.i += 1;
                    let mut kv = Vec::new();
                    self.ws();
                    if self.s.get(self.i) == Some(&b'}') {
                        self.i += 1;
                        return Ok(J::Obj(kv));
                    }
                    loop {
                        self.ws();
                        let k = self.string()?;
                        self.eat(b':')?;
                        kv.push((k, self.value()?));
                        self.ws();
                        match self.s.get(self.i) {
                            Some(b',') => self.i += 1,
                            Some(b'}') => {
                                self.i += 1;
                                return Ok(J::Obj(kv));
                            }
                            _ => return Err(format!("bad object at {}", self.i)),
                        }
                    }
                }
                Some(b'[') => {
                    self.i += 1;
                    let mut items = Vec::new();
                    self.ws();
                    if self.s.get(self.i) == Some(&b']') {
                        self.i += 1;
                        return Ok(J::Arr(items));
                    }
                    loop {
                        items.push(self.value()?);
                        self.ws();
                        match self.s.get(self.i) {
                            Some(b',') => self.i += 1,
                            Some(b']') => {
                                self.i += 1;
                                return Ok(J::Arr(items));
                            }
                            _ => return Err(format!("bad array at {}", self.i)),
                        }
                    }
                }
                Some(b'"') => Ok(J::Str(self.string()?)),
                Some(b't') if self.s[self.i..].starts_with(b"true") => {
                    self.i += 4;
                    Ok(J::Bool(true))
                }
                Some(b'f') if self.s[self.i..].starts_with(b"false") => {
                    self.i += 5;
                    Ok(J::Bool(false))
                }
                Some(b'n') if self.s[self.i..].starts_with(b"null") => {
                    self.i += 4;
                    Ok(J::Null)
                }
                Some(c) if *c == b'-' || c.is_ascii_digit() => {
                    let start = self.i;
                    self.i += 1;
                    let numeric = |c: u8| matches!(c, b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-');
                    while self.i < self.s.len() && numeric(self.s[self.i]) {
                        self.i += 1;
                    }
                    let text = std::str::from_utf8(&self.s[start..self.i]).map_err(|e| e.to_string())?;
                    text.parse().map(J::Num).map_err(|_| format!("bad number {text}"))
                }
                _ => Err(format!("unexpected input at {}", self.i)),
            }
        }

        fn string(&mut self) -> Result<String, String> {
            if self.s.get(self.i) != Some(&b'"') {
                return Err(format!("expected a string at {}", self.i));
            }
            self.i += 1;
            let mut out = Vec::new();
            loop {
                let Some(&c) = self.s.get(self.i) else { return Err("unterminated string".into()) };
                self.i += 1;
                match c {
                    b'"' => return String::from_utf8(out).map_err(|e| e.to_string()),
                    b'\\' => {
                        let Some(&esc) = self.s.get(self.i) else { return Err("bad escape".into()) };
                        self.i += 1;
                        match esc {
                            b'"' | b'\\' | b'/' => out.push(esc),
                            b'n' => out.push(b'\n'),
                            b'r' => out.push(b'\r'),
                            b't' => out.push(b'\t'),
                            b'b' => out.push(8),
                            b'f' => out.push(12),
                            b'u' => {
                                let hex = self.s.get(self.i..self.i + 4).ok_or("short \\u")?;
                                let hex = std::str::from_utf8(hex).map_err(|e| e.to_string())?;
                                let code = u32::from_str_radix(hex, 16).map_err(|e| e.to_string())?;
                                let ch = char::from_u32(code).ok_or("surrogate")?;
                                out.extend_from_slice(ch.to_string().as_bytes());
                                self.i += 4;
                            }
                            _ => return Err(format!("bad escape \\{}", esc as char)),
                        }
                    }
                    c if c < 0x20 => return Err(format!("raw control character at {}", self.i - 1)),
                    c => out.push(c),
                }
            }
        }
    }

    #[test]
    fn every_json_line_parses_and_says_what_happened() {
        let t = sample();
        let text = json_lines(&t);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), t.events.len());
        for (i, line) in lines.iter().enumerate() {
            let v = Json::parse(line).unwrap_or_else(|e| panic!("line {i} is not JSON ({e}): {line}"));
            assert_eq!(v.get("kind"), Some(&J::Str(t.events[i].kind.name().into())));
            assert_eq!(v.get("lamport"), Some(&J::Num(t.events[i].lamport as f64)));
            for k in ["node", "pid", "name", "at_us", "seq", "cause"] {
                assert!(v.get(k).is_some(), "line {i} has no {k}: {line}");
            }
            match t.cause[i] {
                Some(c) => assert_eq!(v.get("cause"), Some(&J::Num(c as f64))),
                None => assert_eq!(v.get("cause"), Some(&J::Null)),
            }
        }
        // The awkward message survives escaping, and the kinds' own fields are there.
        let sent = lines.iter().find(|l| l.contains("\"kind\":\"send\"") && l.contains("ping")).expect("the ping");
        let v = Json::parse(sent).expect("parses");
        assert_eq!(v.get("msg"), Some(&J::Str(inspect(&ping()))));
        assert_eq!(v.get("signal"), Some(&J::Str("message".into())));
        assert_eq!(v.get("to"), Some(&J::Str("<1.90.0>".into())));
        let down = lines.iter().find(|l| l.contains("\"kind\":\"nodedown\"")).expect("the nodedown");
        let v = Json::parse(down).expect("parses");
        assert_eq!(v.get("silent_ms"), Some(&J::Num(4000.0)));
        assert_eq!(v.get("reason"), Some(&J::Str(":net_tick_timeout".into())));
        assert_eq!(v.get("pid"), Some(&J::Null));
        let exit = lines.iter().find(|l| l.contains("\"kind\":\"deliver\"") && l.contains("\"exit\"")).expect("exit");
        let v = Json::parse(exit).expect("parses");
        assert_eq!(v.get("reason"), Some(&J::Str(":boom".into())));
        assert_eq!(v.get("effect"), Some(&J::Str("trapped".into())));
        assert_eq!(v.get("via_node"), Some(&J::Null));
    }

    #[test]
    fn json_strings_escape_quotes_backslashes_and_control_characters() {
        let mut s = String::new();
        json_str(&mut s, "a\"b\\c\nd\u{1}e\u{7f}é");
        assert_eq!(s, "\"a\\\"b\\\\c\\nd\\u0001e\u{7f}é\"");
        assert_eq!(Json::parse(&s), Ok(J::Str("a\"b\\c\nd\u{1}e\u{7f}é".into())));
    }

    /// One event of a ShiViz log: description, host, clock.
    type ShivizEvent = (String, String, Vec<(String, u64)>);

    /// Reads a ShiViz log back.
    fn read_shiviz(text: &str) -> Vec<ShivizEvent> {
        let lines: Vec<&str> = text.split('\n').collect();
        assert_eq!(lines[0], SHIVIZ_REGEX, "first line: the parser regex");
        assert_eq!(lines[1], "", "second line: no multiple-executions delimiter");
        let body = &lines[2..lines.len() - 1];
        assert_eq!(lines[lines.len() - 1], "", "ends with a newline");
        assert_eq!(body.len() % 2, 0);
        body.chunks(2)
            .map(|pair| {
                let (host, clock) = pair[1].split_once(' ').expect("host {clock}");
                assert!(!host.is_empty() && !host.contains(char::is_whitespace));
                let J::Obj(kv) = Json::parse(clock).expect("the clock is JSON") else { panic!("not an object") };
                let clock = kv
                    .into_iter()
                    .map(|(k, v)| match v {
                        J::Num(n) if n >= 1.0 && n.fract() == 0.0 => (k, n as u64),
                        other => panic!("bad clock entry {other:?}"),
                    })
                    .collect();
                (pair[0].to_string(), host.to_string(), clock)
            })
            .collect()
    }

    /// Checks what ShiViz checks: own entries 1, 2, 3, ... per host; every other entry names an
    /// event already seen, whose clock it includes; each event's clock includes its cause's.
    fn check_shiviz(t: &Timeline, text: &str) {
        let events = read_shiviz(text);
        assert_eq!(events.len(), t.events.len());
        let mut seen: FxHashMap<String, Vec<Vec<(String, u64)>>> = FxHashMap::default();
        let le = |a: &[(String, u64)], b: &[(String, u64)]| {
            a.iter().all(|(h, v)| b.iter().any(|(h2, v2)| h2 == h && v2 >= v))
        };
        for (i, (desc, host, clock)) in events.iter().enumerate() {
            assert!(!desc.contains('\n'));
            let own = clock.iter().find(|(h, _)| h == host).map(|(_, v)| *v);
            let before = seen.get(host).map_or(0, |v| v.len()) as u64;
            assert_eq!(own, Some(before + 1), "event {i} ({desc}) on {host}: own entry {own:?}");
            for (h, v) in clock.iter().filter(|(h, _)| h != host) {
                let theirs = seen.get(h).and_then(|c| c.get(*v as usize - 1));
                let theirs = theirs.unwrap_or_else(|| panic!("event {i} ({desc}) names {h}:{v}, not yet seen"));
                assert!(le(theirs, clock), "event {i} ({desc}) does not include the clock of {h}:{v}");
            }
            if let Some(c) = t.cause[i] {
                assert!(le(&events[c].2, clock), "event {i} ({desc}) does not include its cause's clock");
            }
            seen.entry(host.clone()).or_default().push(clock.clone());
        }
    }

    #[test]
    fn shiviz_vector_clocks_follow_shivizs_rules() {
        let t = sample();
        let text = shiviz(&t);
        check_shiviz(&t, &text);
        // The worker is named after its registered name, the node's line after the node.
        assert!(text.contains("\nb@h/worker {"), "{text}");
        assert!(text.contains("\na@h {"), "{text}");
        assert!(text.contains("\na@h/<0.84.0> {"), "{text}");
        // The delivery of the ping knows a's sending of it.
        let events = read_shiviz(&text);
        let d = events.iter().find(|(d, _, _)| d.starts_with("deliver (:ping")).expect("the ping's delivery");
        assert!(d.2.iter().any(|(h, v)| h == "a@h/<0.84.0>" && *v >= 3), "{:?}", d.2);
    }

    #[test]
    fn shiviz_of_nothing_is_just_the_header() {
        let t = Timeline::build(Vec::new(), 0);
        assert_eq!(shiviz(&t), format!("{SHIVIZ_REGEX}\n\n"));
        assert_eq!(json_lines(&t), "");
    }

    #[test]
    fn shiviz_clocks_hold_on_a_busy_random_exchange() {
        // Three processes on two nodes passing messages in a fixed pseudo-random pattern.
        let ps = [Pid::local(1, 0), Pid::local(2, 0), Pid { node: 1, id: 3, serial: 0, creation: 0 }];
        let node = |k: usize| if k == 2 { "b@h" } else { "a@h" };
        let mut seq = FxHashMap::default();
        let mut next = |n: &str| {
            let s = seq.entry(n.to_string()).or_insert(0u64);
            *s += 1;
            *s
        };
        let mut events = Vec::new();
        let mut x = 12345u64;
        for m in 0..60i64 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let from = (x >> 33) as usize % 3;
            let to = (from + 1 + (x >> 40) as usize % 2) % 3;
            let k = send(ps[to], SignalKind::Message, Term::Int(m));
            events.push(at(node(from), Some(ps[from]), next(node(from)), k));
            if m % 7 != 3 {
                let k = deliver(ps[from], SignalKind::Message, Term::Int(m), Effect::Queued);
                events.push(at(node(to), Some(ps[to]), next(node(to)), k));
            }
        }
        let t = Timeline::build(events, 0);
        check_shiviz(&t, &shiviz(&t));
    }
}
