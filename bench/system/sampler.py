#!/usr/bin/env python3
"""bench/system/sampler.py start|stop|now: the backend's RssAnon while a
query runs.  Called by psql (\\!) in the same connection as the query, with
BS_PID (the backend's pid, from SELECT pg_backend_pid()), BS_OUT (a path
prefix for this measurement) and BS_INTERVAL (seconds, default 0.005).

  start  reads RssAnon once (the baseline, $BS_OUT.base), then forks a
         sampler that reads /proc/$BS_PID/status every BS_INTERVAL (one
         open/read/close, about 30 us of CPU a sample) until SIGTERM, then
         writes "max_seen samples" to $BS_OUT.max; start returns at once
  stop   ends the sampler, waits for $BS_OUT.max, reads RssAnon once more
         and writes "base max_seen end samples" (kB) to $BS_OUT.res
  now    writes RssAnon to $BS_OUT.now"""
import os
import signal
import sys
import time


def rss(pid):
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            data = f.read()
    except OSError:
        return None
    i = data.find(b"RssAnon:")
    if i < 0:
        return None
    return int(data[i + 8:data.index(b"kB", i)])


def main():
    pid = int(os.environ["BS_PID"])
    out = os.environ["BS_OUT"]
    cmd = sys.argv[1]
    if cmd == "now":
        with open(out + ".now", "w") as f:
            f.write(f"{rss(pid)}\n")
    elif cmd == "start":
        base = rss(pid)
        with open(out + ".base", "w") as f:
            f.write(f"{base}\n")
        interval = float(os.environ.get("BS_INTERVAL", "0.005"))
        child = os.fork()
        if child:
            with open(out + ".spid", "w") as f:
                f.write(f"{child}\n")
            return
        os.setsid()
        fd = os.open(os.devnull, os.O_RDWR)
        for k in (0, 1, 2):
            os.dup2(fd, k)
        state = {"max": base, "n": 0, "stop": False}

        def term(signum, frame):
            state["stop"] = True
        signal.signal(signal.SIGTERM, term)
        while not state["stop"]:
            v = rss(pid)
            if v is None:
                break
            state["n"] += 1
            if v > state["max"]:
                state["max"] = v
            time.sleep(interval)
        tmp = out + ".max.tmp"
        with open(tmp, "w") as f:
            f.write(f"{state['max']} {state['n']}\n")
        os.rename(tmp, out + ".max")
        os._exit(0)
    elif cmd == "stop":
        with open(out + ".spid") as f:
            spid = int(f.read())
        try:
            os.kill(spid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        deadline = time.time() + 5
        while not os.path.exists(out + ".max") and time.time() < deadline:
            time.sleep(0.001)
        end = rss(pid)
        with open(out + ".base") as f:
            base = int(f.read())
        try:
            with open(out + ".max") as f:
                mx, n = (int(x) for x in f.read().split())
        except OSError:
            mx, n = base, 0
        with open(out + ".res", "w") as f:
            f.write(f"{base} {mx} {end} {n}\n")


if __name__ == "__main__":
    main()
