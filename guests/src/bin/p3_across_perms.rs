//! WASI 0.3: the read-only preopen's permissions on every call that could
//! get around them (wasmtime's `p3_file_hardlink_across_perms`,
//! `p3_file_rename_across_perms`, `p3_file_truncation_readonly`), printed
//! step by step for the differential test.
use guest::p3::exports::wasi::cli::run::Guest;
use guest::p3::*;

struct Run;

impl Guest for Run {
    async fn run() -> Result<(), ()> {
        let sb = preopen("/sandbox");
        let ro = preopen("/ro");
        let none = PathFlags::empty();
        write_file(&sb, "w", b"w".to_vec()).await.unwrap();
        let across = [
            (
                "link ro/f -> sandbox/alias",
                ro.link_at(none, "f".into(), &sb, "alias".into()).await,
            ),
            (
                "link sandbox/w -> ro/alias",
                sb.link_at(none, "w".into(), &ro, "alias".into()).await,
            ),
            (
                "rename ro/f -> sandbox/f",
                ro.rename_at("f".into(), &sb, "f".into()).await,
            ),
            (
                "rename sandbox/w -> ro/w",
                sb.rename_at("w".into(), &ro, "w".into()).await,
            ),
            (
                "rename ro/f -> ro/g",
                ro.rename_at("f".into(), &ro, "g".into()).await,
            ),
            (
                "rename ro/missing -> sandbox/x",
                ro.rename_at("missing".into(), &sb, "x".into()).await,
            ),
        ];
        for (what, result) in across {
            let _ = show(what, result);
        }
        let read = DescriptorFlags::READ;
        for (what, oflags, flags) in [
            ("open ro/f truncate", OpenFlags::TRUNCATE, read),
            ("open ro/f create", OpenFlags::CREATE, read),
            (
                "open ro/f write",
                OpenFlags::empty(),
                DescriptorFlags::WRITE,
            ),
            ("open ro/f read", OpenFlags::empty(), read),
        ] {
            let _ = show_unit(what, open(&ro, "f", oflags, flags).await);
        }
        let file = open(&ro, "f", OpenFlags::empty(), read).await.unwrap();
        let _ = show("ro/f write", write_at(&file, 0, b"x".to_vec()).await);
        let _ = show("ro/f append", append(&file, b"x".to_vec()).await);
        let _ = show("ro/f set-size", file.set_size(0).await);
        drop(file);
        let _ = show("ro/f", read_file(&ro, "f").await.map(String::from_utf8));
        // A directory's streams (`p3_filesystem_file_read_write`).
        for (name, dir) in [("sandbox", &sb), ("ro", &ro)] {
            let _ = show(
                &format!("{name} read-via-stream"),
                read_from(dir, 0).await.map(drop),
            );
            let _ = show(
                &format!("{name} write-via-stream"),
                write_at(dir, 0, b"x".to_vec()).await,
            );
            let _ = show(
                &format!("{name} append-via-stream"),
                append(dir, b"x".to_vec()).await,
            );
            let _ = show(&format!("{name} set-size"), dir.set_size(0).await);
        }

        Ok(())
    }
}

guest::p3::export_p3!(Run);

fn main() {
    unreachable!("the host calls wasi:cli/run@0.3.0's run")
}
