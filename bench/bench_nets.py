"""Speed of nets.survey end to end: 24 runs of the (1, 6, 5, 1) tanh network (53 parameters) on
the sinc curve, 2,000 Adam steps, 100 refinement steps, the Hessian's eigenvalues at every point;
against the same survey written plainly with torch.func (a vmapped gradient, torch.optim.Adam on
all runs at once, the same Levenberg–Marquardt refinement with vmapped reverse-over-reverse
Hessians and torch.linalg.eigh), run alongside.

Each measurement is a fresh process, so "cold" includes importing and (for nets) compiling, as
the first survey a server runs; "warm" is a second survey in the same process, as every later one.
Ours and the baseline alternate, REPEATS times; medians are printed.

Run: python -m bench.bench_nets   (target: cold ≤ 30 s on this 2-core machine)

``python -m bench.bench_nets --cost`` measures what nets.model's time estimate (``seconds``, the
survey's work limit) is built from: a training step of 20 runs and a Newton step of one run
(Hessian and eigh), on two sizes (33 and 193 parameters), each the fastest of three; it prints
the per-operation constants beside those in nets.model and the 193-parameter survey's estimate.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time

import numpy as np

RUNS, STEPS, REFINE, LR, REPEATS = 24, 2000, 100, 1e-2, 3
WIDTHS = (1, 6, 5, 1)


def ours() -> np.ndarray:
    import nets
    import optimizers

    network = nets.mlp(WIDTHS)
    adam = optimizers.make_optimizer("adam", lr=LR)
    return nets.survey(network, RUNS, optimizer=adam, steps=STEPS, refine_steps=REFINE).grad_norms


def baseline() -> np.ndarray:
    """The same survey in torch, written out: same starts, Adam, LM on ½‖∇L‖², eigenvalues."""
    import torch

    import nets

    torch.set_default_dtype(torch.float64)
    torch.set_num_threads(1)  # these operations are tiny: two threads made it 8-25× slower here
    network = nets.mlp(WIDTHS)
    model = torch.nn.Sequential(
        torch.nn.Linear(1, 6), torch.nn.Tanh(), torch.nn.Linear(6, 5), torch.nn.Tanh(),
        torch.nn.Linear(5, 1),
    )  # fmt: skip
    names = [n for n, _ in model.named_parameters()]
    shapes = [p.shape for p in model.parameters()]
    x, y = torch.tensor(network.inputs), torch.tensor(network.targets)

    def loss(theta):
        parts = torch.split(theta, [s.numel() for s in shapes])
        params = {n: p.reshape(s) for n, p, s in zip(names, parts, shapes, strict=True)}
        return torch.mean((torch.func.functional_call(model, params, (x,)) - y) ** 2)

    theta = torch.tensor(nets.starts(network, RUNS), requires_grad=True)
    adam = torch.optim.Adam([theta], lr=LR)  # elementwise: each row is its own run
    many = torch.func.vmap(loss)
    for _ in range(STEPS):
        adam.zero_grad()
        many(theta).sum().backward()
        adam.step()
    grad = torch.func.vmap(torch.func.grad(loss))
    hessian = torch.func.vmap(torch.func.jacrev(torch.func.grad(loss)))
    with torch.no_grad():
        theta = theta.detach().clone()
        g = grad(theta)
        norm = torch.linalg.vector_norm(g, dim=1)
        lam, q = torch.linalg.eigh(hessian(theta))
        mu = 1e-6 * (lam**2).max(dim=1).values
        for _ in range(REFINE):
            coeff = lam / (lam**2 + mu[:, None]) * torch.einsum("rpi,rp->ri", q, g)
            trial = theta - torch.einsum("rpi,ri->rp", q, coeff)
            g_trial = grad(trial)
            better = torch.linalg.vector_norm(g_trial, dim=1) < norm
            mu = torch.where(better, mu / 3, mu * 4)
            theta[better], g[better] = trial[better], g_trial[better]
            norm = torch.linalg.vector_norm(g, dim=1)
            if better.any():
                lam[better], q[better] = torch.linalg.eigh(hessian(theta[better]))
    return norm.numpy()


def measure(which: str) -> dict:
    """In this (fresh) process: the cold survey, from before the imports, then a warm one; wall
    clock and this process's CPU time (all its threads), which other users of the machine
    disturb less."""
    fn = {"ours": ours, "baseline": baseline}[which]
    out = {}
    for kind in ("cold", "warm"):
        wall, cpu = time.perf_counter(), time.process_time()
        norms = fn()
        out |= {kind: time.perf_counter() - wall, f"{kind} cpu": time.process_time() - cpu}
    return out | {"median_grad_norm": float(np.median(norms))}


def main() -> None:
    results: dict[str, list[dict]] = {"ours": [], "baseline": []}
    for _ in range(REPEATS):
        for which in results:
            out = subprocess.run(
                [sys.executable, "-m", "bench.bench_nets", which],
                check=True, capture_output=True, text=True,
            )  # fmt: skip
            results[which].append(json.loads(out.stdout.strip().splitlines()[-1]))
    med = {w: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for w, rs in results.items()}
    print(f"nets.survey: {RUNS} runs of {WIDTHS} tanh, {STEPS} Adam steps + {REFINE} refinement")
    for kind in ("cold", "warm", "cold cpu", "warm cpu"):
        a, b = med["ours"][kind], med["baseline"][kind]
        print(f"{kind:>8}: ours {a:.1f} s, torch.func baseline {b:.1f} s, ratio {a / b:.2f}×")
    print("target: cold ≤ 30 s")
    print(
        f"median ‖∇L‖ at the end: ours {med['ours']['median_grad_norm']:.2e}, "
        f"baseline {med['baseline']['median_grad_norm']:.2e}"
    )


def cost() -> None:
    """The per-operation constants of nets.model.seconds, measured here (see the docstring)."""
    import nets
    import nets.model as model

    def fastest(fn) -> float:
        times = []
        for _ in range(3):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return min(times)

    for widths in ((1, 4, 4, 1), (1, 12, 12, 1)):
        network = nets.mlp(widths)
        n, p = network.n_samples, network.n_params
        begin = nets.starts(network, 20)
        nets.train_network(network, begin, steps=5)  # compiled
        train = fastest(lambda: nets.train_network(network, begin, steps=200)) / 200  # noqa: B023
        ends = nets.train_network(network, begin, steps=200).thetas[-1][:3]
        nets.find_critical(network, ends, steps=1, tol=0.0)  # compiled
        newton = fastest(lambda: nets.find_critical(network, ends, steps=10, tol=0.0)) / 30  # noqa: B023
        step = train - model.TRAIN_SECONDS * 20 * n * p
        print(
            f"{widths} ({p} parameters): a training step of 20 runs {1e3 * train:.2f} ms "
            f"(fixed part {1e3 * step:.2f} ms; nets.model: {1e3 * model.STEP_SECONDS:.2f}); "
            f"a Newton step {1e3 * newton:.1f} ms = {newton / (n * p * p):.2g} s per n·P² "
            f"(nets.model: {model.NEWTON_SECONDS:.2g} + {model.EIGH_SECONDS:.2g}·P³/(n·P²))"
        )
    big = nets.mlp((1, 12, 12, 1))
    print(
        f"the 193-parameter survey (20 runs, 2000 + 100 steps) is estimated at "
        f"{model.seconds(big, 20, 2000, 100):.0f} s; the limit is {model.MAX_SECONDS:.0f} s"
    )


if __name__ == "__main__":
    if sys.argv[1:] == ["--cost"]:
        cost()
    elif len(sys.argv) > 1:
        print(json.dumps(measure(sys.argv[1])))
    else:
        main()
