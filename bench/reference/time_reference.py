#!/usr/bin/env python3
"""Times one training step (forward, loss, backward) of the published MRINE reference (PyTorch,
github.com/ShanechiLab/mrine) on the CPU, at the sizes and with the synthetic data of `mrine bench`
(org.mrine.bench.BenchSetups): B = 32 trials, n_a = n_x = 64, hidden 128x3, fusion 128, spikes every
step (counts 0..2) and the field every 5th step, dropout 0.1, time dropout 0.3. Prints one JSON
object: milliseconds per sample-step (step time / (B*T)), median and spread over the repeats.

The reference is imported from a checkout given with --mrine-repo; its code is not part of this
project. It needs torch (Debian: apt-get install python3-torch; run with /usr/bin/python3) and no
yacs: the configuration is an attribute dictionary filled from the reference's own defaults.

    /usr/bin/python3 bench/reference/time_reference.py --mrine-repo /tmp/mrine-ref --steps 50
"""
import argparse
import json
import os
import statistics
import sys
import time


class Cfg(dict):
    """Attribute access like yacs' CfgNode, which the reference reads its configuration through."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError as e:
            raise AttributeError(name) from e

    def __setattr__(self, name, value):
        self[name] = value


def config(n_s, n_y, seed):
    model = Cfg(model_type='multi', likelihood_s='poisson', likelihood_y='gaussian', dropout_rate=0.1, td_rate=0.3,
                layer_list_s=[128, 128, 128], layer_list_y=[128, 128, 128], layer_list_m=[128], activation='tanh',
                learn_y_var=False, y_var=1, n_s=n_s, n_y=n_y, n_a=64, n_x=64, apply_normalize_A=False,
                init_A_scale=0.9, init_C_scale=0.9, init_Q_scale=0.5, init_R_scale=1, init_cov_scale=1,
                kernel_initializer='xavier_normal', save_dir='/tmp', save_steps=100)
    # MRINE.__init__ reads config.model.self.apply_normalize_A
    model['self'] = Cfg(apply_normalize_A=False)
    loss = Cfg(tau=2.9, scale_l2=1e-3, steps_ahead=[0, 1, 2, 3, 4], scale_sm_reg_s=50, scale_sm_reg_y=5, scale_sm_reg_x=30)
    return Cfg(device='cpu', seed=seed, model=model, loss=loss)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--mrine-repo', required=True, help='a checkout of github.com/ShanechiLab/mrine')
    ap.add_argument('--steps', type=int, default=50)
    ap.add_argument('--trials', type=int, default=32)
    ap.add_argument('--channels', type=int, nargs=2, default=[20, 20], help='spike and field channels')
    ap.add_argument('--field-every', type=int, default=5)
    ap.add_argument('--warmup', type=int, default=2)
    ap.add_argument('--repeats', type=int, default=5)
    ap.add_argument('--threads', type=int, default=0, help='torch intra-op threads (0: torch default)')
    args = ap.parse_args()

    sys.path.insert(0, os.path.abspath(args.mrine_repo))
    import torch
    from model.MRINE import MRINE

    if args.threads > 0:
        torch.set_num_threads(args.threads)
    n_s, n_y = args.channels
    B, T = args.trials, args.steps
    model = MRINE(config(n_s, n_y, seed=1))
    model.train()
    g = torch.Generator().manual_seed(2)
    s = torch.randint(0, 3, (B, T, n_s), generator=g).float()
    y = torch.randn(B, T, n_y, generator=g)
    m_s = torch.ones(B, T)
    m_y = torch.zeros(B, T)
    m_y[:, ::args.field_every] = 1

    times = []
    for i in range(args.warmup + args.repeats):
        t0 = time.perf_counter()
        loss, _, _ = model.step(s=s, y=y, m_s=m_s, m_y=m_y)
        model.zero_grad()
        loss.backward()
        dt = time.perf_counter() - t0
        if i >= args.warmup:
            times.append(dt * 1e3 / (B * T))
    med = statistics.median(times)
    print(json.dumps({'ms_per_sample_step': med, 'min': min(times), 'max': max(times),
                      'spread': (max(times) - min(times)) / med, 'samples': times, 'trials': B, 'steps': T,
                      'channels': [n_s, n_y], 'torch': torch.__version__, 'torch_threads': torch.get_num_threads(),
                      'torch_cpu_capability': cpu_capability()}))


def cpu_capability():
    """The vector width PyTorch's own kernels use here ("AVX2", "AVX512", ...), as torch reports it."""
    import torch
    for line in torch.__config__.show().splitlines():
        if 'CPU capability usage:' in line:
            return line.split(':', 1)[1].strip()
    return 'unknown'


if __name__ == '__main__':
    main()
