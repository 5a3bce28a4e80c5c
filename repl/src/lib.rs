//! The `snow` command as a library: parse the arguments, then run a script,
//! an expression, the disassembler, the REPL, or the port mapper (`snow epmd`).

mod cli;
mod epmd;
mod imports;
mod node;
mod run;
pub mod session;
mod repl;
mod shell;
mod sim;
mod test_runner;

use clap::Parser;
use std::ffi::OsString;

/// Runs the command and returns its exit status.
pub fn main_with_args(args: Vec<OsString>) -> i32 {
    // Before any code loads: its functions read the policy then.
    snow_lang::jit::set_policy(snow_lang::jit::Policy::named(std::env::var("SNOW_JIT").ok().as_deref()));
    let cli = match cli::Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    if let Some(cli::Command::Epmd { port, daemon, max_names, request_timeout }) = cli.command {
        return epmd::main(port, daemon, max_names, request_timeout);
    }
    if let Some(file) = cli.disasm {
        return run::disasm_file(&file);
    }
    node::install();
    let node = match node::Plan::from_opts(&cli.node) {
        Ok(n) => n,
        Err(msg) => {
            eprintln!("snow: {msg}");
            return 2;
        }
    };
    let sim = match sim::SimPlan::from_opts(&cli.sim) {
        Ok(s) => s,
        Err(msg) => {
            eprintln!("snow: {msg}");
            return 2;
        }
    };
    let trace = cli.trace.as_deref();
    let status = match cli.command {
        Some(cli::Command::Run { file, args }) => run::run_file(&file, lossy(args), &node, trace, sim.as_ref()),
        Some(cli::Command::Test { .. }) if trace.is_some() => {
            eprintln!("snow: --trace records a script (snow run --trace out.svg script.snow), not tests");
            2
        }
        Some(cli::Command::Test { paths, repeat }) => test_runner::main(&paths, repeat.unwrap_or(1), &node, sim.as_ref()),
        Some(cli::Command::Peer) => node::peer_main(&node),
        Some(cli::Command::Epmd { .. }) => 0,
        None => {
            if let Some(expr) = cli.eval {
                run::run_source(&expr, "-e", lossy(cli.script), &node, trace, sim.as_ref())
            } else if let Some((file, rest)) = cli.script.split_first() {
                run::run_file(std::path::Path::new(file), lossy(rest.to_vec()), &node, trace, sim.as_ref())
            } else if trace.is_some() {
                eprintln!("snow: --trace records a script (snow run --trace out.svg script.snow); at the REPL, type :trace on");
                2
            } else {
                run::repl(&node, sim.as_ref())
            }
        }
    };
    snow_runtime::dist::peers::kill_all();
    status
}

fn lossy(v: Vec<OsString>) -> Vec<String> {
    v.into_iter().map(|s| s.to_string_lossy().into_owned()).collect()
}
