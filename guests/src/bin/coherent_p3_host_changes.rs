//! `coherent_host_changes` through WASI 0.3: after each change the host
//! makes (between the guest's looks), the guest looks at every name again
//! through `wasi:filesystem@0.3.0` and prints what it sees. It waits for
//! each change by looking for the marker file `go-N` the host makes after
//! it (so the marker's appearance is tested too: a name first missing).
//! Compared with wasmtime-wasi's 0.3 output; run in coherent and shared
//! mode (exclusive would never see the marker).
use guest::p3::exports::wasi::cli::run::Guest;
use guest::p3::*;

struct Run;

async fn probe(sb: &Descriptor, step: u32) {
    for name in ["f", "g", "h", "d", "d/x", "e/x"] {
        let stat = sb
            .stat_at(PathFlags::empty(), name.into())
            .await
            .map(|s| (s.type_, s.size));
        show(&format!("[{step}] stat {name}"), stat).ok();
        if name != "d" {
            let data = read_file(sb, name)
                .await
                .map(|d| String::from_utf8_lossy(&d).into_owned());
            show(&format!("[{step}] read {name}"), data).ok();
        }
    }
    let mut root = names(sb).await;
    if let Ok(root) = &mut root {
        root.retain(|n| !n.starts_with("go-"));
    }
    show(&format!("[{step}] list /"), root).ok();
    show(&format!("[{step}] list d"), names_of(sb, "d").await).ok();
}

async fn names_of(sb: &Descriptor, path: &str) -> Result<Vec<String>, ErrorCode> {
    let dir = sb
        .open_at(
            PathFlags::SYMLINK_FOLLOW,
            path.into(),
            OpenFlags::DIRECTORY,
            DescriptorFlags::READ,
        )
        .await?;
    names(&dir).await
}

impl Guest for Run {
    async fn run() -> Result<(), ()> {
        let sb = preopen("/s");
        let steps: u32 = std::env::args()
            .nth(1)
            .and_then(|a| a.parse().ok())
            .unwrap_or(0);
        for step in 0..=steps {
            probe(&sb, step).await;
            if step == steps {
                break;
            }
            println!("ready");
            let marker = format!("go-{}", step + 1);
            // At most ten seconds.
            let mut seen = false;
            for _ in 0..10_000 {
                if sb.stat_at(PathFlags::empty(), marker.clone()).await.is_ok() {
                    seen = true;
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            if !seen {
                println!("{marker} never seen");
                return Err(());
            }
        }
        show("write h", write_file(&sb, "h", b"guest h".to_vec()).await).ok();
        show(
            "write d/x",
            write_file(&sb, "d/x", b"guest d/x".to_vec()).await,
        )
        .ok();
        Ok(())
    }
}

guest::p3::export_p3!(Run with_types_in guest::p3);

fn main() {
    unreachable!("a WASI 0.3 command: the host calls wasi:cli/run@0.3.0")
}
