// go_cgoleak: a Go program that links libc through cgo and leaks C memory at one named
// C function, for memgap's cgo accounting (issue 8, part 3).
//
//   leak N     cgo_leak_buffers(N): N × 64 KiB malloc'd in C and never freed; "leaked"
//   go         leak 160 (10 MiB); answers "done" (attach_helpers' round)
//   quit
package main

/*
#cgo CFLAGS: -O2 -g -fno-omit-frame-pointer
#include <stdlib.h>
#include <string.h>

static void* kept[100000];
static int nkept;

// The leak site the test must name: it keeps every buffer forever.
__attribute__((noinline)) void cgo_leak_buffers(int n) {
	for (int i = 0; i < n && nkept < 100000; i++) {
		char* p = malloc(64 * 1024);
		memset(p, 1, 64 * 1024);
		kept[nkept++] = p;
	}
}

// Churn that frees what it allocates: must not rank as a leak.
__attribute__((noinline)) void cgo_churn(int n) {
	for (int i = 0; i < n; i++) free(malloc(1024));
}
*/
import "C"

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

func main() {
	fmt.Println("ready")
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		f := strings.Fields(in.Text())
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "leak":
			n, _ := strconv.Atoi(f[1])
			C.cgo_leak_buffers(C.int(n))
			C.cgo_churn(C.int(n))
			fmt.Println("leaked")
		case "go":
			C.cgo_leak_buffers(160)
			C.cgo_churn(160)
			fmt.Println("done")
		case "quit":
			return
		}
	}
}
