"""Everyday file work by CPython (wasm32-wasip1) in /sandbox/w: each step
prints its result or the errno's name, for the test to compare under
directfs and under wasmtime-wasi (tests/cpython.rs)."""

import errno
import glob
import io
import json
import os
import pathlib
import shutil
import sqlite3
import sys
import zipfile

W = "/sandbox/w"


def step(name, f):
    try:
        r = f()
    except OSError as e:
        print(name, "err", errno.errorcode.get(e.errno, e.errno))
    except Exception as e:  # noqa: BLE001 - the type is the result
        print(name, "raised", type(e).__name__)
    else:
        print(name, "ok", "" if r is None else r)


def p(*names):
    return os.path.join(W, *names)


def append(path, text):
    with open(path, "a") as f:
        f.write(text)


def seek_read():
    with open(p("a.txt"), "rb") as f:
        f.seek(2)
        head = f.read(3)
        return head, f.tell(), f.seek(0, io.SEEK_END)


def rw_plus():
    with open(p("rw.bin"), "w+b") as f:
        f.write(b"0123456789")
        f.seek(4)
        f.write(b"xy")
        f.seek(0)
        return f.read()


def tree(top):
    out = []
    for dirpath, dirs, files in os.walk(top):
        dirs.sort()
        out.append((os.path.relpath(dirpath, top), sorted(files)))
    return out


def scandir_types():
    return sorted(
        (e.name, e.is_dir(follow_symlinks=False), e.is_symlink())
        for e in os.scandir(W)
    )


def zip_round_trip():
    with zipfile.ZipFile(p("z.zip"), "w", zipfile.ZIP_DEFLATED) as z:
        # A fixed time: the archive's bytes are compared across runs.
        inner = zipfile.ZipInfo("inner/x.txt", date_time=(2020, 1, 1, 0, 0, 0))
        z.writestr(inner, "zipped " * 100, zipfile.ZIP_DEFLATED)
        z.write(p("a.txt"), "a.txt")
    with zipfile.ZipFile(p("z.zip")) as z:
        return sorted(z.namelist()), len(z.read("inner/x.txt"))


def sqlite_round_trip():
    db = sqlite3.connect(p("db.sqlite"))
    db.execute("create table t (k integer primary key, v text)")
    db.executemany("insert into t (v) values (?)", [(str(i),) for i in range(100)])
    db.commit()
    n = db.execute("select count(*), sum(k) from t").fetchone()
    db.close()
    return n


def json_round_trip():
    data = {"names": sorted(os.listdir(W)), "n": 3}
    with open(p("data.json"), "w") as f:
        json.dump(data, f)
    with open(p("data.json")) as f:
        return json.load(f) == data


def main():
    os.mkdir(W)
    step("mkdir again", lambda: os.mkdir(W))
    step("write", lambda: pathlib.Path(p("a.txt")).write_text("hello\n"))
    step("read", lambda: pathlib.Path(p("a.txt")).read_text())
    step("append", lambda: append(p("a.txt"), "more\n"))
    step("size", lambda: os.stat(p("a.txt")).st_size)
    step("seek read", seek_read)
    step("w+b", rw_plus)
    step("exclusive create existing", lambda: open(p("a.txt"), "x"))
    step("exclusive create", lambda: open(p("x.txt"), "x").close())
    step("open missing", lambda: open(p("missing")))
    step("open dir for write", lambda: open(W, "w"))
    step("read dir as file", lambda: open(W).read())
    step("makedirs", lambda: os.makedirs(p("d", "e", "f")))
    step("makedirs existing", lambda: os.makedirs(p("d", "e", "f")))
    step("makedirs exist_ok", lambda: os.makedirs(p("d", "e", "f"), exist_ok=True))
    step("file in it", lambda: pathlib.Path(p("d", "e", "f", "g.txt")).write_text("g\n"))
    step("rmdir not empty", lambda: os.rmdir(p("d")))
    step("unlink a directory", lambda: os.unlink(p("d")))
    step("rmdir a file", lambda: os.rmdir(p("a.txt")))
    step("rename", lambda: os.rename(p("x.txt"), p("y.txt")))
    step("rename missing", lambda: os.rename(p("x.txt"), p("z.txt")))
    step("replace over", lambda: os.replace(p("y.txt"), p("a.txt")))
    step("read replaced", lambda: pathlib.Path(p("a.txt")).read_text())
    step("write again", lambda: pathlib.Path(p("a.txt")).write_text("hello\n"))
    step("rename dir over file", lambda: os.rename(p("d"), p("a.txt")))
    step("symlink", lambda: os.symlink("a.txt", p("ln")))
    step("symlink existing", lambda: os.symlink("a.txt", p("ln")))
    step("readlink", lambda: os.readlink(p("ln")))
    step("read through link", lambda: pathlib.Path(p("ln")).read_text())
    step("islink", lambda: (os.path.islink(p("ln")), os.path.islink(p("a.txt"))))
    step("dangling", lambda: os.symlink("nowhere", p("dangling")))
    step("exists dangling", lambda: (os.path.exists(p("dangling")), os.path.lexists(p("dangling"))))
    step("escape by link", lambda: os.symlink("../../outside", p("esc")))
    step("read escape", lambda: open(p("esc")).read())
    step("read escape by dots", lambda: open("/sandbox/../outside").read())
    step("hard link", lambda: os.link(p("a.txt"), p("hard")))
    step("nlink", lambda: os.stat(p("a.txt")).st_nlink)
    step("samefile", lambda: os.path.samefile(p("a.txt"), p("hard")))
    step("truncate", lambda: os.truncate(p("hard"), 3))
    step("size after truncate", lambda: os.stat(p("a.txt")).st_size)
    step("utime", lambda: os.utime(p("a.txt"), (1_000_000, 2_000_000)))
    step("mtime", lambda: (os.stat(p("a.txt")).st_mtime, os.stat(p("a.txt")).st_atime))
    step("utime ns", lambda: os.utime(p("a.txt"), ns=(5, 1_500_000_000_123_456_789)))
    step("mtime ns", lambda: os.stat(p("a.txt")).st_mtime_ns)
    step("scandir", scandir_types)
    step("walk", lambda: tree(W))
    step("copytree", lambda: shutil.copytree(p("d"), p("d2")) and None)
    step("copy2", lambda: shutil.copy2(p("a.txt"), p("d2", "a.copy")) and None)
    step("copied mtime", lambda: os.stat(p("d2", "a.copy")).st_mtime_ns)
    step("move dir", lambda: shutil.move(p("d2"), p("d3")) and None)
    step("glob", lambda: sorted(glob.glob(W + "/**/*.txt", recursive=True)))
    step("pathlib glob", lambda: sorted(str(x) for x in pathlib.Path(W).rglob("*.copy")))
    step("zip", zip_round_trip)
    step("sqlite", sqlite_round_trip)
    step("json", json_round_trip)
    step("rmtree", lambda: shutil.rmtree(p("d3")))
    step("rmtree missing", lambda: shutil.rmtree(p("d3")))
    step("remove link", lambda: os.remove(p("ln")))
    step("listdir", lambda: sorted(os.listdir(W)))
    step("listdir missing", lambda: os.listdir(p("nope")))
    step("listdir file", lambda: os.listdir(p("a.txt")))
    step("ro write", lambda: open("/ro/new", "w"))
    step("ro read", lambda: open("/ro/f").read())
    step("ro mkdir", lambda: os.mkdir("/ro/d"))
    step("cwd", os.getcwd)
    step("chdir", lambda: os.chdir(W))
    step("relative read", lambda: open("a.txt").read())
    step("relative listdir", lambda: sorted(os.listdir(".")))
    print("done", file=sys.stderr)


main()
