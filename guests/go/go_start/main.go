// Starts and exits: the Go runtime's start-up (clocks, random, args,
// environment, preopens) through wasi_snapshot_preview1, then exit status
// 7. Built by scripts/build-wasip1-guests.sh; run by tests/wasip1.rs.
package main

import (
	"fmt"
	"os"
	"time"
)

func main() {
	start := time.Now()
	time.Sleep(time.Millisecond)
	fmt.Println("args:", os.Args[1:])
	fmt.Println("GREETING:", os.Getenv("GREETING"))
	fmt.Println("slept:", time.Since(start) >= time.Millisecond)
	os.Exit(7)
}
