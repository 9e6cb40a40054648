//! WASI 0.3 files: `open-at` flags, stream writes, reads and appends
//! (a 3 MiB file, in and out), `set-size`, `set-times`, `stat`, and the
//! errors of each, printed step by step for the differential test.
use guest::p3::exports::wasi::cli::run::Guest;
use guest::p3::wasi::clocks::system_clock::Instant;
use guest::p3::wasi::filesystem::types::Advice;
use guest::p3::*;

struct Run;

/// The 3 MiB pattern of the big file.
fn pattern() -> Vec<u8> {
    (0..3u32 << 20).map(|i| (i % 251) as u8).collect()
}

fn sum(data: &[u8]) -> u64 {
    data.iter().map(|&b| u64::from(b)).sum()
}

impl Guest for Run {
    async fn run() -> Result<(), ()> {
        let sb = preopen("/sandbox");
        let ro = preopen("/ro");
        let created = show_unit(
            "create a.txt",
            open(&sb, "a.txt", OpenFlags::CREATE, rw()).await,
        )
        .unwrap();
        show(
            "write a.txt",
            write_at(&created, 0, b"hello".to_vec()).await,
        )
        .unwrap();
        show("append a.txt", append(&created, b", world".to_vec()).await).unwrap();
        let back = read_from(&created, 0)
            .await
            .map(|d| String::from_utf8_lossy(&d).into_owned());
        show("read a.txt", back).unwrap();
        let tail = read_from(&created, 7)
            .await
            .map(|d| String::from_utf8_lossy(&d).into_owned());
        show("read a.txt from 7", tail).unwrap();
        show("read past the end", read_from(&created, 100).await).unwrap();
        show("write at 2", write_at(&created, 2, b"LL".to_vec()).await).unwrap();
        let back = read_file(&sb, "a.txt")
            .await
            .map(|d| String::from_utf8_lossy(&d).into_owned());
        show("read a.txt again", back).unwrap();
        let stat = created
            .stat()
            .await
            .map(|s| (s.type_, s.size, s.link_count));
        show("stat a.txt", stat).unwrap();
        show("set-size 4", created.set_size(4).await).unwrap();
        show("size after set-size", created.stat().await.map(|s| s.size)).unwrap();
        let at = Instant {
            seconds: 1_000_000_000,
            nanoseconds: 500,
        };
        show(
            "set-times",
            created
                .set_times(NewTimestamp::NoChange, NewTimestamp::Timestamp(at))
                .await,
        )
        .unwrap();
        let mtime = created.stat().await.map(|s| s.data_modification_timestamp);
        show("mtime", mtime).unwrap();
        show("get-flags", created.get_flags().await).unwrap();
        show("get-type", created.get_type().await).unwrap();

        // Offsets and sizes past 2^63 - 1 (a negative `off_t`).
        for at in [1 << 63, u64::MAX] {
            show(&format!("read at {at}"), read_from(&created, at).await).unwrap_err();
            show(
                &format!("write at {at}"),
                write_at(&created, at, b"x".to_vec()).await,
            )
            .unwrap_err();
            show(&format!("set-size {at}"), created.set_size(at).await).unwrap_err();
            show(
                &format!("advise 0 {at}"),
                created.advise(0, at, Advice::Normal).await,
            )
            .unwrap_err();
        }
        show(
            "write at 2^63 - 1",
            write_at(&created, i64::MAX as u64, b"x".to_vec()).await,
        )
        .unwrap_err();
        show("size after them", created.stat().await.map(|s| s.size)).unwrap();

        // The big file: one stream write, one stream read.
        let big = pattern();
        let file = open(&sb, "big", OpenFlags::CREATE, rw()).await.unwrap();
        show("write big", write_at(&file, 0, big.clone()).await).unwrap();
        let back = read_from(&file, 0).await.unwrap();
        show("read big", Ok((back.len(), sum(&back), back == big))).unwrap();
        let part = read_from(&file, (3 << 20) - 10).await.unwrap();
        show("read big tail", Ok(part)).unwrap();

        // Flags and their errors.
        show_unit(
            "create exclusive existing",
            open(&sb, "a.txt", OpenFlags::CREATE | OpenFlags::EXCLUSIVE, rw()).await,
        )
        .unwrap_err();
        show_unit(
            "open missing",
            open(&sb, "missing", OpenFlags::empty(), DescriptorFlags::READ).await,
        )
        .unwrap_err();
        show_unit(
            "open file as directory",
            open(&sb, "a.txt", OpenFlags::DIRECTORY, DescriptorFlags::READ).await,
        )
        .unwrap_err();
        show_unit(
            "directory with create",
            open(
                &sb,
                "d",
                OpenFlags::DIRECTORY | OpenFlags::CREATE,
                DescriptorFlags::READ,
            )
            .await,
        )
        .unwrap_err();
        show_unit(
            "sync flag",
            open(
                &sb,
                "a.txt",
                OpenFlags::empty(),
                DescriptorFlags::FILE_INTEGRITY_SYNC,
            )
            .await,
        )
        .unwrap_err();
        let trunc = open(&sb, "a.txt", OpenFlags::TRUNCATE, rw()).await;
        show_unit("truncate", trunc).unwrap();
        show("size after truncate", created.stat().await.map(|s| s.size)).unwrap();
        let reader = open(&sb, "a.txt", OpenFlags::empty(), DescriptorFlags::READ)
            .await
            .unwrap();
        show(
            "write a file opened to read",
            write_at(&reader, 0, b"x".to_vec()).await,
        )
        .unwrap_err();
        show(
            "append a file opened to read",
            append(&reader, b"x".to_vec()).await,
        )
        .unwrap_err();
        // Nothing written: still the file's access checked.
        show(
            "write nothing to a file opened to read",
            write_at(&reader, 0, Vec::new()).await,
        )
        .unwrap_err();
        show(
            "append nothing to a file opened to read",
            append(&reader, Vec::new()).await,
        )
        .unwrap_err();
        show("set-size a file opened to read", reader.set_size(1).await).unwrap_err();
        let writer = open(&sb, "a.txt", OpenFlags::empty(), DescriptorFlags::WRITE)
            .await
            .unwrap();
        show("read a file opened to write", read_from(&writer, 0).await).unwrap_err();
        show(
            "write nothing to a file opened to write",
            write_at(&writer, 0, Vec::new()).await,
        )
        .unwrap();
        show("read a directory", read_from(&sb, 0).await).unwrap_err();
        show("write a directory", write_at(&sb, 0, b"x".to_vec()).await).unwrap_err();
        show("set-size a directory", sb.set_size(0).await).unwrap_err();

        // The read-only preopen.
        show("ro read f", read_file(&ro, "f").await).unwrap();
        show_unit(
            "ro open for write",
            open(&ro, "f", OpenFlags::empty(), rw()).await,
        )
        .unwrap_err();
        show_unit("ro create", open(&ro, "new", OpenFlags::CREATE, rw()).await).unwrap_err();
        let f = open(&ro, "f", OpenFlags::empty(), DescriptorFlags::READ)
            .await
            .unwrap();
        show("ro set-size", f.set_size(0).await).unwrap_err();
        show("ro write stream", write_at(&f, 0, b"x".to_vec()).await).unwrap_err();
        show("ro append stream", append(&f, b"x".to_vec()).await).unwrap_err();
        show("ro get-flags", f.get_flags().await).unwrap();
        show("ro dir get-flags", ro.get_flags().await).unwrap();
        show("sandbox get-flags", sb.get_flags().await).unwrap();

        show("unlink big", sb.unlink_file_at("big".into()).await).unwrap();
        Ok(())
    }
}

guest::p3::export_p3!(Run with_types_in guest::p3);

fn main() {
    unreachable!("a WASI 0.3 command: the host calls wasi:cli/run@0.3.0")
}
