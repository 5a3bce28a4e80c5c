//! `--name` / `--sname` / `--cookie` / `--net-tick` / `--dist-buf-busy-limit`:
//! making the program a node, and `snow peer`, the process behind
//! `Node.start_peer`.

use crate::cli::NodeOpts;
use snow_runtime::dist::{self, names, Distribution};
use snow_runtime::Runtime;
use std::io::Read;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::FileTypeExt;
use std::os::unix::net::UnixStream;

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
        if let Some(bytes) = &o.dist_buf_busy_limit {
            let bytes = dist::connection::parse_busy_limit(bytes).map_err(|e| format!("--dist-buf-busy-limit: {e}"))?;
            dist::connection::set_busy_limit(bytes);
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

/// `snow peer --name N`: a node with no program of its own. The first line
/// of its stdin (a pipe from the node that started it) is its cookie, so no
/// other user sees it in `ps`; it then serves spawn requests and messages
/// until that pipe closes.
pub fn peer_main(plan: &Plan) -> i32 {
    if plan.name.is_none() {
        eprintln!("snow: peer needs --name");
        return 2;
    }
    // Stdin is the control channel from the node that started us (a Unix
    // socket), or whatever `snow peer` was started with by hand. Read
    // without a buffer, so that nothing after the cookie line is taken.
    let stdin = match std::io::stdin().as_fd().try_clone_to_owned() {
        Ok(fd) => std::fs::File::from(fd),
        Err(e) => {
            eprintln!("snow: peer: cannot read stdin: {e}");
            return 2;
        }
    };
    let mut plan = plan.clone();
    if plan.cookie.is_none() {
        match read_cookie_line(&mut &stdin) {
            Ok(c) => plan.cookie = Some(c),
            Err(e) => {
                eprintln!("snow: peer: {e}");
                return 2;
            }
        }
    }
    // Our stdout is the terminal of the node that started us, which shows
    // the crash reports of the processes it spawned here already.
    snow_lang::vm::report::set_local_copies(false);
    let rt = Runtime::new();
    if let Err(e) = plan.start(&rt) {
        eprintln!("snow: {e}");
        return 1;
    }
    // The terminal is shared with the node that started us and its other
    // peers: say which node a notice comes from, in one write.
    let me = rt.node_name();
    snow_runtime::log::set_sink(Some(std::sync::Arc::new(move |line: &str| {
        use std::io::Write;
        let line = match line.strip_prefix("snow: ") {
            Some(rest) => format!("snow ({}): {rest}\n", me.as_str()),
            None => format!("{line}\n"),
        };
        let _ = std::io::stderr().write_all(line.as_bytes());
    })));
    // Serve the session's requests until the parent closes the channel;
    // a stdin that is not one (a pipe, a terminal) is only read to its end.
    let is_socket = stdin.metadata().is_ok_and(|m| m.file_type().is_socket());
    if !is_socket || dist::net::serve_parent(UnixStream::from(OwnedFd::from(stdin))).is_err() {
        let mut sink = [0u8; 256];
        let mut input = std::io::stdin();
        while matches!(input.read(&mut sink), Ok(n) if n > 0) {}
    }
    0
}

/// The longest cookie line a peer accepts (Erlang cookies are atoms: 255
/// characters at most, up to 4 bytes each).
const MAX_COOKIE_LINE: u64 = 1024;

/// Reads the cookie, the first line of `input`, byte by byte so that
/// nothing after it is consumed.
fn read_cookie_line(input: &mut impl Read) -> Result<String, String> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        match input.read(&mut byte) {
            Ok(0) => return Err("stdin closed before the cookie arrived".into()),
            Ok(_) if byte[0] == b'\n' => break,
            Ok(_) if line.len() as u64 >= MAX_COOKIE_LINE => return Err("the cookie line on stdin is too long".into()),
            Ok(_) => line.push(byte[0]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("cannot read the cookie from stdin: {e}")),
        }
    }
    let cookie = String::from_utf8(line).map_err(|_| "the cookie on stdin is not UTF-8".to_string())?;
    let cookie = cookie.trim().to_string();
    if cookie.is_empty() {
        return Err("the cookie on stdin is empty".into());
    }
    Ok(cookie)
}

#[cfg(test)]
mod tests {
    use super::read_cookie_line;

    #[test]
    fn the_cookie_is_the_first_line_and_nothing_more_is_read() {
        let mut input: &[u8] = b"monster\nrest";
        assert_eq!(read_cookie_line(&mut input).as_deref(), Ok("monster"));
        assert_eq!(input, b"rest");
        assert!(read_cookie_line(&mut &b""[..]).is_err());
        assert!(read_cookie_line(&mut &b"\n"[..]).is_err());
        assert!(read_cookie_line(&mut &b"no newline"[..]).is_err());
        assert!(read_cookie_line(&mut &vec![b'x'; 5000][..]).is_err());
    }
}
