//! The `snow` command. All of it lives in the library; this is the door.

fn main() {
    std::process::exit(snow::main_with_args(std::env::args_os().collect()));
}
