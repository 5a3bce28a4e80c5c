//! `snow epmd`: the port mapper daemon in the foreground, or detached with `--daemon`.

use snow_runtime::dist::epmd::{epmd_port, EpmdClient};
use snow_runtime::dist::epmd_server::{default_bind_ip, EpmdServer};
use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long `--daemon` waits for its daemon to answer.
const START_WAIT: Duration = Duration::from_secs(5);

/// Runs `snow epmd [--port P] [--daemon]`; returns the exit status.
pub fn main(port: Option<u16>, daemon: bool) -> i32 {
    let ip = match default_bind_ip() {
        Ok(ip) => ip,
        Err(e) => return fail(&e),
    };
    let addr = SocketAddr::new(ip, port.unwrap_or_else(epmd_port));
    if daemon { detach(addr) } else { foreground(addr) }
}

fn fail(msg: &str) -> i32 {
    let _ = writeln!(std::io::stderr(), "snow epmd: {msg}");
    1
}

fn foreground(addr: SocketAddr) -> i32 {
    let server = match EpmdServer::bind(addr) {
        Ok(s) => s,
        Err(e) => return fail(&format!("cannot listen on {addr}: {e}")),
    };
    match server.run() {
        Ok(()) => 0,
        Err(e) => fail(&format!("{addr}: {e}")),
    }
}

/// Re-runs this binary as `snow epmd --port P` with no terminal, in its own
/// process group (so the shell's Ctrl-C and job control leave it alone), waits
/// until it answers, prints its pid and exits.
fn detach(addr: SocketAddr) -> i32 {
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
