//! Native PBKDF2-HMAC-SHA256 timing with the service's own hashing code, for
//! `make bench` to compare with the worker. `--features soft-sha2` forces
//! sha2's portable software backend (what wasm32 runs) instead of SHA-NI/AVX2.
//! Usage: cargo run --release --example pbkdf2_bench [ITERATIONS] [RUNS]
use std::time::Instant;
use users_orgs_api::auth::password;

fn main() {
    let mut args = std::env::args().skip(1);
    let iterations: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(600_000);
    let runs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(7);
    let mut times = Vec::with_capacity(runs);
    let mut out = [0u8; 32];
    for _ in 0..runs {
        let t = Instant::now();
        password::derive(
            b"correct horse battery staple",
            b"0123456789abcdef",
            iterations,
            &mut out,
        );
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    let backend = if cfg!(feature = "soft-sha2") {
        "software"
    } else {
        "default (hardware if available)"
    };
    println!("native pbkdf2-sha256 iterations={iterations} backend={backend} median_ms={:.1} min_ms={:.1}", times[runs / 2], times[0]);
}
