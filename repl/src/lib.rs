//! The `snow` command as a library: parse the arguments, then run a script,
//! an expression, the disassembler, the REPL, or the port mapper (`snow epmd`).

mod cli;
mod epmd;
mod run;
pub mod session;
mod repl;
mod shell;

use clap::Parser;
use std::ffi::OsString;

/// Runs the command and returns its exit status.
pub fn main_with_args(args: Vec<OsString>) -> i32 {
    let cli = match cli::Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    match cli.command {
        Some(cli::Command::Run { file, args }) => return run::run_file(&file, lossy(args)),
        Some(cli::Command::Epmd { port, daemon }) => return epmd::main(port, daemon),
        None => {}
    }
    if let Some(expr) = cli.eval {
        return run::run_source(&expr, "-e", lossy(cli.script));
    }
    if let Some(file) = cli.disasm {
        return run::disasm_file(&file);
    }
    if let Some((file, rest)) = cli.script.split_first() {
        return run::run_file(std::path::Path::new(file), lossy(rest.to_vec()));
    }
    run::repl()
}

fn lossy(v: Vec<OsString>) -> Vec<String> {
    v.into_iter().map(|s| s.to_string_lossy().into_owned()).collect()
}
