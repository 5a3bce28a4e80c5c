//! EPMD: our client against our server (and against the real `epmd` when installed), malformed input, registration lifetime.

#![allow(clippy::unwrap_used)]

use snow_runtime::dist::epmd::{parse_names, EpmdClient, EpmdError, NodeType};
use snow_runtime::dist::epmd_server::{EpmdHandle, EpmdServer};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn server() -> (EpmdHandle, EpmdClient) {
    let s = EpmdServer::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let h = s.spawn().unwrap();
    let c = EpmdClient::new(h.addr()).with_timeout(Duration::from_secs(2));
    (h, c)
}

fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let end = Instant::now() + Duration::from_secs(5);
    while !f() {
        assert!(Instant::now() < end, "timed out waiting: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn raw(addr: SocketAddr, bytes: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let _ = s.write_all(bytes);
    let _ = s.shutdown(std::net::Shutdown::Write);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    out
}

fn check_roundtrip(c: &EpmdClient, name: &str) {
    let r = c.register(name, 45678, NodeType::Normal).unwrap();
    assert_ne!(r.creation(), 0);
    assert!(r.is_alive());
    let p = c.port_please(name).unwrap().expect("registered");
    assert_eq!((p.port, p.node_type, p.highest_version), (45678, 77, 6));
    assert!(c.port_please("nosuchnode").unwrap().is_none());
    assert!(c.names().unwrap().contains(&(name.to_string(), 45678)));
    let dup = c.register(name, 45679, NodeType::Normal).unwrap_err();
    assert!(matches!(dup, EpmdError::Refused { code: 1, .. }), "{dup}");
    assert!(dup.to_string().contains("in use"), "{dup}");
    drop(r);
    wait_until("name dropped", || c.port_please(name).unwrap().is_none());
    let r2 = c.register(name, 45680, NodeType::Hidden).unwrap();
    assert_ne!(r2.creation(), 0);
}

#[test]
fn register_lookup_names_and_unregister_on_drop() {
    let (_h, c) = server();
    check_roundtrip(&c, "alpha");
}

#[test]
fn creations_vary_and_names_lists_all() {
    let (_h, c) = server();
    let a = c.register("a", 1001, NodeType::Normal).unwrap();
    let b = c.register("b", 1002, NodeType::Hidden).unwrap();
    assert_ne!(a.creation(), b.creation());
    let names = c.names().unwrap();
    assert_eq!(names, vec![("a".to_string(), 1001), ("b".to_string(), 1002)]);
    drop(a);
    wait_until("a gone", || c.names().unwrap() == vec![("b".to_string(), 1002)]);
}

#[test]
fn wire_bytes_match_epmd() {
    let (h, _c) = server();
    // NAMES with nothing registered: just the port.
    assert_eq!(raw(h.addr(), &[0, 1, 110]), u32::from(h.addr().port()).to_be_bytes());
    // PORT_PLEASE2 for an unknown name: 77 01.
    assert_eq!(raw(h.addr(), b"\x00\x04zfoo"), [119, 1]);
    // An OTP-style ALIVE2 (Highest 6, Lowest 5) and the PORT2 reply for it.
    let mut reg = TcpStream::connect(h.addr()).unwrap();
    reg.write_all(b"\x00\x15\x78\xb2\x6e\x4d\x00\x00\x06\x00\x05\x00\x08snowtest\x00\x00").unwrap();
    let mut resp = [0u8; 6];
    reg.read_exact(&mut resp).unwrap();
    assert_eq!(&resp[..2], [118, 0]);
    assert_eq!(raw(h.addr(), b"\x00\x09zsnowtest"), b"\x77\x00\xb2\x6e\x4d\x00\x00\x06\x00\x05\x00\x08snowtest\x00\x00");
    // Highest 5: the old 121 reply with a 16-bit creation.
    let mut old = TcpStream::connect(h.addr()).unwrap();
    old.write_all(b"\x00\x13\x78\x00\x10\x4d\x00\x00\x05\x00\x05\x00\x06snowv5\x00\x00").unwrap();
    let mut resp = [0u8; 4];
    old.read_exact(&mut resp).unwrap();
    assert_eq!(&resp[..2], [121, 0]);
    assert_ne!(u16::from_be_bytes([resp[2], resp[3]]), 0);
}

#[test]
fn malformed_requests_do_not_kill_the_server() {
    let (h, c) = server();
    let a = h.addr();
    let bad: &[&[u8]] = &[
        b"",                          // connect and close
        b"\x00",                      // half a length
        b"\x00\x00",                  // zero length
        b"\xff\xff\x78",              // huge length, then close
        b"\x00\x20\x78\x00",          // half a request
        b"\x00\x03\x01\x02\x03",      // unknown tag
        b"\x00\x05\x78\x00\x01\x4d\x00", // truncated ALIVE2
        b"\x00\x0d\x78\x00\x01\x4d\x00\x00\x06\x00\x06\xff\xff\x00\x00", // name length past the end
        b"\x00\x0e\x78\x00\x01\x4d\x00\x00\x06\x00\x06\x00\x00\x00\x00\x00", // empty name
        b"\x00\x10\x78\x00\x01\x4d\x00\x00\x06\x00\x06\x00\x03a@b\x00\x00", // '@' in the name
        b"\x00\x01\x7a",              // PORT_PLEASE2 with no name
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    ];
    for b in bad {
        let out = raw(a, b);
        assert!(out.is_empty() || out == [119, 1], "{b:?} -> {out:?}");
    }
    let mut garbage = vec![0u8; 100_000];
    garbage.iter_mut().enumerate().for_each(|(i, x)| *x = (i * 7919 % 251) as u8);
    let _ = raw(a, &garbage);
    // A client that sends nothing and stays does not block others.
    let _idle = TcpStream::connect(a).unwrap();
    let _half = {
        let mut s = TcpStream::connect(a).unwrap();
        s.write_all(b"\x00\x40\x78").unwrap();
        s
    };
    check_roundtrip(&c, "after_garbage");
}

#[test]
fn registration_sees_server_stop() {
    let (mut h, c) = server();
    let r = c.register("gone", 1, NodeType::Normal).unwrap();
    h.stop();
    wait_until("registration closed", || !r.is_alive());
    assert!(matches!(c.names(), Err(EpmdError::Connect { .. })));
}

#[test]
fn client_errors_are_bounded_and_one_line() {
    // Nothing listening.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let e = EpmdClient::new(port).names().unwrap_err();
    assert!(matches!(e, EpmdError::Connect { .. }) && !e.to_string().contains('\n'), "{e}");
    // A peer that accepts and never answers: the read times out.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let c = EpmdClient::new(silent.local_addr().unwrap()).with_timeout(Duration::from_millis(300));
    let t = Instant::now();
    let e = c.register("x", 1, NodeType::Normal).unwrap_err();
    assert!(t.elapsed() < Duration::from_secs(3), "{e}");
    assert!(matches!(e, EpmdError::Io { .. }), "{e}");
    // Bad names never reach the wire.
    assert!(matches!(c.register("a@b", 1, NodeType::Normal), Err(EpmdError::BadName(_))));
    assert!(matches!(c.register("", 1, NodeType::Normal), Err(EpmdError::BadName(_))));
    assert!(matches!(c.register(&"n".repeat(256), 1, NodeType::Normal), Err(EpmdError::BadName(_))));
}

#[test]
fn names_text_parsing() {
    let t = b"name a at port 1\nname b at port 65535\njunk\nname c at port 99999\nname with space at port 7\n";
    assert_eq!(
        parse_names(t),
        vec![("a".into(), 1), ("b".into(), 65535), ("with space".into(), 7)]
    );
    assert!(parse_names(b"").is_empty());
}

/// Kills (by PID) and reaps the child on drop.
struct Kill(Child);
impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn have(cmd: &str) -> bool {
    let found = Command::new("sh").args(["-c", &format!("command -v {cmd}")]).output().is_ok_and(|o| o.status.success());
    if !found {
        assert!(std::env::var("SNOW_REQUIRE_ERL").as_deref() != Ok("1"), "{cmd} not found and SNOW_REQUIRE_ERL=1");
        eprintln!("notice: `{cmd}` not installed; skipping the interop test");
    }
    found
}

#[test]
fn our_client_against_real_epmd() {
    if !have("epmd") {
        return;
    }
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new("epmd")
        .args(["-port", &port.to_string()])
        .env("ERL_EPMD_PORT", port.to_string())
        .env("ERL_EPMD_ADDRESS", "127.0.0.1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _guard = Kill(child);
    let c = EpmdClient::new(SocketAddr::from(([127, 0, 0, 1], port))).with_timeout(Duration::from_secs(2));
    wait_until("real epmd up", || c.is_running());
    check_roundtrip(&c, "snowtest");
}
