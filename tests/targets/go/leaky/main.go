// go_leaky: a Go service with exactly known memory behaviour for memgap's Go tests.
//
//   - a global map that grows while not paused (a "cache" that is never trimmed)
//   - 137 goroutines created at one site, each blocked forever on a channel receive
//   - tickers that are never stopped (each keeps a runtime timer alive)
//
// It is driven by lines on stdin so that a test can freeze it and then compare what
// memgap reads from outside with what the runtime reports about itself at that moment:
//
//   pause            stop growing; answers "paused"
//   resume           grow again; answers "resumed"
//   metrics PATH     write runtime/metrics (and NumGoroutine) as JSON to PATH; "metrics"
//   spawn N          start N more goroutines from another site (a leak in progress)
//   quit             exit
package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"time"
)

const waiters = 137

var (
	cache   = map[int][]byte{} // the growing global map
	tickers []*time.Ticker      // never stopped
	mu      sync.Mutex
	paused  bool
	block   = make(chan int) // nobody ever sends: the waiters block forever
)

// waiter is the start function of the 137 blocked goroutines.
func waiter(id int) {
	v := <-block
	fmt.Println(id, v)
}

// spawnWaiters is the creation site (gopc) the census must report.
func spawnWaiters() {
	for i := 0; i < waiters; i++ {
		go waiter(i)
	}
}

// spawnMore is a second creation site: its goroutines wait on a select that never fires.
func spawnMore(n int) {
	for i := 0; i < n; i++ {
		go func() {
			select {
			case <-block:
			case <-make(chan struct{}):
			}
		}()
	}
}

func grow() {
	next := 0
	for {
		mu.Lock()
		if !paused {
			for i := 0; i < 64; i++ {
				cache[next] = make([]byte, 1024)
				next++
			}
			tickers = append(tickers, time.NewTicker(time.Hour))
		}
		mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
}

// Everything writeMetrics needs is allocated up front: a metrics read that allocated a
// fresh span would change heap/unused between the target's read and memgap's.
var (
	samples []metrics.Sample
	outBuf  = make([]byte, 0, 1<<16)
)

func initMetrics() {
	for _, d := range metrics.All() {
		if d.Kind == metrics.KindUint64 || d.Kind == metrics.KindFloat64 {
			samples = append(samples, metrics.Sample{Name: d.Name})
		}
	}
}

func appendValue(b []byte, name string, v float64) []byte {
	b = strconv.AppendQuote(b, name)
	b = append(b, ':')
	return strconv.AppendFloat(b, v, 'f', -1, 64)
}

func writeMetrics(path string) error {
	metrics.Read(samples)
	b := append(outBuf[:0], '{')
	for _, s := range samples {
		var v float64
		switch s.Value.Kind() {
		case metrics.KindUint64:
			v = float64(s.Value.Uint64())
		case metrics.KindFloat64:
			v = s.Value.Float64()
		default:
			continue
		}
		b = appendValue(b, s.Name, v)
		b = append(b, ',')
	}
	b = appendValue(b, "NumGoroutine", float64(runtime.NumGoroutine()))
	b = append(b, ',')
	b = appendValue(b, "MemProfileRate", float64(runtime.MemProfileRate))
	b = append(b, '}', '\n')
	return os.WriteFile(path, b, 0o644)
}

func main() {
	initMetrics()
	spawnWaiters()
	go grow()
	in := bufio.NewScanner(os.Stdin)
	fmt.Println("ready")
	for in.Scan() {
		f := strings.Fields(in.Text())
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "pause":
			mu.Lock()
			paused = true
			mu.Unlock()
			fmt.Println("paused")
		case "resume":
			mu.Lock()
			paused = false
			mu.Unlock()
			fmt.Println("resumed")
		case "metrics":
			if err := writeMetrics(f[1]); err != nil {
				fmt.Println("error", err)
			} else {
				fmt.Println("metrics")
			}
		case "spawn":
			n, _ := strconv.Atoi(f[1])
			spawnMore(n)
			fmt.Println("spawned")
		case "quit":
			return
		}
	}
}
