//! `lifeos`: the server and its command line (`cli`).

use std::process::ExitCode;

/// mimalloc rather than glibc's malloc: glibc keeps each password hash's 19 MiB in its
/// per-thread arenas (900 MiB resident after 100 registrations), mimalloc returns it, and
/// its small allocations are cheaper under many tasks.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    match lifeos_gateway::cli::run(std::env::args().skip(1).collect()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("lifeos: {message}");
            ExitCode::FAILURE
        }
    }
}
