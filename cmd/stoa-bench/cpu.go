package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// CPU accounting from /proc (Linux): the server's and this process's CPU time, and the whole
// machine's busy time, so each phase can be reported as CPU per request. The machine is shared:
// what is neither the server nor the load generator is PostgreSQL plus whatever else ran.

// clockTicks is USER_HZ, 100 on every Linux this runs on.
const clockTicks = 100

type cpuSample struct {
	server, self float64 // seconds of CPU (user+system)
	busy, total  float64 // seconds, all CPUs
	load1, load5 float64
}

func readCPU(serverPID int) (cpuSample, error) {
	var s cpuSample
	var err error
	if s.server, err = processCPU(strconv.Itoa(serverPID)); err != nil {
		return s, err
	}
	if s.self, err = processCPU("self"); err != nil {
		return s, err
	}
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return s, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal ...
	for i, v := range f[1:] {
		n, _ := strconv.ParseFloat(v, 64)
		s.total += n / clockTicks
		if i != 3 && i != 4 { // idle, iowait
			s.busy += n / clockTicks
		}
	}
	la, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return s, err
	}
	_, err = fmt.Sscanf(string(la), "%f %f", &s.load1, &s.load5)
	return s, err
}

func processCPU(pid string) (float64, error) {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name may hold spaces; fields are counted after its closing parenthesis.
	i := strings.LastIndexByte(string(b), ')')
	f := strings.Fields(string(b[i+2:]))
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / clockTicks, nil
}

// cpuUse is the CPU spent between two samples.
type cpuUse struct {
	server, generator, rest float64 // seconds
	busyShare               float64 // of the whole machine's capacity
}

func cpuBetween(a, b cpuSample) cpuUse {
	u := cpuUse{server: b.server - a.server, generator: b.self - a.self}
	busy := b.busy - a.busy
	u.rest = max(busy-u.server-u.generator, 0)
	if total := b.total - a.total; total > 0 {
		u.busyShare = busy / total
	}
	return u
}
