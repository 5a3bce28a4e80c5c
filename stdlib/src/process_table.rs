//! Every live process as a table — pid, registered name, status, message
//! queue length, links and monitors — so that a user can see the links and
//! monitors they wired before they kill something: `i()`, and `:processes`
//! at the REPL.

use snow_runtime::inspect::inspect;
use snow_runtime::{Pid, Runtime, Term};

/// The table, one process a line; `me` (the shell, the caller) is marked
/// with its label when it has no name.
pub fn table(rt: &Runtime, me: Pid, label: &str) -> String {
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut labelled = false;
    for pid in rt.processes() {
        let Some(info) = rt.info(pid) else { continue };
        let name = match (info.registered_name, pid == me) {
            (Some(n), _) => inspect(&Term::Atom(n)),
            (None, true) => label.to_string(),
            (None, false) => "-".into(),
        };
        labelled |= info.label.is_some();
        rows.push(vec![
            inspect(&Term::Pid(pid)),
            name,
            info.label.as_ref().map_or_else(|| "-".into(), snow_runtime::inspect::describe_label),
            info.status.as_str().to_string(),
            info.message_queue_len.to_string(),
            pids(&info.links),
            pids(&info.monitors),
        ]);
    }
    let n = rows.len();
    let mut head = vec!["PID", "NAME", "WHAT", "STATUS", "QUEUE", "LINKS", "MONITORS"];
    if !labelled {
        // Only services and supervisors say what they are: no column for nobody.
        head.remove(2);
        rows.iter_mut().for_each(|r| drop(r.remove(2)));
    }
    rows.insert(0, head.into_iter().map(String::from).collect());
    let mut out = crate::table::render(&rows);
    out.push('\n');
    out.push_str(&format!("{n} process{}", if n == 1 { "" } else { "es" }));
    out
}

fn pids(v: &[Pid]) -> String {
    if v.is_empty() {
        return "-".into();
    }
    v.iter().map(|p| inspect(&Term::Pid(*p))).collect::<Vec<_>>().join(" ")
}
