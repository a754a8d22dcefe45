package goleaks

import (
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestNoLeak joins every goroutine it starts. It also uses os/signal, whose package
// starts one goroutine of its own (os/signal.loop) that stays until exit: the standard
// library's, not the test's (goleak ignores it too).
func TestNoLeak(t *testing.T) {
	if got := RunAndWait(8); got != 8 {
		t.Fatalf("RunAndWait(8) ran %d", got)
	}
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGUSR1)
	signal.Stop(c)
}

// TestLeak passes but leaves 10 goroutines behind: 7 workers created in StartWorkers
// (blocked on a channel receive) and 3 created here (blocked in a select).
func TestLeak(t *testing.T) {
	StartWorkers(7)
	for i := 0; i < 3; i++ {
		go func() {
			select {
			case <-never:
			case <-time.After(time.Hour):
			}
		}()
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	if path := os.Getenv("GOLEAKS_DUMP"); path != "" {
		if err := os.WriteFile(path, parkedDump(), 0o644); err != nil {
			os.Exit(3)
		}
	}
	os.Exit(code)
}

// parkedDump waits (at most 10 s) until no goroutine but this one is running or
// runnable, so that every wait reason is final, and returns the runtime's dump.
func parkedDump() []byte {
	buf := make([]byte, 1<<20)
	deadline := time.Now().Add(10 * time.Second)
	for {
		n := runtime.Stack(buf, true)
		dump := buf[:n]
		busy := 0
		for _, g := range strings.Split(string(dump), "\n\n")[1:] { // [0] is this goroutine
			if strings.Contains(g, "[running]") || strings.Contains(g, "[runnable]") {
				busy++
			}
		}
		if busy == 0 || time.Now().After(deadline) {
			return dump
		}
		time.Sleep(time.Millisecond)
	}
}
