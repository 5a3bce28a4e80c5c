//! The `snow` command. All of it lives in the library; this is the door.

/// The command runs on a thread of a known stack size, whatever `ulimit -s`
/// says: compiling recurses on the tree (bounded by the parser's depth
/// limit); nothing done with a value recurses with its depth.
const MAIN_STACK: usize = snow_runtime::SCHEDULER_STACK;

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
