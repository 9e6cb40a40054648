//! WASI 0.3 directories: `create-directory-at`, `read-directory` of a
//! 1,500-entry directory (a stream fed page by page), `remove-directory-at`,
//! `unlink-file-at`, `stat-at`, and their errors, in a read-write and a
//! read-only preopen.
use guest::p3::exports::wasi::cli::run::Guest;
use guest::p3::*;

struct Run;

impl Guest for Run {
    async fn run() -> Result<(), ()> {
        let sb = preopen("/sandbox");
        let ro = preopen("/ro");
        show("mkdir d", sb.create_directory_at("d".into()).await).unwrap();
        show("mkdir d/e", sb.create_directory_at("d/e".into()).await).unwrap();
        show("mkdir d again", sb.create_directory_at("d".into()).await).unwrap_err();
        show(
            "mkdir in missing",
            sb.create_directory_at("x/y".into()).await,
        )
        .unwrap_err();
        show("mkdir .", sb.create_directory_at(".".into()).await).unwrap_err();
        let stat = sb.stat_at(PathFlags::empty(), "d/e".into()).await;
        show("stat-at d/e", stat.map(|s| s.type_)).unwrap();
        let d = open(&sb, "d", OpenFlags::DIRECTORY, DescriptorFlags::READ)
            .await
            .unwrap();
        show("open d", d.get_type().await).unwrap();
        show("d get-flags", d.get_flags().await).unwrap();
        for i in 0..1500 {
            write_file(&d, &format!("f{i:04}"), vec![b'x'; i % 7])
                .await
                .unwrap();
        }
        let entries = list(&d).await.unwrap();
        println!("read-directory d: {} entries", entries.len());
        let files = entries
            .iter()
            .filter(|(_, t)| matches!(t, DescriptorType::RegularFile))
            .count();
        println!("regular files: {files}");
        println!("first: {:?}, last: {:?}", entries.first(), entries.last());
        let expected: Vec<String> = std::iter::once("e".to_string())
            .chain((0..1500).map(|i| format!("f{i:04}")))
            .collect();
        println!("names as made: {}", names(&d).await.unwrap() == expected);
        show(
            "rmdir d (not empty)",
            sb.remove_directory_at("d".into()).await,
        )
        .unwrap_err();
        show(
            "rmdir a file",
            sb.remove_directory_at("d/f0000".into()).await,
        )
        .unwrap_err();
        show("unlink a directory", sb.unlink_file_at("d/e".into()).await).unwrap_err();
        show("unlink missing", sb.unlink_file_at("d/nope".into()).await).unwrap_err();
        for i in 0..1500 {
            d.unlink_file_at(format!("f{i:04}")).await.unwrap();
        }
        show("after unlinks", names(&d).await).unwrap();
        show("rmdir d/e", d.remove_directory_at("e".into()).await).unwrap();
        show("list an emptied d", list(&d).await).unwrap();
        show("rmdir d", sb.remove_directory_at("d".into()).await).unwrap();
        show("stat d", d.stat().await.map(|s| s.link_count)).unwrap();
        show("list a removed d", list(&d).await).unwrap();
        show(
            "mkdir in a removed d",
            d.create_directory_at("z".into()).await,
        )
        .unwrap_err();
        show("list a file", read_file(&sb, "up").await.map(|_| ())).unwrap_err();
        let file = open(&sb, "file", OpenFlags::CREATE, rw()).await.unwrap();
        show("read-directory of a file", list(&file).await).unwrap_err();
        show("unlink file", sb.unlink_file_at("file".into()).await).unwrap();
        show("sandbox names", names(&sb).await).unwrap();

        // The read-only preopen.
        show("ro list", list(&ro).await).unwrap();
        show("ro mkdir", ro.create_directory_at("n".into()).await).unwrap_err();
        show("ro unlink", ro.unlink_file_at("f".into()).await).unwrap_err();
        show("ro rmdir", ro.remove_directory_at("f".into()).await).unwrap_err();
        show(
            "ro stat-at f",
            ro.stat_at(PathFlags::empty(), "f".into())
                .await
                .map(|s| s.size),
        )
        .unwrap();
        Ok(())
    }
}

guest::p3::export_p3!(Run with_types_in guest::p3);

fn main() {
    unreachable!("a WASI 0.3 command: the host calls wasi:cli/run@0.3.0")
}
