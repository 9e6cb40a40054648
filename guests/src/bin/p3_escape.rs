//! WASI 0.3 confinement: every call given a path that leaves the preopen —
//! `..` past the root, absolute paths, symlinks pointing out (absolute and
//! relative), symlinks created to point out then followed — fails, and
//! nothing outside changes.
use guest::p3::exports::wasi::cli::run::Guest;
use guest::p3::*;

struct Run;

impl Guest for Run {
    async fn run() -> Result<(), ()> {
        let sb = preopen("/sandbox");
        sb.create_directory_at("d".into()).await.unwrap();
        for path in [
            "..",
            "../outside",
            "d/../..",
            "/",
            "/etc/passwd",
            "out",
            "up",
            "out/x",
            "up/x",
            "d/../up",
        ] {
            let stat = sb.stat_at(PathFlags::SYMLINK_FOLLOW, path.into()).await;
            show(
                &format!("stat-at {path:?} following"),
                stat.map(|s| s.type_),
            )
            .ok();
            let opened = sb
                .open_at(
                    PathFlags::SYMLINK_FOLLOW,
                    path.into(),
                    OpenFlags::empty(),
                    DescriptorFlags::READ,
                )
                .await;
            show_unit(&format!("open-at {path:?} following"), opened).ok();
            let created = sb
                .open_at(
                    PathFlags::SYMLINK_FOLLOW,
                    format!("{path}/new"),
                    OpenFlags::CREATE,
                    rw(),
                )
                .await;
            show_unit(&format!("create under {path:?}"), created).ok();
            show(
                &format!("mkdir under {path:?}"),
                sb.create_directory_at(format!("{path}/n")).await,
            )
            .ok();
            show(
                &format!("unlink {path:?}/x"),
                sb.unlink_file_at(format!("{path}/x")).await,
            )
            .ok();
            show(
                &format!("rename into {path:?}"),
                sb.rename_at("d".into(), &sb, format!("{path}/d")).await,
            )
            .ok();
            show(
                &format!("symlink in {path:?}"),
                sb.symlink_at("x".into(), format!("{path}/l")).await,
            )
            .ok();
        }
        // Symlinks made to point out, then followed.
        show(
            "symlink rel-out -> ../outside",
            sb.symlink_at("../outside".into(), "rel-out".into()).await,
        )
        .unwrap();
        show(
            "symlink deep-out",
            sb.symlink_at("d/../../outside/secret".into(), "deep-out".into())
                .await,
        )
        .unwrap();
        for path in ["rel-out", "deep-out", "rel-out/secret"] {
            let stat = sb.stat_at(PathFlags::SYMLINK_FOLLOW, path.into()).await;
            show(
                &format!("stat-at {path:?} following"),
                stat.map(|s| s.type_),
            )
            .ok();
            let created = sb
                .open_at(
                    PathFlags::SYMLINK_FOLLOW,
                    path.into(),
                    OpenFlags::CREATE,
                    rw(),
                )
                .await;
            show_unit(&format!("create through {path:?}"), created).ok();
            let nofollow = sb.stat_at(PathFlags::empty(), path.into()).await;
            show(&format!("stat-at {path:?}"), nofollow.map(|s| s.type_)).ok();
        }
        // A directory descriptor cannot be walked out of either.
        let d = open(&sb, "d", OpenFlags::DIRECTORY, DescriptorFlags::READ)
            .await
            .unwrap();
        show(
            "d: stat-at ..",
            d.stat_at(PathFlags::empty(), "..".into())
                .await
                .map(|s| s.type_),
        )
        .ok();
        show(
            "d: stat-at ../..",
            d.stat_at(PathFlags::empty(), "../..".into())
                .await
                .map(|s| s.type_),
        )
        .ok();
        show(
            "d: open ../up",
            d.open_at(
                PathFlags::SYMLINK_FOLLOW,
                "../up".into(),
                OpenFlags::empty(),
                DescriptorFlags::READ,
            )
            .await
            .map(|_| ()),
        )
        .ok();
        show("names", names(&sb).await).unwrap();
        Ok(())
    }
}

guest::p3::export_p3!(Run with_types_in guest::p3);

fn main() {
    unreachable!("a WASI 0.3 command: the host calls wasi:cli/run@0.3.0")
}
