//! The REPL without a terminal (`echo 'x' | snow`, a piped script): plain
//! line reading, the same prompts, commands and results, exit 0 at the end
//! of the input. It starts nothing it does not need: the session (stdlib,
//! runtime, shell process) is created by the first entry that runs code.

use super::commands::{self, Command};
use crate::node::Plan;
use crate::session::Session;
use std::io::{BufRead, Write};

const CONTINUE: &str = "...> ";

pub fn run(node: &Plan) -> i32 {
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut session: Option<Session> = None;
    if node.is_named() {
        let s = Session::new();
        if let Err(e) = node.start(s.runtime()) {
            eprintln!("snow: {e}");
            return 1;
        }
        session = Some(s);
    }
    let mut pending: Vec<String> = Vec::new();
    let mut bytes = Vec::new();
    loop {
        let main_prompt = super::prompt_for(session.as_ref().map(|s| s.runtime()));
        prompt(if pending.is_empty() { &main_prompt } else { CONTINUE });
        bytes.clear();
        match input.read_until(b'\n', &mut bytes) {
            Ok(0) => {
                if !pending.is_empty() {
                    eprintln!("\n** the input ended inside an unfinished entry");
                }
                return finish(0);
            }
            Ok(_) => {}
            Err(e) => {
                eprintln!("\nsnow: cannot read the input: {e}");
                return finish(1);
            }
        }
        let text = String::from_utf8_lossy(&bytes);
        let line = text.trim_end_matches(['\n', '\r']);
        if pending.is_empty() {
            let trimmed = line.trim();
            if trimmed.is_empty() {
                continue;
            }
            if let Some(msg) = commands::neither(trimmed) {
                eprintln!("{msg}");
                continue;
            }
            if let Some(command) = commands::parse(trimmed) {
                match command {
                    Command::Quit => return finish(0),
                    Command::Help => println!("{}", commands::HELP),
                    Command::Reset => {
                        if let Some(s) = session.as_mut() {
                            s.reset();
                        }
                        println!("bindings and definitions cleared");
                    }
                    Command::Load(file) => {
                        let s = session.get_or_insert_with(Session::new);
                        commands::show(commands::load(s, file), false);
                        report_restart(s);
                    }
                    Command::Watch(_) => println!("the live feed needs a terminal"),
                    Command::Processes => {
                        let s = session.get_or_insert_with(Session::new);
                        println!("{}", snow_stdlib::process_table::table(s.runtime(), s.shell_pid(), "(shell)"));
                    }
                    Command::Net => {
                        let s = session.get_or_insert_with(Session::new);
                        println!("{}", snow_stdlib::net::table(s.runtime()));
                    }
                    Command::Links(arg) => {
                        let s = session.get_or_insert_with(Session::new);
                        commands::links(s, arg, false);
                    }
                    Command::Trace(on) => commands::trace(session.get_or_insert_with(Session::new), on, false),
                    Command::Diagram(arg) => commands::diagram(session.get_or_insert_with(Session::new), arg, false),
                    Command::Nodes => println!("{}", snow_stdlib::node_table::table(session.get_or_insert_with(Session::new).runtime())),
                    Command::Doc(topic) => {
                        let s = session.get_or_insert_with(Session::new);
                        println!("{}", commands::doc(s, topic, false));
                    }
                    Command::Bad(msg) => eprintln!("{msg}"),
                }
                continue;
            }
        }
        if pending.is_empty() {
            let s = session.get_or_insert_with(Session::new);
            if let Some(text) = commands::h_line(s, line.trim(), false) {
                println!("{text}");
                continue;
            }
        }
        pending.push(line.to_string());
        let entry = pending.join("\n");
        if Session::is_incomplete(&entry) {
            continue;
        }
        pending.clear();
        let s = session.get_or_insert_with(Session::new);
        commands::show(s.eval(&format!("{entry}\n")), false);
        report_restart(s);
    }
}

fn prompt(p: &str) {
    let mut o = std::io::stdout().lock();
    let _ = o.write_all(p.as_bytes()).and_then(|_| o.flush());
}

/// Ends the last prompt's line.
fn finish(status: i32) -> i32 {
    println!();
    status
}

fn report_restart(session: &mut Session) {
    if let Some(msg) = session.check_shell() {
        eprintln!("{msg}");
    }
}
