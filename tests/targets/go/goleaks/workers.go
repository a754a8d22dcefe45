// Package goleaks is the code under test of memgap's goroutine-leak target: a Go test
// binary (built with `go test -c`) whose tests leave an exactly known set of goroutines
// blocked when the binary exits, or none at all.
//
//	goleaks.test -test.run '^TestNoLeak$'   leaves no goroutine of its own
//	goleaks.test -test.run '^TestLeak$'     leaves 7 + 3 (see TestLeak)
//
// With GOLEAKS_DUMP=PATH the binary writes the runtime's own goroutine dump
// (runtime.Stack of all goroutines) to PATH just before it exits, once every goroutine
// but the main one is parked: the oracle memgap's census at the exit stop is checked
// against.
package goleaks

import "sync"

// never is never sent on and never closed: whoever receives from it waits forever.
var never = make(chan int)

// StartWorkers starts n workers that wait for work that never comes. This function is
// the creation site memgap must name.
func StartWorkers(n int) {
	for i := 0; i < n; i++ {
		go worker()
	}
}

func worker() { <-never }

// RunAndWait starts n goroutines and waits until all of them have finished: nothing is
// left behind. Returns how many ran.
func RunAndWait(n int) int {
	var wg sync.WaitGroup
	var mu sync.Mutex
	ran := 0
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mu.Lock()
			ran++
			mu.Unlock()
		}()
	}
	wg.Wait()
	return ran
}
