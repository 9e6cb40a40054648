//! WASI 0.3 `set-times` and `set-times-at` with instants before the epoch:
//! `{ -1 s, 999999999 ns }` is one nanosecond before it, as the WIT's
//! `instant` says (nanoseconds always count forwards), and a stat gives the
//! same instant back. Prints each stat; the host test checks the host
//! file's times.
use guest::p3::exports::wasi::cli::run::Guest;
use guest::p3::wasi::clocks::system_clock::Instant;
use guest::p3::wasi::filesystem::types::DescriptorStat;
use guest::p3::*;

struct Run;

impl Guest for Run {
    async fn run() -> Result<(), ()> {
        let sb = preopen("/sandbox");
        write_file(&sb, "f", b"f".to_vec()).await.unwrap();
        let at = |seconds, nanoseconds| {
            NewTimestamp::Timestamp(Instant {
                seconds,
                nanoseconds,
            })
        };
        show(
            "set-times-at f",
            sb.set_times_at(
                PathFlags::empty(),
                "f".into(),
                at(-2, 500_000_000),
                at(-1, 999_999_999),
            )
            .await,
        )
        .unwrap();
        let times = |s: DescriptorStat| {
            let t = |i: Option<Instant>| i.map(|i| (i.seconds, i.nanoseconds));
            (t(s.data_access_timestamp), t(s.data_modification_timestamp))
        };
        show(
            "stat-at f",
            sb.stat_at(PathFlags::empty(), "f".into()).await.map(times),
        )
        .unwrap();
        let f = open(&sb, "f", OpenFlags::empty(), DescriptorFlags::WRITE)
            .await
            .unwrap();
        show(
            "set-times",
            f.set_times(NewTimestamp::NoChange, at(-3, 1)).await,
        )
        .unwrap();
        show("stat", f.stat().await.map(times)).unwrap();
        Ok(())
    }
}

guest::p3::export_p3!(Run with_types_in guest::p3);

fn main() {
    unreachable!("a WASI 0.3 command: the host calls wasi:cli/run@0.3.0")
}
