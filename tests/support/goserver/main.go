// Target for the live Go uprobe test: an HTTP server on 127.0.0.1 (port chosen by the kernel,
// printed on stdout), serving through a ServeMux, exiting by itself after 60 s.
package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"time"
)

func main() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	time.AfterFunc(60*time.Second, func() { os.Exit(2) })
	fmt.Println(ln.Addr().(*net.TCPAddr).Port)
	srv := &http.Server{Handler: mux, ReadTimeout: 5 * time.Second, MaxHeaderBytes: 4096}
	srv.Serve(ln)
}
