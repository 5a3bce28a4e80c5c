//! The `snow` command. All of it lives in the library; this is the door.

/// The command runs on a thread of a known stack size, whatever `ulimit -s`
/// says: compiling recurses on the tree (bounded by the parser's depth
/// limit); nothing done with a value recurses with its depth.
const MAIN_STACK: usize = snow_runtime::SCHEDULER_STACK;

/// mimalloc, not glibc's malloc: a process is often allocated on one
/// scheduler thread and freed on another, and glibc then serialises both
/// threads on its arena lock (ARCHITECTURE.md, "Why it is this way").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_arena_eager_commit` (`mimalloc.h`, v3; the
/// version is pinned in Cargo.lock).
const MI_OPTION_ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;

/// Commit arena memory as it is used, not the whole arena up front: an idle
/// REPL then stays near 8 MiB instead of 23 MiB. It must run before the
/// first arena is reserved, which Rust's start-up code does before `main`,
/// so it is a constructor (`.init_array`), run by the loader.
#[cfg(target_os = "linux")]
#[used]
#[link_section = ".init_array"]
static CONFIGURE_ALLOCATOR: extern "C" fn() = configure_allocator;

#[cfg(target_os = "linux")]
extern "C" fn configure_allocator() {
    // SAFETY: sets a documented option; the loader runs this before any
    // thread of ours exists.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_ARENA_EAGER_COMMIT, 0) };
}

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
