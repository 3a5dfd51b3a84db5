//! Writes a generated Apple Health export for manual tests and the import bench:
//!
//! `cargo run -p lifeos-integrations --example health_export -- --mib 500 --out /tmp/export.xml [--zip] [--malformed N] [--seed N]`
//!
//! Prints what it wrote as `key=value` pairs on one line (for scripts).

use std::fs::File;
use std::path::PathBuf;
use std::process::ExitCode;

use lifeos_integrations::apple_health::generator::{self, Options};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("health_export: {message}");
            eprintln!("usage: health_export --mib N --out PATH [--zip] [--malformed N] [--seed N]");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let mut options = Options::mib(10);
    let mut out: Option<PathBuf> = None;
    let mut zip = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> Result<u64, String> {
            args.next()
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| format!("{name} needs a number"))
        };
        match arg.as_str() {
            "--mib" => options.target_bytes = number("--mib")? * 1024 * 1024,
            "--seed" => options.seed = number("--seed")?,
            "--malformed" => {
                options.malformed_hrv =
                    u32::try_from(number("--malformed")?).map_err(|e| e.to_string())?;
            }
            "--out" => out = args.next().map(PathBuf::from),
            "--zip" => zip = true,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let out = out.ok_or("--out is required")?;
    let file = File::create(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let written = if zip {
        generator::write_zip(file, &options)
    } else {
        generator::write_xml(file, &options)
    }
    .map_err(|e| format!("{}: {e}", out.display()))?;
    let file_bytes = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
    report(&out, file_bytes, &written);
    Ok(())
}

#[expect(
    clippy::print_stdout,
    reason = "the tool's answer, read by the bench script"
)]
fn report(out: &std::path::Path, file_bytes: u64, written: &generator::Written) {
    println!(
        "file={} file_bytes={file_bytes} xml_bytes={} records={} hrv={} malformed_hrv={} other_elements={}",
        out.display(),
        written.bytes,
        written.records,
        written.hrv,
        written.malformed_hrv,
        written.other_elements
    );
}
