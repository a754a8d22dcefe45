// go_heapprof: a Go program with exactly known heap behaviour for memgap's allocation
// sites (issue 8). It references runtime/pprof, so the runtime samples allocations at
// the default MemProfileRate (512 KiB), and it writes its own in-use profile on request
// so a test can compare memgap's ranking with runtime/pprof's.
//
//   - retainBuffers keeps 48 × 1 MiB alive (the site that retains the most)
//   - pinArray allocates one 16 MiB array and keeps only a 10-byte subslice of it: the
//     whole array stays live, attributed to pinArray
//   - pinString converts an 8 MiB byte buffer (made by letters, garbage afterwards) to a
//     string and keeps a 16-byte substring of it: the string's whole 8 MiB array stays
//     live, attributed to pinString
//   - churn allocates and drops small objects (garbage that must not rank)
//   - cache is a global map grown to exactly `grow N` entries
//   - smallNodes, smallWords, tinyInts and smallSlices make N small objects each, of
//     exactly known sizes, by the routes the runtime has for them: new(T) of a pointerful
//     16-byte and a pointer-free 24-byte struct and of an int32 (which go1.27's compiler
//     hands straight to size-specialised mallocs, around mallocgc), and make([]byte, 40)
//     of a length known only at run time (through mallocgc, which go1.27 dispatches to the
//     same specialised functions)
//   - deepNodes makes one node per level of an 16-deep recursion with 1 KiB frames in
//     each of N fresh goroutines: their small stacks grow three times while allocating,
//     some growths in the prologue of an allocation function itself (which morestack
//     then restarts)
//
// Commands on stdin (one answer line each):
//
//   gc               runtime.GC() so the runtime publishes its profile; "gc"
//   pprof PATH       runtime.GC(), then write runtime/pprof's heap profile to PATH; "pprof"
//   grow N           add N entries to cache; answers "len L"
//   iter N           range over cache N times (scanCache); answers "iterated"
//   go               churn, then runtime.GC(); answers "done" (attach_helpers' round)
//   small N          N × (node 16 B, words 24 B, int32 4 B, []byte 40 B); answers "small"
//   deep N           N goroutines × 16 nodes made at main.deepNodes; answers "deep"
//   quit             exit
package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
)

var (
	retained [][]byte
	pinned   []byte
	pinnedS  string
	cache    = map[int][]byte{}
	sink     []byte
)

// Small objects whose allocation route depends on the release (see the header).
type node struct {
	next *node
	v    int
}

var (
	nodeSink  *node
	wordsSink *[3]int64
	tinySink  *int32
	smallLen  = 40 // a variable, so make([]byte, smallLen) goes through mallocgc
)

//go:noinline
func retainBuffers() {
	for i := 0; i < 48; i++ {
		retained = append(retained, make([]byte, 1<<20))
	}
}

//go:noinline
func pinArray() {
	big := make([]byte, 16<<20)
	for i := range big[:4096] {
		big[i] = byte(i)
	}
	pinned = big[100:110]
}

//go:noinline
func letters(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = 'a' + byte(i%26)
	}
	return b
}

//go:noinline
func pinString() {
	s := string(letters(8 << 20)) // the string's own 8 MiB array is allocated here
	pinnedS = s[200:216]
}

//go:noinline
func churn() {
	for i := 0; i < 20000; i++ {
		sink = make([]byte, 256)
	}
	sink = nil
}

//go:noinline
func growCache(n int) {
	next := len(cache)
	for i := 0; i < n; i++ {
		cache[next+i] = make([]byte, 64)
	}
}

//go:noinline
func scanCache(n int) int {
	total := 0
	for i := 0; i < n; i++ {
		for _, v := range cache {
			total += len(v)
		}
	}
	return total
}

//go:noinline
func smallNodes(n int) {
	for i := 0; i < n; i++ {
		nodeSink = &node{next: nodeSink, v: i}
	}
	nodeSink = nil
}

//go:noinline
func smallWords(n int) {
	for i := 0; i < n; i++ {
		wordsSink = &[3]int64{int64(i)}
	}
}

//go:noinline
func tinyInts(n int) {
	for i := 0; i < n; i++ {
		tinySink = new(int32)
		*tinySink = int32(i)
	}
}

//go:noinline
func smallSlices(n int) {
	for i := 0; i < n; i++ {
		sink = make([]byte, smallLen)
	}
	sink = nil
}

var deepSink [16]*node

//go:noinline
func deepNodes(level int, pad [1024]byte) {
	deepSink[level] = &node{v: int(pad[level])}
	if level+1 < len(deepSink) {
		deepNodes(level+1, pad)
	}
}

func main() {
	retainBuffers()
	pinArray()
	pinString()
	churn()
	fmt.Println("ready")
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		f := strings.Fields(in.Text())
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "gc":
			runtime.GC()
			fmt.Println("gc")
		case "pprof":
			runtime.GC()
			w, err := os.Create(f[1])
			if err == nil {
				err = pprof.Lookup("heap").WriteTo(w, 0)
				w.Close()
			}
			if err != nil {
				fmt.Println("error", err)
			} else {
				fmt.Println("pprof")
			}
		case "grow":
			n, _ := strconv.Atoi(f[1])
			growCache(n)
			fmt.Println("len", len(cache))
		case "iter":
			n, _ := strconv.Atoi(f[1])
			scanCache(n)
			fmt.Println("iterated")
		case "small":
			n, _ := strconv.Atoi(f[1])
			smallNodes(n)
			smallWords(n)
			tinyInts(n)
			smallSlices(n)
			fmt.Println("small")
		case "deep":
			n, _ := strconv.Atoi(f[1])
			done := make(chan bool)
			for i := 0; i < n; i++ {
				go func() {
					var pad [1024]byte
					deepNodes(0, pad)
					done <- true
				}()
				<-done
			}
			fmt.Println("deep")
		case "go":
			churn()
			runtime.GC()
			fmt.Println("done")
		case "metrics":
			// runtime/metrics is linked as in most services (its code is how memgap finds
			// the runtime's globals in stripped binaries).
			s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
			metrics.Read(s)
			fmt.Println("metrics", s[0].Value.Uint64())
		case "quit":
			return
		}
	}
}
