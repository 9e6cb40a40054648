//! A Zig program's file work through its standard library on
//! `wasm32-wasi` (preview 1): the first preopen (`/sandbox`) is Zig's cwd.
//! Each step prints what it did or the error Zig names, so the two
//! preview 1 implementations are compared line by line (tests/wasip1.rs).
const std = @import("std");

fn show(comptime what: []const u8, result: anytype) void {
    const out = std.io.getStdOut().writer();
    if (result) |value| {
        switch (@TypeOf(value)) {
            void => out.print(what ++ ": ok\n", .{}) catch {},
            []u8, []const u8 => out.print(what ++ ": ok \"{s}\"\n", .{value}) catch {},
            else => out.print(what ++ ": ok {any}\n", .{value}) catch {},
        }
    } else |err| {
        out.print(what ++ ": err {s}\n", .{@errorName(err)}) catch {};
    }
}

fn writeFile(dir: std.fs.Dir, path: []const u8, data: []const u8) !void {
    var f = try dir.createFile(path, .{ .exclusive = true });
    defer f.close();
    try f.writeAll(data);
}

fn readFile(dir: std.fs.Dir, path: []const u8, buf: []u8) ![]u8 {
    var f = try dir.openFile(path, .{});
    defer f.close();
    const n = try f.readAll(buf);
    return buf[0..n];
}

fn size(dir: std.fs.Dir, path: []const u8) !u64 {
    const st = try dir.statFile(path);
    return st.size;
}

fn kind(dir: std.fs.Dir, path: []const u8) ![]const u8 {
    var f = try dir.openFile(path, .{});
    defer f.close();
    const st = try f.stat();
    return @tagName(st.kind);
}

fn append(dir: std.fs.Dir, path: []const u8, data: []const u8) !void {
    var f = try dir.openFile(path, .{ .mode = .write_only });
    defer f.close();
    try f.seekFromEnd(0);
    try f.writeAll(data);
}

fn list(dir: std.fs.Dir, path: []const u8, buf: []u8) ![]u8 {
    var d = try dir.openDir(path, .{ .iterate = true });
    defer d.close();
    var names: [32][]const u8 = undefined;
    var storage: [32][64]u8 = undefined;
    var n: usize = 0;
    var it = d.iterate();
    while (try it.next()) |entry| {
        if (n == names.len) break;
        @memcpy(storage[n][0..entry.name.len], entry.name);
        names[n] = storage[n][0..entry.name.len];
        n += 1;
    }
    std.mem.sort([]const u8, names[0..n], {}, struct {
        fn lt(_: void, a: []const u8, b: []const u8) bool {
            return std.mem.lessThan(u8, a, b);
        }
    }.lt);
    var fbs = std.io.fixedBufferStream(buf);
    for (names[0..n], 0..) |name, i| {
        if (i > 0) try fbs.writer().writeByte(' ');
        try fbs.writer().writeAll(name);
    }
    return fbs.getWritten();
}

pub fn main() void {
    const cwd = std.fs.cwd();
    var buf: [256]u8 = undefined;
    var buf2: [256]u8 = undefined;

    show("mkdir zig", cwd.makeDir("zig"));
    show("mkdir zig again", cwd.makeDir("zig"));
    show("mkpath zig/a/b", cwd.makePath("zig/a/b"));
    show("write zig/hello.txt", writeFile(cwd, "zig/hello.txt", "hello from zig\n"));
    show("write zig/hello.txt again", writeFile(cwd, "zig/hello.txt", "x"));
    show("read zig/hello.txt", readFile(cwd, "zig/hello.txt", &buf));
    show("append", append(cwd, "zig/hello.txt", "more\n"));
    show("size", size(cwd, "zig/hello.txt"));
    show("kind of zig/a", kind(cwd, "zig/a"));
    show("read missing", readFile(cwd, "zig/missing", &buf));
    show("read a directory", readFile(cwd, "zig/a", &buf));
    show("copy", cwd.copyFile("zig/hello.txt", cwd, "zig/a/copy.txt", .{}));
    show("rename", cwd.rename("zig/a/copy.txt", "zig/a/b/moved.txt"));
    show("read moved", readFile(cwd, "zig/a/b/moved.txt", &buf));
    show("symlink", cwd.symLink("hello.txt", "zig/link", .{}));
    show("readlink", cwd.readLink("zig/link", &buf2));
    show("read through link", readFile(cwd, "zig/link", &buf));
    show("list zig", list(cwd, "zig", &buf2));
    show("delete missing", cwd.deleteFile("zig/missing"));
    show("delete a directory as a file", cwd.deleteFile("zig/a"));
    show("rmdir non-empty", cwd.deleteDir("zig/a"));
    show("delete link", cwd.deleteFile("zig/link"));
    show("delete tree zig/a", cwd.deleteTree("zig/a"));
    show("list zig after", list(cwd, "zig", &buf2));
    show("escape by ..", readFile(cwd, "../outside/secret", &buf));
    show("escape by symlink", readFile(cwd, "up/secret", &buf));
    show("escape by absolute symlink", readFile(cwd, "out/secret", &buf));
    show("mkdir through escape", cwd.makeDir("up/made-by-zig"));
}
