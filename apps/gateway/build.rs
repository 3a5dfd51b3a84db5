//! Embeds the built web app (`apps/web/dist`) when it exists: `src/web.rs` includes the
//! generated `web_assets.rs`, a list of `(url path, include_bytes!)` pairs over a copy of
//! dist in OUT_DIR (so an `npm run build` during the compile cannot pull files away).
//! Without a built app the list is empty and `/` says how to build it.

// A build script reports a broken build by panicking; cargo shows the message.
#![expect(
    clippy::expect_used,
    reason = "a build script fails the build by panicking"
)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest_dir =
        PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let web = manifest_dir.join("../web");
    let dist = web.join("dist");
    // A new dist/ changes apps/web itself; once it exists, any file in it counts.
    let watched = if dist.is_dir() { &dist } else { &web };
    println!("cargo:rerun-if-changed={}", watched.display());

    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it"));
    let copy = out_dir.join("web-dist");
    let _ = std::fs::remove_dir_all(&copy);
    let mut files = Vec::new();
    if dist.join("index.html").is_file() {
        collect(&dist, &mut files);
    }
    files.sort();
    let files: Vec<PathBuf> = files
        .iter()
        .filter_map(|file| {
            let target = copy.join(file.strip_prefix(&dist).ok()?);
            std::fs::create_dir_all(target.parent()?).ok()?;
            std::fs::copy(file, &target).ok()?;
            Some(target)
        })
        .collect();
    let dist = copy;
    let mut out = String::from("pub static EMBEDDED: &[(&str, &[u8])] = &[\n");
    for file in &files {
        let url = file
            .strip_prefix(&dist)
            .expect("under dist")
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        writeln!(
            out,
            "    ({:?}, include_bytes!({:?})),",
            format!("/{url}"),
            file.display().to_string()
        )
        .expect("write to a String");
    }
    out.push_str("];\n");
    let target =
        PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it")).join("web_assets.rs");
    std::fs::write(target, out).expect("write web_assets.rs");
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, files);
        } else {
            files.push(path);
        }
    }
}
