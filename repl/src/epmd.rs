//! `snow epmd`: the port mapper daemon in the foreground, or detached with `--daemon`.

use snow_runtime::dist::epmd::{epmd_port, EpmdClient};
use snow_runtime::dist::epmd_server::{default_bind_ip, raise_fd_limit, EpmdConfig, EpmdServer};
use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long `--daemon` waits for its daemon to answer.
const START_WAIT: Duration = Duration::from_secs(5);

/// Runs `snow epmd [--port P] [--daemon] [--max-names N] [--request-timeout MS]`; returns the exit status.
pub fn main(port: Option<u16>, daemon: bool, max_names: Option<usize>, request_timeout: Option<u64>) -> i32 {
    let ip = match default_bind_ip() {
        Ok(ip) => ip,
        Err(e) => return fail(&e),
    };
    let addr = SocketAddr::new(ip, port.unwrap_or_else(epmd_port));
    let mut config = EpmdConfig::default();
    let mut pass_on = Vec::new();
    if let Some(n) = max_names {
        config.max_names = n;
        pass_on.extend(["--max-names".to_string(), n.to_string()]);
    }
    if let Some(ms) = request_timeout {
        config.request_timeout = Duration::from_millis(ms);
        pass_on.extend(["--request-timeout".to_string(), ms.to_string()]);
    }
    if daemon { detach(addr, &pass_on) } else { foreground(addr, config, max_names.is_some()) }
}

fn fail(msg: &str) -> i32 {
    let _ = writeln!(std::io::stderr(), "snow epmd: {msg}");
    1
}

fn foreground(addr: SocketAddr, config: EpmdConfig, explicit_max: bool) -> i32 {
    // Each held registration is a file descriptor: allow as many as the system lets us.
    let fds = raise_fd_limit();
    let server = match EpmdServer::bind_with(addr, config) {
        Ok(s) => s,
        Err(e) => return fail(&format!("cannot listen on {addr}: {e}")),
    };
    let max = server.limits().max_names;
    if explicit_max && max < config.max_names {
        let fds = fds.map_or_else(|| "?".to_string(), |n| n.to_string());
        let _ = writeln!(std::io::stderr(), "snow epmd: --max-names lowered to {max} to fit the open-file limit ({fds})");
    }
    match server.run() {
        Ok(()) => 0,
        Err(e) => fail(&format!("{addr}: {e}")),
    }
}

/// Re-runs this binary as `snow epmd --port P` (plus `pass_on`, the limits)
/// with no terminal, in its own process group (so the shell's Ctrl-C and job
/// control leave it alone), waits until it answers, prints its pid and exits.
fn detach(addr: SocketAddr, pass_on: &[String]) -> i32 {
    // Find a busy port here, where the error can still be printed.
    if let Err(e) = TcpListener::bind(addr) {
        return fail(&format!("cannot listen on {addr}: {e}"));
    }
    let exe = match std::env::current_exe() {
        Ok(p) => p,
        Err(e) => return fail(&format!("cannot find the snow binary: {e}")),
    };
    let child = Command::new(exe)
        .args(["epmd", "--port", &addr.port().to_string()])
        .args(pass_on)
        .env("SNOW_EPMD_ADDR", addr.ip().to_string())
        .current_dir("/")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => return fail(&format!("cannot start the daemon: {e}")),
    };
    let probe_ip = if addr.ip().is_unspecified() { [127, 0, 0, 1].into() } else { addr.ip() };
    let probe = EpmdClient::new(SocketAddr::new(probe_ip, addr.port())).with_timeout(Duration::from_millis(500));
    let deadline = Instant::now() + START_WAIT;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return fail(&format!("the daemon exited at startup ({status})"));
        }
        if probe.is_running() {
            let _ = writeln!(std::io::stdout(), "{}", child.id());
            return 0;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return fail(&format!("the daemon did not answer on {addr} within {}s", START_WAIT.as_secs()));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
