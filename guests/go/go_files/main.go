// File work from 8 goroutines at once through wasi_snapshot_preview1:
// each makes a directory, writes, reads back and renames 20 files; then the
// tree is walked and counted. Built by scripts/build-wasip1-guests.sh (Go
// 1.27, GOOS=wasip1); run by tests/wasip1.rs with the directory as argument.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
)

func main() {
	dir := os.Args[1]
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			sub := filepath.Join(dir, fmt.Sprintf("g%d", g))
			if err := os.MkdirAll(sub, 0o755); err != nil {
				errs <- err
				return
			}
			for i := 0; i < 20; i++ {
				p := filepath.Join(sub, fmt.Sprintf("f%d.txt", i))
				if err := os.WriteFile(p, []byte(fmt.Sprintf("g%d f%d\n", g, i)), 0o644); err != nil {
					errs <- err
					return
				}
				b, err := os.ReadFile(p)
				if err != nil || string(b) != fmt.Sprintf("g%d f%d\n", g, i) {
					errs <- fmt.Errorf("read %s: %v %q", p, err, b)
					return
				}
				if i%2 == 0 {
					if err := os.Rename(p, p+".even"); err != nil {
						errs <- err
						return
					}
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	var names []string
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		names = append(names, fmt.Sprintf("%s %d %v", rel, info.Size(), info.IsDir()))
		return nil
	})
	sort.Strings(names)
	fmt.Println(len(names))
	_, err := os.Stat(filepath.Join(dir, "missing"))
	fmt.Println(os.IsNotExist(err))
}
