#!/usr/bin/python3
"""Brian2 reference run of the Brette et al. 2007 COBA / CUBA benchmarks.

Builds the network exactly as the project's benchmarks reference (§1, §2, §3, §6)
describes, with Brian's own semantics: no synaptic delay (a spike is added to its
targets' g in the step it is fired), threshold v > V_th, refractory=5*ms
(v frozen by `(unless refractory)`), COBA integrated with method='euler',
CUBA with method='exact', dt = 0.1 ms.

Usage (always with Debian's interpreter, which sees python3-brian):

  /usr/bin/python3 brian2-bench.py --model coba --size 4000 --duration-ms 1000 \
      --target cython --seed 1234

Prints exactly one line of JSON on stdout at the end. Everything else (Brian's
logs, Cython/g++/make output, the standalone binary's output) goes to stderr:
fd 1 is redirected to fd 2 at the OS level before Brian is imported, and the JSON
line is written to a private duplicate of the original stdout.

Timings:
  build_s    network construction in Python (groups, initial values, connect; in
             runtime mode connect runs generated code, so a cold Cython cache
             inflates it; in standalone mode connect is deferred into the binary)
  compile_s  standalone only: the `make` step (device.timers['compile']['make'])
  loop_s     device._last_run_time: the simulation loop only
  run_wall_s wall time of run() (+ device.build() in standalone): loop plus
             code generation / compilation / binary start-up
  process_s  wall time from the start of this script (before `import brian2`)
             until the JSON line. Interpreter start-up cannot be measured from
             inside; the TypeScript caller measures the true whole-process time.
"""
import time

_T0 = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

# Keep stdout for the JSON line only: everything written to fd 1 from here on
# (Python prints, os.system('make'), C extensions) lands on stderr.
_JSON_OUT = os.fdopen(os.dup(1), 'w')
os.dup2(2, 1)
sys.stdout = sys.stderr


def parse_args():
    ap = argparse.ArgumentParser(description='Brian2 COBA/CUBA benchmark (Brette et al. 2007)')
    ap.add_argument('--model', choices=['coba', 'cuba'], required=True)
    ap.add_argument('--size', type=int, default=4000)
    ap.add_argument('--duration-ms', type=float, default=1000.0)
    ap.add_argument('--target', choices=['cython', 'numpy', 'cpp_standalone'], default='cython')
    ap.add_argument('--threads', type=int, default=0,
                    help='cpp_standalone OpenMP threads (0 = no OpenMP); ignored by runtime targets')
    ap.add_argument('--seed', type=int, default=1234)
    ap.add_argument('--build-dir', default=None,
                    help='cpp_standalone project directory (required for that target)')
    a = ap.parse_args()
    if a.size < 5:
        ap.error('--size must be at least 5')
    if a.duration_ms <= 0:
        ap.error('--duration-ms must be positive')
    if a.threads < 0:
        ap.error('--threads must be >= 0')
    if a.target == 'cpp_standalone' and not a.build_dir:
        ap.error('--build-dir is required with --target cpp_standalone')
    return a


def main():
    args = parse_args()

    import numpy as np
    from brian2 import (BrianLogger, NeuronGroup, Synapses, SpikeMonitor, defaultclock,
                        device, ms, mV, prefs, run, seed, set_device)

    BrianLogger.log_level_warn()

    n = args.size
    n_e = int(round(n * 0.8))  # same rounding as networks.ts (Math.round(n * 0.8))
    p = 0.02 if n == 4000 else 80.0 / n
    standalone = args.target == 'cpp_standalone'

    if standalone:
        set_device('cpp_standalone', directory=args.build_dir, build_on_run=False)
        prefs.devices.cpp_standalone.openmp_threads = args.threads
    else:
        prefs.codegen.target = args.target

    defaultclock.dt = 0.1 * ms
    seed(args.seed)

    t_build = time.perf_counter()
    if args.model == 'coba':
        # §1: g_e, g_i dimensionless in units of g_L.
        taum, taue, taui = 20 * ms, 5 * ms, 10 * ms
        El, Vt, Vr = -60 * mV, -50 * mV, -60 * mV
        Ee, Ei = 0 * mV, -80 * mV
        we, wi = 0.6, 6.7
        eqs = '''
        dv/dt = (-(v - El) + ge*(Ee - v) + gi*(Ei - v)) / taum : volt (unless refractory)
        dge/dt = -ge/taue : 1
        dgi/dt = -gi/taui : 1
        '''
        P = NeuronGroup(n, eqs, threshold='v > Vt', reset='v = Vr', refractory=5 * ms,
                        method='euler', namespace=dict(taum=taum, taue=taue, taui=taui, El=El,
                                                       Vt=Vt, Vr=Vr, Ee=Ee, Ei=Ei))
        P.v = '(randn() * 5 - 65) * mV'
        P.ge = 'randn() * 1.5 + 4'
        P.gi = 'randn() * 12 + 20'
    else:
        # §2: g_e, g_i in mV; E_L above threshold drives the network.
        taum, taue, taui = 20 * ms, 5 * ms, 10 * ms
        El, Vt, Vr = -49 * mV, -50 * mV, -60 * mV
        we, wi = (60 * 0.27 / 10) * mV, (-20 * 4.5 / 10) * mV  # 1.62 mV, -9 mV
        eqs = '''
        dv/dt = (ge + gi - (v - El)) / taum : volt (unless refractory)
        dge/dt = -ge/taue : volt
        dgi/dt = -gi/taui : volt
        '''
        P = NeuronGroup(n, eqs, threshold='v > Vt', reset='v = Vr', refractory=5 * ms,
                        method='exact', namespace=dict(taum=taum, taue=taue, taui=taui, El=El,
                                                       Vt=Vt, Vr=Vr))
        P.v = 'Vr + rand() * (Vt - Vr)'
        P.ge = 0 * mV
        P.gi = 0 * mV

    Ce = Synapses(P, P, on_pre='ge += we', namespace=dict(we=we))
    Ci = Synapses(P, P, on_pre='gi += wi', namespace=dict(wi=wi))
    # No delay: Brian applies on_pre in the spike step (after thresholding, before reset).
    Ce.connect(condition='i < n_e', p=p, namespace=dict(n_e=n_e))
    Ci.connect(condition='i >= n_e', p=p, namespace=dict(n_e=n_e))
    mon = SpikeMonitor(P, record=False)
    build_s = time.perf_counter() - t_build

    duration = args.duration_ms * ms
    t_run = time.perf_counter()
    run(duration)
    compile_s = None
    if standalone:
        device.build(directory=args.build_dir, compile=True, run=True, debug=False)
        make_s = device.timers.get('compile', {}).get('make')
        compile_s = float(make_s) if make_s is not None else None
    run_wall_s = time.perf_counter() - t_run
    loop_s = float(device._last_run_time)

    counts = np.asarray(mon.count[:], dtype=np.int64)
    pre_e = np.asarray(Ce.i[:], dtype=np.int64)
    pre_i = np.asarray(Ci.i[:], dtype=np.int64)
    out_degree = np.bincount(pre_e, minlength=n) + np.bincount(pre_i, minlength=n)
    synapses = int(pre_e.size + pre_i.size)
    spikes = int(counts.sum())
    events = int((counts * out_degree).sum())
    dur_s = args.duration_ms / 1000.0

    result = {
        'model': args.model,
        'size': n,
        'target': args.target,
        'threads': args.threads if standalone else None,
        'seed': args.seed,
        'duration_ms': args.duration_ms,
        'synapses': synapses,
        'spikes': spikes,
        'rate_hz': spikes / n / dur_s,
        'rate_e_hz': int(counts[:n_e].sum()) / n_e / dur_s,
        'rate_i_hz': int(counts[n_e:].sum()) / (n - n_e) / dur_s,
        'events': events,
        'build_s': build_s,
        'compile_s': compile_s,
        'loop_s': loop_s,
        'run_wall_s': run_wall_s,
        'brian2_version': __import__('brian2').__version__,
        'process_s': time.perf_counter() - _T0,
    }
    _JSON_OUT.write(json.dumps(result) + '\n')
    _JSON_OUT.flush()


if __name__ == '__main__':
    main()
