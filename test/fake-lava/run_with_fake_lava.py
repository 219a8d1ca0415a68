"""Runs a generated run_lava.py against a stand-in for Lava, for the tests.

Lava cannot be installed where the tests run, so this file provides the few Lava classes
the generated script uses (LIF, Sparse, DelaySparse, RingBuffer, Monitor, Loihi2SimCfg,
RunSteps, SignMode) as small NumPy classes that follow the spec
(../shared/reference/loihi-lava.md) independently of nematode's TypeScript:

- LIF, fixed_pt (section 1.3): u decays by du + 1 and v by dv with truncation toward
  zero, input enters u as a << 6, u wraps once, v saturates, strict threshold vth << 6,
  v reset only; bias_mant << bias_exp;
- Sparse / DelaySparse (sections 2.1-2.3): weights (post, pre) through the sign-mode
  clip and LSB truncation, weight_exp on the per-delay sums (floor), one step of
  latency, a ring buffer of max_delay + 1 columns (send column 0, roll, add at d);
- RingBuffer (section 2.4): step t sends column (t - 1) mod T_buf;
- Monitor: records an OutPort after each step, data shape (steps, neurons);
- run() simulates only the processes connected to the one it is called on, as Lava does.

The stand-in also checks the calls: keyword names, weight/delay matrix types and
shapes, fixed_pt, and that no process is run twice.

Usage: python run_with_fake_lava.py SCRIPT [script arguments...]
"""
import enum
import runpy
import sys
import types

import numpy as np
from scipy.sparse import csr_matrix, spmatrix


class SignMode(enum.Enum):
    NULL = 0
    MIXED = 1
    EXCITATORY = 2
    INHIBITORY = 3


class Port:
    def __init__(self, process, name, shape):
        self.process, self.name, self.shape = process, name, tuple(shape)
        self.targets = []  # OutPort -> InPorts
        self.sources = []  # InPort <- OutPorts

    def connect(self, other):
        assert isinstance(self, OutPort) and isinstance(other, InPort), "connect goes from an OutPort to an InPort"
        assert self.shape == other.shape, "shape mismatch %s -> %s" % (self.shape, other.shape)
        self.targets.append(other)
        other.sources.append(self)


class OutPort(Port):
    pass


class InPort(Port):
    pass


RUN_ALREADY = set()


class Process:
    count = 0

    def __init__(self, name=None):
        Process.count += 1
        self.name = name if name is not None else "Process_%d" % Process.count
        self.out = None

    def ports(self):
        return [v for v in vars(self).values() if isinstance(v, Port)]

    def neighbours(self):
        for p in self.ports():
            for q in p.targets + p.sources:
                yield q.process

    def run(self, condition, run_cfg):
        assert isinstance(condition, RunSteps) and isinstance(run_cfg, Loihi2SimCfg)
        assert run_cfg.select_tag == "fixed_pt", "select_tag must be fixed_pt"
        seen, todo = {id(self): self}, [self]
        while todo:
            for q in todo.pop().neighbours():
                if id(q) not in seen:
                    seen[id(q)] = q
                    todo.append(q)
        procs = list(seen.values())
        for p in procs:
            assert id(p) not in RUN_ALREADY, "process %s run twice" % p.name
            RUN_ALREADY.add(id(p))
        simulate(procs, condition.num_steps)

    def stop(self):
        pass


def per_neuron(x, n):
    a = np.asarray(x, dtype=np.int64)
    return np.full(n, int(a)) if a.ndim == 0 else a.astype(np.int64).copy()


class LIF(Process):
    def __init__(self, *, shape, u=0, v=0, du=0, dv=0, bias_mant=0, bias_exp=0, vth=10, name=None):
        super().__init__(name)
        n = shape[0]
        self.a_in = InPort(self, "a_in", shape)
        self.s_out = OutPort(self, "s_out", shape)
        self.u, self.v = per_neuron(u, n), per_neuron(v, n)
        self.du, self.dv, self.vth = int(du), int(dv), int(vth)
        # bias_mant is stored as int16 (section 1.3)
        self.bias = per_neuron(bias_mant, n).astype(np.int16).astype(np.int64) << per_neuron(bias_exp, n)

    def step(self, a):
        def trunc(p):
            return np.sign(p) * (np.abs(p) >> 12)

        a = a.astype(np.int32).astype(np.int64)
        u = (trunc(self.u * (4096 - (self.du + 1))) + (a << 6)).astype(np.int32).astype(np.int64)
        u = np.where(u > 2 ** 23, u - 2 ** 24, np.where(u <= -(2 ** 23), u + 2 ** 24, u))
        v = (trunc(self.v * (4096 - self.dv)) + u + self.bias).astype(np.int32).astype(np.int64)
        v = np.clip(v, -(2 ** 23 - 1), 2 ** 23 - 1)
        s = v > (self.vth << 6)
        v[s] = 0
        self.u, self.v = u, v
        return s.astype(np.int64)


class Sparse(Process):
    def __init__(self, *, weights, name=None, num_message_bits=0, sign_mode=None, weight_exp=0, num_weight_bits=8, **extra):
        super().__init__(name)
        assert not extra, "unexpected arguments %s" % sorted(extra)
        assert isinstance(weights, spmatrix), "weights must be a scipy sparse matrix"
        assert num_message_bits == 0
        self.shape = weights.shape
        self.s_in = InPort(self, "s_in", (self.shape[1],))
        self.a_out = OutPort(self, "a_out", (self.shape[0],))
        w = weights.toarray().astype(np.int64)  # explicit entries only
        if sign_mode is None:
            sign_mode = SignMode.EXCITATORY if w.min() >= 0 else SignMode.INHIBITORY if w.max() <= 0 else SignMode.MIXED
        assert isinstance(sign_mode, SignMode)
        # section 2.1: clip, then drop 8 - num_weight_bits (+1 when mixed) low bits of the magnitude
        if sign_mode == SignMode.EXCITATORY:
            w = np.clip(w, 0, 255)
        elif sign_mode == SignMode.INHIBITORY:
            w = np.clip(w, -255, 0)
        else:
            w = np.clip(w, -256, 255)
        k = 8 - num_weight_bits + (1 if sign_mode == SignMode.MIXED else 0)
        mag = -w if sign_mode == SignMode.INHIBITORY else w
        mag = (mag >> k) << k
        self.w = -mag if sign_mode == SignMode.INHIBITORY else mag
        self.weight_exp = int(weight_exp)
        self.delays = np.zeros(self.shape, dtype=np.int64)
        self.buf = np.zeros((self.shape[0], 1), dtype=np.int64)

    def send(self):
        out = self.buf[:, 0].copy()
        self.buf[:, 0] = 0
        self.buf = np.roll(self.buf, -1, axis=1)
        return out

    def receive(self, s):
        active = s.astype(bool)
        for d in range(self.buf.shape[1]):
            mask = (self.delays == d)[:, active]
            acc = (self.w[:, active] * mask).sum(axis=1).astype(np.int32).astype(np.int64)
            shifted = acc << self.weight_exp if self.weight_exp >= 0 else acc >> -self.weight_exp
            self.buf[:, d] += shifted.astype(np.int32).astype(np.int64)


class DelaySparse(Sparse):
    def __init__(self, *, weights, delays, max_delay=0, **options):
        super().__init__(weights=weights, **options)
        assert isinstance(delays, spmatrix) and delays.shape == weights.shape, "delays must be a sparse matrix shaped like the weights"
        assert delays.dtype == int, "delays must be integers"
        d = delays.toarray().astype(np.int64)
        assert d.min() >= 0 and d.max() <= 63
        if max_delay == 0:
            max_delay = int(d.max())
        assert max_delay >= d.max()
        self.delays = d
        self.buf = np.zeros((self.shape[0], max_delay + 1), dtype=np.int64)


class RingBuffer(Process):
    def __init__(self, data):
        super().__init__(None)
        self.data = np.asarray(data)
        self.s_out = OutPort(self, "s_out", self.data.shape[:-1])


class Monitor(Process):
    def __init__(self):
        super().__init__(None)
        self.probed = None

    def probe(self, target, num_steps):
        assert self.probed is None, "a Monitor records one port"
        assert isinstance(target, OutPort)
        self.in_port = InPort(self, "in_port_0", target.shape)
        target.connect(self.in_port)
        self.probed = target
        self.record = np.zeros((num_steps,) + target.shape)

    def get_data(self):
        return {self.probed.process.name: {self.probed.name: self.record}}


def simulate(procs, steps):
    lifs = [p for p in procs if isinstance(p, LIF)]
    conns = [p for p in procs if isinstance(p, Sparse)]
    rings = [p for p in procs if isinstance(p, RingBuffer)]
    monitors = [p for p in procs if isinstance(p, Monitor)]
    for t in range(1, steps + 1):
        sent = {id(c): c.send() for c in conns}  # computed in the previous step
        spikes = {}
        for lif in lifs:
            a = np.zeros(lif.a_in.shape[0], dtype=np.int64)
            for src in lif.a_in.sources:
                a = a + sent[id(src.process)]
            spikes[id(lif)] = lif.step(a)
        for r in rings:
            spikes[id(r)] = r.data[..., (t - 1) % r.data.shape[-1]].astype(np.int64)
        for c in conns:
            (src,) = c.s_in.sources
            c.receive(spikes[id(src.process)])
        for m in monitors:
            m.record[t - 1] = spikes[id(m.probed.process)]


class RunSteps:
    def __init__(self, num_steps):
        self.num_steps = num_steps


class Loihi2SimCfg:
    def __init__(self, select_tag=None, **_):
        self.select_tag = select_tag


def install():
    modules = {
        "lava": {},
        "lava.magma": {},
        "lava.magma.core": {},
        "lava.magma.core.run_conditions": {"RunSteps": RunSteps},
        "lava.magma.core.run_configs": {"Loihi2SimCfg": Loihi2SimCfg},
        "lava.proc": {},
        "lava.proc.io": {},
        "lava.proc.io.source": {"RingBuffer": RingBuffer},
        "lava.proc.lif": {},
        "lava.proc.lif.process": {"LIF": LIF},
        "lava.proc.monitor": {},
        "lava.proc.monitor.process": {"Monitor": Monitor},
        "lava.proc.sparse": {},
        "lava.proc.sparse.process": {"Sparse": Sparse, "DelaySparse": DelaySparse},
        "lava.utils": {},
        "lava.utils.weightutils": {"SignMode": SignMode},
    }
    for name, attrs in modules.items():
        m = types.ModuleType(name)
        m.__path__ = []
        m.__dict__.update(attrs)
        sys.modules[name] = m


if __name__ == "__main__":
    install()
    script = sys.argv[1]
    sys.argv = sys.argv[1:]
    runpy.run_path(script, run_name="__main__")
