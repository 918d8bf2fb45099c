use std::process::ExitCode;

/// mimalloc instead of the system allocator: requests are parsed on the HTTP threads and freed
/// on the writer thread, and glibc's malloc spent a fifth of the server's CPU on that traffic
/// (`docs/PERFORMANCE.md`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    acta::cli::main()
}
