// tlog_load: appends to a clearbox log at a steady rate and reports the latency of POST /add
// (time from the moment a request was due to its acknowledgement, so a stalled server cannot
// hide its queue: no coordinated omission). Used by bench/tlog_bench.sh for "add latency at a
// steady rate under a read load". Prints
//
//	rate <r> sent <n> ok <n> errors <n> late <n> p50_ms <x> p90_ms <x> p99_ms <x> max_ms <x>
//
// Built offline with Debian's Go: GOPATH=/usr/share/gocode GO111MODULE=off go build.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"sync"
	"time"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:8080", "the log")
	rate := flag.Float64("rate", 1000, "adds per second")
	duration := flag.Duration("duration", 10*time.Second, "how long")
	size := flag.Int("size", 256, "entry size in bytes")
	inflight := flag.Int("inflight", 2048, "most adds in flight; beyond, a due add counts as late")
	run := flag.String("run", fmt.Sprint(time.Now().UnixNano()), "makes entries unique per run")
	flag.Parse()

	client := &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			MaxIdleConns: *inflight, MaxIdleConnsPerHost: *inflight, DisableCompression: true,
		},
	}
	var mu sync.Mutex
	var latencies []time.Duration
	errors, late := 0, 0
	slots := make(chan struct{}, *inflight)
	var wg sync.WaitGroup
	start := time.Now()
	total := int(*rate * duration.Seconds())
	interval := time.Duration(float64(time.Second) / *rate)
	for i := 0; i < total; i++ {
		due := start.Add(time.Duration(i) * interval)
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		select {
		case slots <- struct{}{}:
		default:
			late++
			continue
		}
		body := make([]byte, *size)
		copy(body, fmt.Sprintf("steady %s %d ", *run, i))
		wg.Add(1)
		go func(due time.Time, body []byte) {
			defer wg.Done()
			defer func() { <-slots }()
			resp, err := client.Post(*url+"/add", "application/octet-stream", bytes.NewReader(body))
			ok := err == nil && resp.StatusCode == 200
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			elapsed := time.Since(due)
			mu.Lock()
			defer mu.Unlock()
			if ok {
				latencies = append(latencies, elapsed)
			} else {
				errors++
			}
		}(due, body)
	}
	wg.Wait()
	sort.Slice(latencies, func(a, b int) bool { return latencies[a] < latencies[b] })
	pct := func(p float64) float64 {
		if len(latencies) == 0 {
			return 0
		}
		i := int(p * float64(len(latencies)-1))
		return float64(latencies[i].Microseconds()) / 1000
	}
	fmt.Printf("rate %.0f sent %d ok %d errors %d late %d p50_ms %.1f p90_ms %.1f p99_ms %.1f max_ms %.1f\n",
		*rate, total, len(latencies), errors, late, pct(0.5), pct(0.9), pct(0.99), pct(1))
	if errors > 0 || late > 0 {
		os.Exit(1)
	}
}
