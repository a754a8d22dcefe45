// go_hello: the smallest Go service memgap must read, built without runtime/metrics
// (like most real programs: the linker then drops the runtime's metrics code, which a
// stripped binary's globals must not depend on). It blocks on stdin:
//
//   spawn N         start N goroutines blocked forever on a channel receive; "spawned"
//   alloc N         keep N more KiB of live heap in 1 KiB objects; "allocated"
//   gc              runtime.GC(); "gc"
//   stats PATH      write runtime.ReadMemStats (the runtime's own account, read with the
//                   world stopped) and runtime.NumGoroutine as JSON to PATH; "stats"
//   hold N          answer "holding", start N goroutines and spin without a preemption
//                   point: run with GOMAXPROCS=1 GODEBUG=asyncpreemptoff=1, the N stay
//                   runnable and never start (their g.sched is what newproc1 set up)
//   quit            exit
package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
)

var (
	block = make(chan int) // nobody ever sends
	kept  [][]byte
)

// sleeper is the start function of the spawned goroutines.
func sleeper() { <-block }

func writeStats(path string) error {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = fmt.Fprintf(f, `{"HeapAlloc": %d, "HeapObjects": %d, "HeapInuse": %d, "HeapIdle": %d, `+
		`"HeapReleased": %d, "HeapSys": %d, "StackInuse": %d, "StackSys": %d, "MSpanInuse": %d, `+
		`"MCacheInuse": %d, "BuckHashSys": %d, "Sys": %d, "NextGC": %d, "NumGC": %d, `+
		`"NumForcedGC": %d, "Mallocs": %d, "Frees": %d, "TotalAlloc": %d, "NumGoroutine": %d}`+"\n",
		m.HeapAlloc, m.HeapObjects, m.HeapInuse, m.HeapIdle, m.HeapReleased, m.HeapSys, m.StackInuse,
		m.StackSys, m.MSpanInuse, m.MCacheInuse, m.BuckHashSys, m.Sys, m.NextGC, m.NumGC,
		m.NumForcedGC, m.Mallocs, m.Frees, m.TotalAlloc, runtime.NumGoroutine())
	return err
}

func main() {
	fmt.Println("ready")
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		f := strings.Fields(in.Text())
		if len(f) == 0 {
			continue
		}
		n := 0
		if len(f) > 1 {
			n, _ = strconv.Atoi(f[1])
		}
		switch f[0] {
		case "spawn":
			for i := 0; i < n; i++ {
				go sleeper()
			}
			fmt.Println("spawned")
		case "alloc":
			for i := 0; i < n; i++ {
				kept = append(kept, make([]byte, 1024))
			}
			fmt.Println("allocated")
		case "gc":
			runtime.GC()
			fmt.Println("gc")
		case "stats":
			if len(f) < 2 || writeStats(f[1]) != nil {
				fmt.Println("error")
				continue
			}
			fmt.Println("stats")
		case "hold":
			fmt.Println("holding")
			for i := 0; i < n; i++ {
				go sleeper()
			}
			for {
			}
		case "quit":
			return
		}
	}
}
