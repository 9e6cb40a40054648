// SQLite 3.46 (the amalgamation crates.io's libsqlite3-sys 0.30.1 ships,
// built with wasi-libc) doing a database's everyday work, for
// tests/sqlite.rs: a real program's file I/O (pread/pwrite at offsets,
// ftruncate, fsync, fstat for the file's size, the journal created, written,
// synced and unlinked, a hot journal rolled back, the lock directory of
// the `unix-dotfile` VFS made and removed) through preview 1.
//
//   c_sqlite work DB MODE  builds DB with journal mode MODE (transactions
//                          committed and one rolled back, deletes, VACUUM,
//                          a second database attached), prints `wait` and
//                          reads a line of stdin (meanwhile the host adds
//                          rows with its own SQLite), then reads what is
//                          there now, adds more, checks the file and closes
//                          it; waits again (the host's SQLite dies in a
//                          transaction), opens the file again and checks
//                          it.
//   c_sqlite writer DB ID N  makes table t if missing, prints `wait` and
//                          reads a line of stdin, then commits N
//                          transactions, each adding a row `ID_SEQ`
//                          (waiting while another process holds the lock;
//                          a millisecond between them), then checks the
//                          file.
//
// Every statement prints its result code and rows; all data is
// deterministic, so two runs' databases are equal byte for byte.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sqlite3.h"

static int print_row(void *unused, int n, char **values, char **names) {
  (void)unused;
  (void)names;
  for (int i = 0; i < n; i++) printf("%s%s", i ? "|" : "", values[i] ? values[i] : "NULL");
  printf("\n");
  return 0;
}

// Runs `sql`, printing its rows and `[rc] sql -> message`; returns rc.
static int run(sqlite3 *db, const char *sql) {
  char *err = 0;
  int rc = sqlite3_exec(db, sql, print_row, 0, &err);
  printf("[%d] %s -> %s\n", rc, sql, err ? err : "ok");
  sqlite3_free(err);
  return rc;
}

// Prints `wait` and reads a line of stdin: the host's turn.
static void wait_for_host(void) {
  char line[16];
  printf("wait\n");
  fflush(stdout);
  if (!fgets(line, sizeof line, stdin)) printf("(stdin closed)\n");
}

// Opens `path` with the VFS `vfs`: `unix-dotfile` (WASI's default: a lock
// directory, so that several processes take turns) or `unix-none` (no
// locks; the only VFS that rolls back a hot journal: the dotfile VFS takes
// its own lock directory for a concurrent writer's).
static sqlite3 *open_db(const char *path, const char *vfs) {
  sqlite3 *db = 0;
  int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs);
  printf("open %s (%s): %d %s\n", path, vfs, rc, sqlite3_errmsg(db));
  if (rc != SQLITE_OK) exit(2);
  return db;
}

static int work(const char *path, const char *mode) {
  char q[512];
  sqlite3 *db = open_db(path, "unix-none");
  snprintf(q, sizeof q, "PRAGMA journal_mode=%s;", mode);
  run(db, q);
  run(db, "PRAGMA temp_store=memory;");
  run(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, body BLOB);");
  run(db, "CREATE INDEX t_name ON t(name);");
  for (int round = 0; round < 5; round++) {
    run(db, "BEGIN;");
    for (int i = 0; i < 300; i++) {
      // Bodies of 0 to 2,999 bytes: pages of every fill, overflow pages.
      snprintf(q, sizeof q,
               "INSERT INTO t(name, body) VALUES('n%d_%03d', "
               "CAST(substr(replace(hex(zeroblob(%d)), '00', 'r%dx'), 1, %d) AS BLOB));",
               round, i, (i * 37) % 3000, round, (i * 37) % 3000);
      if (sqlite3_exec(db, q, 0, 0, 0) != SQLITE_OK) printf("insert %d %d failed\n", round, i);
    }
    run(db, round == 2 ? "ROLLBACK;" : "COMMIT;");
    run(db, "SELECT count(*), sum(length(body)) FROM t;");
  }
  run(db, "DELETE FROM t WHERE id % 3 = 0;");
  run(db, "UPDATE t SET body = zeroblob(5000) WHERE id % 7 = 0;");
  run(db, "SELECT count(*), sum(length(body)), min(name), max(name) FROM t;");
  run(db, "VACUUM;");
  run(db, "PRAGMA integrity_check;");
  snprintf(q, sizeof q, "ATTACH '%s-other' AS o;", path);
  run(db, q);
  run(db, "CREATE TABLE o.u AS SELECT id, name FROM t WHERE id < 500;");
  run(db, "SELECT count(*), max(name) FROM o.u;");
  run(db, "DETACH o;");

  // The host adds rows (and grows the file) while this connection is open.
  wait_for_host();
  run(db, "SELECT count(*), sum(length(body)), max(name) FROM t;");
  run(db, "BEGIN;");
  for (int i = 0; i < 100; i++) {
    snprintf(q, sizeof q, "INSERT INTO t(name, body) VALUES('after_%03d', zeroblob(%d));", i,
             i * 50);
    if (sqlite3_exec(db, q, 0, 0, 0) != SQLITE_OK) printf("insert after_%03d failed\n", i);
  }
  run(db, "COMMIT;");
  run(db, "SELECT count(*), sum(length(body)), max(name) FROM t;");
  run(db, "PRAGMA integrity_check;");
  printf("close: %d\n", sqlite3_close(db));

  // The host's SQLite dies in the middle of a transaction, leaving a hot
  // journal and half-written pages: opened again, SQLite must find the
  // journal and roll the file back.
  wait_for_host();
  db = open_db(path, "unix-none");
  run(db, "SELECT count(*), sum(length(body)), max(name) FROM t;");
  run(db, "PRAGMA integrity_check;");
  printf("close: %d\n", sqlite3_close(db));
  return 0;
}

static int writer(const char *path, const char *id, int n) {
  char q[256];
  sqlite3 *db = open_db(path, "unix-dotfile");
  // The dotfile lock is polled: wait up to a minute for the other writer.
  sqlite3_busy_timeout(db, 60000);
  run(db, "CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, name TEXT, body BLOB);");
  // Started together: each waits for a line of stdin once it is ready.
  wait_for_host();
  int failed = 0;
  for (int i = 0; i < n; i++) {
    snprintf(q, sizeof q,
             "BEGIN IMMEDIATE; INSERT INTO t(name, body) VALUES('%s_%04d', zeroblob(%d)); "
             "COMMIT;",
             id, i, (i * 131) % 2000);
    char *err = 0;
    if (sqlite3_exec(db, q, 0, 0, &err) != SQLITE_OK) {
      printf("transaction %d: %s\n", i, err ? err : "?");
      failed++;
      sqlite3_exec(db, "ROLLBACK;", 0, 0, 0);
    }
    sqlite3_free(err);
    // Between transactions the lock is free for a while: the writers take
    // turns instead of one finishing first.
    usleep(1000);
  }
  printf("writer %s: %d failed\n", id, failed);
  run(db, "PRAGMA integrity_check;");
  printf("close: %d\n", sqlite3_close(db));
  return failed != 0;
}

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "work") == 0) return work(argv[2], argv[3]);
  if (argc == 5 && strcmp(argv[1], "writer") == 0)
    return writer(argv[2], argv[3], atoi(argv[4]));
  fprintf(stderr, "usage: c_sqlite work DB MODE | c_sqlite writer DB ID N\n");
  return 2;
}
