//! Every live process as a table — pid, registered name, status, message
//! queue length, links and monitors — so that a user can see the links and
//! monitors they wired before they kill something: `i()`, and `:processes`
//! at the REPL.

use snow_runtime::inspect::inspect;
use snow_runtime::{Pid, Runtime, Term};

/// The table, one process a line; `me` (the shell, the caller) is marked
/// with its label when it has no name.
pub fn table(rt: &Runtime, me: Pid, label: &str) -> String {
    let mut rows: Vec<[String; 6]> = vec![[
        "PID".into(),
        "NAME".into(),
        "STATUS".into(),
        "QUEUE".into(),
        "LINKS".into(),
        "MONITORS".into(),
    ]];
    for pid in rt.processes() {
        let Some(info) = rt.info(pid) else { continue };
        let name = match (info.registered_name, pid == me) {
            (Some(n), _) => inspect(&Term::Atom(n)),
            (None, true) => label.to_string(),
            (None, false) => "-".into(),
        };
        rows.push([
            inspect(&Term::Pid(pid)),
            name,
            info.status.as_str().to_string(),
            info.message_queue_len.to_string(),
            pids(&info.links),
            pids(&info.monitors),
        ]);
    }
    let mut out = crate::table::render(&rows.iter().map(|r| r.to_vec()).collect::<Vec<_>>());
    out.push('\n');
    let n = rows.len() - 1;
    out.push_str(&format!("{n} process{}", if n == 1 { "" } else { "es" }));
    out
}

fn pids(v: &[Pid]) -> String {
    if v.is_empty() {
        return "-".into();
    }
    v.iter().map(|p| inspect(&Term::Pid(*p))).collect::<Vec<_>>().join(" ")
}
