//! The deploy files (issue 19): the systemd unit is hardened and passes `systemd-analyze verify` (where
//! systemd is installed, as on Debian), and the nginx site terminates TLS, replaces X-Forwarded-For and
//! caches static assets long.

use std::process::Command;

fn read(name: &str) -> String {
    std::fs::read_to_string(format!("{}/deploy/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[test]
fn the_systemd_unit_is_hardened_and_verifies() {
    let unit = read("partner-dashboard.service");
    for line in [
        "DynamicUser=yes",
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "StateDirectory=partner-dashboard",
        "Environment=DATA_DIR=/var/lib/partner-dashboard",
        "PrivateTmp=yes",
        "CapabilityBoundingSet=",
        "KillSignal=SIGTERM",
    ] {
        assert!(unit.lines().any(|l| l.trim() == line), "{line}");
    }
    let has_systemd = Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_systemd {
        // Not a Debian-like machine: the lines above are what can be checked.
        assert!(
            std::env::var("CI").is_err(),
            "CI machines have systemd-analyze"
        );
        return;
    }
    // The unit as installed, with the binary this build made.
    let dir = std::env::temp_dir().join(format!("pd-unit-{}", partner_dashboard::db::new_id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("partner-dashboard.service");
    std::fs::write(
        &path,
        unit.replace(
            "/usr/local/bin/partner-dashboard",
            env!("CARGO_BIN_EXE_partner-dashboard"),
        ),
    )
    .unwrap();
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_nginx_site_passes_the_client_address_and_caches_static_assets() {
    let site = read("nginx.conf");
    for needle in [
        "listen 443 ssl;",
        "return 301 https://$host$request_uri;",
        "proxy_set_header X-Forwarded-For $remote_addr;",
        "location /static/",
        "max-age=604800",
        "proxy_pass http://partner_dashboard;",
    ] {
        assert!(site.contains(needle), "{needle}");
    }
    // Appending the client's own header would let it choose its address.
    assert!(!site.contains("$proxy_add_x_forwarded_for"));
}
