//! The `snow` command. All of it lives in the library; this is the door.

/// The command runs on a thread with a large stack (committed only as it is
/// touched): printing or dropping a deeply nested value the REPL got back
/// recurses in Rust.
const MAIN_STACK: usize = 1 << 30;

fn main() {
    let args = std::env::args_os().collect();
    let status = std::thread::Builder::new()
        .name("snow-main".into())
        .stack_size(MAIN_STACK)
        .spawn(move || snow::main_with_args(args))
        .ok()
        .and_then(|h| h.join().ok())
        .unwrap_or(70);
    std::process::exit(status);
}
