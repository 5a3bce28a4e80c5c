//! Command-line arguments.

use clap::{Parser, Subcommand};
use std::ffi::OsString;
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "snow",
    version,
    about = "Snow: an Elixir-flavoured language on a BEAM-faithful actor runtime",
    long_about = "Snow: an Elixir-flavoured language on a BEAM-faithful actor runtime.\n\n\
        With no arguments, starts the interactive REPL. `snow FILE` or `snow run FILE` runs a script.",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// Evaluate EXPR as a script and exit
    #[arg(short = 'e', long = "eval", value_name = "EXPR", conflicts_with = "disasm")]
    pub eval: Option<String>,

    /// Print the bytecode of FILE instead of running it
    #[arg(long, value_name = "FILE")]
    pub disasm: Option<PathBuf>,

    /// Record a trace of the whole script and write it to FILE when it ends: `.svg` (a Lamport diagram), `.jsonl` / `.json` (JSON lines), `.shiviz` / `.log` (ShiViz), anything else the plain-text diagram
    #[arg(long, value_name = "FILE", global = true)]
    pub trace: Option<PathBuf>,

    /// A script to run, and its arguments (`System.argv()`)
    #[arg(value_name = "FILE", trailing_var_arg = true, allow_hyphen_values = false)]
    pub script: Vec<OsString>,

    #[command(flatten)]
    pub node: NodeOpts,

    #[command(flatten)]
    pub sim: SimOpts,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Distribution options: they make the REPL or the script a node.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct NodeOpts {
    /// Start as the node NAME (`a@127.0.0.1`, or `a@127.0.0.1:4370` for a fixed port)
    #[arg(long, value_name = "NAME", global = true, conflicts_with = "sname")]
    pub name: Option<String>,
    /// Start as the node NAME@<this host's short name>
    #[arg(long, value_name = "NAME", global = true)]
    pub sname: Option<String>,
    /// The cookie nodes must share (default: ~/.erlang.cookie, created if missing)
    #[arg(long, value_name = "COOKIE", global = true)]
    pub cookie: Option<String>,
    /// Net tick time in ms: a peer silent this long is declared down (default 4000)
    #[arg(long = "net-tick", value_name = "MS", global = true)]
    pub net_tick: Option<u64>,
    /// Bytes queued for one node past which a process sending to it is suspended until the queue drains (default 1048576, or SNOW_DIST_BUF_BUSY_LIMIT; at least 1024)
    #[arg(long = "dist-buf-busy-limit", value_name = "BYTES", global = true)]
    pub dist_buf_busy_limit: Option<String>,
}

/// Deterministic simulation: the whole run on one seeded scheduler thread, in virtual time.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct SimOpts {
    /// Run in a deterministic simulation: one seeded scheduler, virtual time (a seed replays a run exactly)
    #[arg(long, global = true)]
    pub sim: bool,
    /// The simulation's seed (with --sim; default: a random one, printed)
    #[arg(long, value_name = "N", global = true)]
    pub seed: Option<u64>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a script
    Run {
        /// The script
        file: PathBuf,
        /// Arguments for the script (`System.argv()`)
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<OsString>,
    },
    /// Run tests: `describe`/`test` blocks in the given files, or in every `*_test.snow` under the given directories (default: `test/`, else the current directory)
    Test {
        /// Test files (`FILE` or `FILE:LINE` for the one test at that line) and directories
        paths: Vec<PathBuf>,
        /// Run the whole selection K times (with --sim: K consecutive seeds), to hunt a rare interleaving
        #[arg(long, value_name = "K", value_parser = clap::value_parser!(u32).range(1..))]
        repeat: Option<u32>,
    },
    /// Run as a peer node (started by `Node.start_peer`): the first line of stdin is the cookie; serve until stdin closes
    #[command(hide = true)]
    Peer,
    /// Run the Erlang port mapper daemon (EPMD), compatible with `erl` and `epmd -names`
    #[command(long_about = "Run the Erlang port mapper daemon (EPMD), compatible with `erl` and `epmd -names`.\n\n\
        Listens on 127.0.0.1 (environment SNOW_EPMD_ADDR=IP to change; the real epmd listens on every interface) \
        at --port, else ERL_EPMD_PORT, else 4369. Runs in the foreground unless --daemon.\n\n\
        A registration lasts as long as its connection. One thread serves every connection, so a held \
        registration costs one file descriptor: the open-file limit is raised to its hard limit at start, and \
        names are limited to --max-names (65536) and what that limit allows; past it, registering fails with \
        an error (\"registration table is full\"). Other connections never count against the names: they are \
        closed if they have not sent their request within --request-timeout, and past 1024 of them the \
        oldest is closed.")]
    Epmd {
        /// TCP port (default: ERL_EPMD_PORT, else 4369)
        #[arg(long)]
        port: Option<u16>,
        /// Detach: start the daemon in its own process group, wait until it answers, print its pid, exit
        #[arg(long)]
        daemon: bool,
        /// Most names registered at once; past it, registering fails with an error (default 65536, lowered to fit the open-file limit)
        #[arg(long, value_name = "N")]
        max_names: Option<usize>,
        /// Milliseconds a client has to send its request before it is closed (default 5000)
        #[arg(long, value_name = "MS", value_parser = clap::value_parser!(u64).range(1..))]
        request_timeout: Option<u64>,
    },
}
