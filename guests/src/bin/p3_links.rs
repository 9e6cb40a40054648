//! WASI 0.3 links and renames: `symlink-at`, `readlink-at`, `link-at`,
//! `rename-at` (files, directories, over existing names, across
//! directories), `metadata-hash(-at)`, `is-same-object`, `stat-at` with and
//! without `symlink-follow`, and their errors.
use guest::p3::exports::wasi::cli::run::Guest;
use guest::p3::*;

struct Run;

/// A metadata hash, comparable.
fn key(hash: guest::p3::wasi::filesystem::types::MetadataHashValue) -> (u64, u64) {
    (hash.lower, hash.upper)
}

impl Guest for Run {
    async fn run() -> Result<(), ()> {
        let sb = preopen("/sandbox");
        let ro = preopen("/ro");
        write_file(&sb, "a", b"aaa".to_vec()).await.unwrap();
        show(
            "symlink s -> a",
            sb.symlink_at("a".into(), "s".into()).await,
        )
        .unwrap();
        show("symlink again", sb.symlink_at("a".into(), "s".into()).await).unwrap_err();
        show(
            "symlink absolute",
            sb.symlink_at("/etc".into(), "abs".into()).await,
        )
        .unwrap_err();
        show("readlink s", sb.readlink_at("s".into()).await).unwrap();
        show("readlink a file", sb.readlink_at("a".into()).await).unwrap_err();
        show(
            "readlink out (absolute)",
            sb.readlink_at("out".into()).await,
        )
        .unwrap_err();
        let nofollow = sb.stat_at(PathFlags::empty(), "s".into()).await;
        show("stat-at s", nofollow.map(|s| s.type_)).unwrap();
        let follow = sb.stat_at(PathFlags::SYMLINK_FOLLOW, "s".into()).await;
        show("stat-at s, following", follow.map(|s| (s.type_, s.size))).unwrap();
        show("read through s", read_file(&sb, "s").await.map(|_| ())).unwrap_err();
        let through = sb
            .open_at(
                PathFlags::SYMLINK_FOLLOW,
                "s".into(),
                OpenFlags::empty(),
                DescriptorFlags::READ,
            )
            .await;
        let through = show_unit("open s, following", through).unwrap();
        show("read it", read_from(&through, 0).await).unwrap();

        show(
            "link b -> a",
            sb.link_at(PathFlags::empty(), "a".into(), &sb, "b".into())
                .await,
        )
        .unwrap();
        show(
            "link onto existing",
            sb.link_at(PathFlags::empty(), "a".into(), &sb, "b".into())
                .await,
        )
        .unwrap_err();
        show(
            "link following",
            sb.link_at(PathFlags::SYMLINK_FOLLOW, "s".into(), &sb, "c".into())
                .await,
        )
        .unwrap_err();
        show(
            "link a directory",
            sb.link_at(PathFlags::empty(), ".".into(), &sb, "c".into())
                .await,
        )
        .unwrap_err();
        show(
            "nlink of a",
            sb.stat_at(PathFlags::empty(), "a".into())
                .await
                .map(|s| s.link_count),
        )
        .unwrap();
        let ha = key(sb
            .metadata_hash_at(PathFlags::empty(), "a".into())
            .await
            .unwrap());
        let hb = key(sb
            .metadata_hash_at(PathFlags::empty(), "b".into())
            .await
            .unwrap());
        let hs = key(sb
            .metadata_hash_at(PathFlags::SYMLINK_FOLLOW, "s".into())
            .await
            .unwrap());
        let hl = key(sb
            .metadata_hash_at(PathFlags::empty(), "s".into())
            .await
            .unwrap());
        println!(
            "hash a == b: {}, == s followed: {}, == s itself: {}",
            ha == hb,
            ha == hs,
            ha == hl
        );
        let fa = open(&sb, "a", OpenFlags::empty(), DescriptorFlags::READ)
            .await
            .unwrap();
        let fb = open(&sb, "b", OpenFlags::empty(), DescriptorFlags::READ)
            .await
            .unwrap();
        println!("is-same-object a b: {}", fa.is_same_object(&fb).await);
        println!("is-same-object a sandbox: {}", fa.is_same_object(&sb).await);
        println!(
            "hash of open a == hash-at a: {}",
            key(fa.metadata_hash().await.unwrap()) == ha
        );

        sb.create_directory_at("d1".into()).await.unwrap();
        sb.create_directory_at("d2".into()).await.unwrap();
        show(
            "rename a -> d1/a",
            sb.rename_at("a".into(), &sb, "d1/a".into()).await,
        )
        .unwrap();
        show("renamed still open", read_from(&fa, 0).await).unwrap();
        println!(
            "still the same: {}",
            key(fa.metadata_hash().await.unwrap()) == ha
        );
        show(
            "rename missing",
            sb.rename_at("a".into(), &sb, "z".into()).await,
        )
        .unwrap_err();
        show(
            "rename b over d1/a",
            sb.rename_at("b".into(), &sb, "d1/a".into()).await,
        )
        .unwrap();
        show(
            "nlink after",
            sb.stat_at(PathFlags::empty(), "d1/a".into())
                .await
                .map(|s| s.link_count),
        )
        .unwrap();
        let d1 = open(&sb, "d1", OpenFlags::DIRECTORY, DescriptorFlags::READ)
            .await
            .unwrap();
        let d2 = open(&sb, "d2", OpenFlags::DIRECTORY, DescriptorFlags::READ)
            .await
            .unwrap();
        show(
            "rename across descriptors",
            d1.rename_at("a".into(), &d2, "moved".into()).await,
        )
        .unwrap();
        show(
            "rename dir d2 -> d1/d2",
            sb.rename_at("d2".into(), &sb, "d1/d2".into()).await,
        )
        .unwrap();
        show("d2 moved with it", names(&d2).await).unwrap();
        show(
            "rename dir over a non-empty one",
            sb.rename_at("d1".into(), &sb, "d1/d2".into()).await,
        )
        .unwrap_err();
        show(
            "rename a file over a dir",
            d1.rename_at("d2/moved".into(), &sb, "d1".into()).await,
        )
        .unwrap_err();
        show("rename .", sb.rename_at(".".into(), &sb, "x".into()).await).unwrap_err();
        show(
            "rename dangling symlink",
            sb.rename_at("s".into(), &sb, "s2".into()).await,
        )
        .unwrap();
        show("readlink s2", sb.readlink_at("s2".into()).await).unwrap();
        show(
            "rename into ro",
            sb.rename_at("s2".into(), &ro, "s3".into()).await,
        )
        .unwrap_err();
        show(
            "link into ro",
            sb.link_at(PathFlags::empty(), "d1/d2/moved".into(), &ro, "l".into())
                .await,
        )
        .unwrap_err();
        show("ro symlink", ro.symlink_at("f".into(), "l".into()).await).unwrap_err();
        show("ro readlink f", ro.readlink_at("f".into()).await).unwrap_err();
        show("sandbox names", names(&sb).await).unwrap();
        show("d1 names", names(&d1).await).unwrap();
        Ok(())
    }
}

guest::p3::export_p3!(Run with_types_in guest::p3);

fn main() {
    unreachable!("a WASI 0.3 command: the host calls wasi:cli/run@0.3.0")
}
