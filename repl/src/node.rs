//! `--name` / `--sname` / `--cookie` / `--net-tick`: making the program a
//! node, and `snow peer`, the process behind `Node.start_peer`.

use crate::cli::NodeOpts;
use snow_runtime::dist::{self, names, Distribution};
use snow_runtime::Runtime;
use std::io::Read;

/// What the command line asks for.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    name: Option<String>,
    cookie: Option<String>,
}

impl Plan {
    pub fn from_opts(o: &NodeOpts) -> Result<Plan, String> {
        if let Some(ms) = o.net_tick {
            if ms < dist::connection::MIN_NET_TICK_MS {
                return Err(format!("--net-tick must be at least {} ms", dist::connection::MIN_NET_TICK_MS));
            }
            dist::set_net_tick(ms);
        }
        let name = match (&o.name, &o.sname) {
            (Some(n), _) => {
                if !n.contains('@') {
                    return Err(format!("--name needs a full name such as {n}@127.0.0.1 (or use --sname {n})"));
                }
                names::NodeName::parse(n)?;
                Some(n.clone())
            }
            (None, Some(s)) => {
                if s.contains('@') {
                    return Err(format!("--sname takes a name without a host, such as {}", s.split('@').next().unwrap_or(s)));
                }
                Some(format!("{s}@{}", names::short_hostname()))
            }
            (None, None) => None,
        };
        if name.is_none() && o.cookie.is_some() {
            return Err("--cookie needs --name or --sname".into());
        }
        Ok(Plan { name, cookie: o.cookie.clone() })
    }

    pub fn is_named(&self) -> bool {
        self.name.is_some()
    }

    /// Starts distribution on `rt` if asked; a one-line error otherwise.
    pub fn start(&self, rt: &Runtime) -> Result<(), String> {
        let Some(name) = &self.name else { return Ok(()) };
        let cookie = match &self.cookie {
            Some(c) => c.clone(),
            None => names::default_cookie()?,
        };
        Distribution::start(rt, name, &cookie).map(|_| ()).map_err(|e| format!("cannot start node {name}: {e}"))
    }
}

/// What every command needs before it runs Snow code that may meet other
/// nodes: how remote spawn requests run, how function values travel.
pub fn install() {
    snow_stdlib::init();
    snow_stdlib::install_distribution();
    snow_lang::wire::install_fun_codec();
}

/// `snow peer --name N --cookie C`: a node with no program of its own; it
/// serves spawn requests and messages until its stdin (a pipe from the
/// node that started it) closes.
pub fn peer_main(plan: &Plan) -> i32 {
    if plan.name.is_none() {
        eprintln!("snow: peer needs --name");
        return 2;
    }
    // Our stdout is the terminal of the node that started us, which shows
    // the crash reports of the processes it spawned here already.
    snow_lang::vm::report::set_local_copies(false);
    let rt = Runtime::new();
    if let Err(e) = plan.start(&rt) {
        eprintln!("snow: {e}");
        return 1;
    }
    let mut sink = [0u8; 256];
    let mut stdin = std::io::stdin();
    while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
    0
}
