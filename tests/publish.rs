//! What publishing needs, held by the repository: licence files for the declared
//! licence, a changelog naming the version, and no pre-release in `Cargo.lock` beyond the
//! two the README explains (pulled by `p12-keystore`, no release exists to replace them).

use suite::root;

/// `Cargo.lock`'s packages whose version has a pre-release part (`-pre.0`, `-rc.1`; not
/// build metadata such as `+wasi-snapshot-preview1`).
fn pre_releases(lock: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut name = None;
    for line in lock.lines() {
        if let Some(n) = line.strip_prefix("name = ") {
            name = Some(n.trim_matches('"').to_string());
        } else if let Some(v) = line.strip_prefix("version = ") {
            let version = v.trim_matches('"');
            let core = version.split('+').next().unwrap_or(version);
            if core.contains('-') {
                found.push(format!("{} {version}", name.take().unwrap_or_default()));
            }
        }
    }
    found.sort();
    found
}

#[test]
fn the_only_pre_releases_are_the_two_the_readme_explains() {
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).unwrap();
    assert_eq!(
        pre_releases(&lock),
        ["cms 0.3.0-pre.1", "pkcs12 0.2.0-pre.0"],
        "update the README's Packaging section (and this list) if this changed"
    );
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    for pre in ["`pkcs12 0.2.0-pre.0`", "`cms 0.3.0-pre.1`"] {
        assert!(readme.contains(pre), "the README does not explain {pre}");
    }
}

#[test]
fn the_parser_sees_pre_releases_only() {
    let lock = "name = \"a\"\nversion = \"1.0.0-rc.1\"\n\
                name = \"wasi\"\nversion = \"0.11.1+wasi-snapshot-preview1\"\n\
                name = \"b\"\nversion = \"2.0.0\"\n";
    assert_eq!(pre_releases(lock), ["a 1.0.0-rc.1"]);
}

#[test]
fn licences_and_changelog_are_there_for_every_library() {
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    assert!(manifest.contains(r#"license = "MIT OR Apache-2.0""#));
    let mit = std::fs::read_to_string(root().join("LICENSE-MIT")).unwrap();
    assert!(mit.starts_with("Copyright (c) 2026 The node-tls authors"));
    assert!(mit.contains("Permission is hereby granted, free of charge"));
    let apache = std::fs::read_to_string(root().join("LICENSE-APACHE")).unwrap();
    assert!(apache.contains("Apache License") && apache.contains("Version 2.0, January 2004"));
    for krate in ["tls-core", "context", "node-tls"] {
        let dir = root().join("crates").join(krate);
        for file in ["LICENSE-MIT", "LICENSE-APACHE", "README.md"] {
            // cargo package copies what a symlink points to
            let text = std::fs::read_to_string(dir.join(file))
                .unwrap_or_else(|e| panic!("crates/{krate}/{file}: {e}"));
            assert!(!text.is_empty());
        }
        let toml = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        assert!(
            toml.contains("publish = true"),
            "crates/{krate} is not publishable"
        );
    }
    let changelog = std::fs::read_to_string(root().join("CHANGELOG.md")).unwrap();
    let version = manifest
        .lines()
        .find_map(|l| l.strip_prefix("version = \""))
        .and_then(|v| v.strip_suffix('"'))
        .unwrap();
    assert!(
        changelog.contains(&format!("({version})")),
        "CHANGELOG.md lacks {version}"
    );
}
