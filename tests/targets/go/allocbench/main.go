// go_allocbench: an allocation-heavy Go workload for memgap's overhead benchmark. It
// references runtime/pprof (so the runtime samples allocations at the default rate, as a
// service exposing net/http/pprof would) and times rounds on request:
//
//   go N     allocate N objects of mixed sizes (most short-lived, one in 64 kept in a
//            ring), answers "ns_per_op X cpu_ns_per_op Y": wall time, and the process's
//            CPU time (user + system, GC workers and probe traps included), which the
//            neighbours' load on a shared machine disturbs far less than wall time
//   profile  write the heap profile to nowhere; answers "profiled". Reachable code that
//            references runtime.MemProfile keeps the runtime's sampling on (default
//            MemProfileRate), as in a service exposing net/http/pprof.
//   quit
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func cpuNanos() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

var (
	ring [4096][]byte
	sink []byte
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
			t0, c0 := time.Now(), cpuNanos()
			work(n)
			fmt.Printf("ns_per_op %.3f cpu_ns_per_op %.3f\n", float64(time.Since(t0).Nanoseconds())/float64(n),
				float64(cpuNanos()-c0)/float64(n))
		case "profile":
			pprof.Lookup("heap").WriteTo(io.Discard, 0)
			fmt.Println("profiled")
		case "quit":
			return
		}
	}
}
