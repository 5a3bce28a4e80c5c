//! The REPL: on a terminal the rustyline front end (`repl/terminal.rs`),
//! otherwise plain line reading (`repl/plain.rs`).

mod commands;
mod complete;
mod helper;
mod highlight;
mod history;
mod plain;
mod printer;
mod processes;
mod terminal;

use std::io::IsTerminal;

pub fn run() -> i32 {
    if std::io::stdin().is_terminal() {
        terminal::run()
    } else {
        plain::run()
    }
}
