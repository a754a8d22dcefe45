// go_allocbench: an allocation-heavy Go workload for memgap's overhead benchmark. It
// references runtime/pprof (so the runtime samples allocations at the default rate, as a
// service exposing net/http/pprof would) and times rounds on request:
//
//   go N     allocate N objects of mixed sizes (most short-lived, one in 64 kept in a
//            ring), answers "ns_per_op X"
//   quit
package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"
)

var (
	ring [4096][]byte
	sink []byte
	_    = pprof.Lookup // keeps runtime.MemProfile referenced: sampling stays on
)

//go:noinline
func work(n int) {
	sizes := [...]int{16, 48, 128, 512, 2048, 8192}
	for i := 0; i < n; i++ {
		b := make([]byte, sizes[i%len(sizes)])
		if i%64 == 0 {
			ring[(i/64)%len(ring)] = b
		} else {
			sink = b
		}
	}
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	fmt.Println("ready")
	for in.Scan() {
		f := strings.Fields(in.Text())
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "go":
			n, _ := strconv.Atoi(f[1])
			t0 := time.Now()
			work(n)
			fmt.Printf("ns_per_op %.3f\n", float64(time.Since(t0).Nanoseconds())/float64(n))
		case "quit":
			return
		}
	}
}
