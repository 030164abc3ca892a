#!/usr/bin/env python3
"""JAX peer of thermocad's sampler and generative trainer (the peer benchmark of
docs/performance.md).

An independent, jit-compiled JAX implementation of the same algorithm as thermocad for the
paper model (examples/mnist3.toml: 784 visible + 512 hidden units, visible-hidden and
hidden-hidden couplings, J2 = J4 = 1, kT = 0.1, mu = 1, dt = 1e-3, t_f = 2.5), written from
docs/physics.md and the Rust sources (src/dynamics, src/train, src/workflow), not from any
other code. It does the same work (sizes, steps, trajectories, optimizer steps, and the same
block-by-block matrix products over the coupled blocks only); its random numbers differ.

    python3 scripts/peer/jax_peer.py sample --params M/params.npz --model-toml M/model.toml \
        --n 100 --seed 1 --out DIR [--digits DIGITS.npy] [--prng threefry2x32]
    python3 scripts/peer/jax_peer.py train --config examples/mnist3.toml \
        --data /work/shared/data/mnist --trajectories 20 --out DIR [--seed S]

sample: starts n units-vectors from the exact coupling-free equilibrium
p(x) ~ exp(-(J2 x^2 + J4 x^4)/kT) (rejection sampling, as thermocad), runs round(t_f/dt)
Euler-Maruyama steps x <- x - mu dt (2 J2 x + 4 J4 x^3 + b + x.J) + sqrt(2 mu kT dt) eta under
jax.jit (lax.fori_loop over steps, batch = n), writes DIR/samples.npy (visible units at t_f),
DIR/heat.csv (Q = V(x(0)) - V(x(t_f)) in kT per sample) and prints compile time, run time
(excluding compile), <Q> and, with --digits (e.g. the digits.npy that `train` writes), the mean
largest |correlation| of a sample with a training digit.

train: noising trajectories (image imposed as biases -s*lambda*P, hidden biases through a fixed
random projection, t_eq at lambda = 1 then t_f while lambda fades linearly over 0.75 t_f,
couplings zero), the reverse-trajectory negative log-likelihood
sum_k sum_i r^2/(4 mu kT dt), r = (x_k - x_{k+1}) + mu dt dV(x_{k+1}), its gradient by
jax.value_and_grad (one parameter per coupled pair: G + G^T, masked; biases of the trainable
groups only), Adam with thermocad's bias correction; one jit-compiled step per batch
(generation + loss/gradient + Adam). Writes DIR/params.npz (J, b), DIR/checkpoint.npz (with the
Adam moments, like thermocad's checkpoint), DIR/loss.csv, DIR/model.toml and DIR/digits.npy
(the standardised training digits, for `sample --digits`). Prints compile time, run time
excluding compile, and the loss per unit per step of the first batch and (as thermocad) the
mean of the last 10 % of batches.

Precision: float32 throughout (as thermocad), except the loss and heat totals, which are added
in float64 on the host from per-row float32 sums.

Environment: nothing is set except JAX_PLATFORMS=cpu (only if unset; there is no GPU). XLA_FLAGS
and the thread pools are left at JAX's CPU defaults, i.e. XLA's Eigen pool uses every core.
The PRNG is JAX's default (threefry2x32); --prng rbg / unsafe_rbg selects another.

Bad arguments: one line on stderr, exit 2. Requirements: scripts/peer/requirements.txt.
"""

import argparse
import gzip
import os
import struct
import sys
import time
import tomllib

np = None  # numpy, imported once the arguments are parsed (main)


class UsageError(Exception):
    pass


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors and exit status 2."""

    def error(self, message):
        sys.stderr.write(f"jax_peer: {message}\n")
        sys.exit(2)


# ---------------------------------------------------------------------------------------------
# Configuration (thermocad's defaults for fields a file leaves out: src/config/raw.rs)

MODEL_DEFAULTS = dict(hidden=512, j2=1.0, j4=1.0, mu=1.0, kt=0.1, dt=1e-3,
                      connectivity="vh-hh", trainable_biases=["hidden"], init_scale=0.0)
NOISING_DEFAULTS = dict(bias_scale=2.0, hidden_scale=1.0, hidden_projection="random",
                        t_eq=2.5, t_final=2.5, fade_fraction=0.75, schedule="linear")
TRAIN_DEFAULTS = dict(trajectories=300, batch=1, optimizer="adam", learning_rate=2e-3,
                      momentum=0.0, beta1=0.9, beta2=0.999, eps=1e-8, seed=1)
DATA_DEFAULTS = dict(source="mnist", digits=[0, 1, 2], per_class=1, offset=0)


def read_toml(path):
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except OSError as e:
        raise UsageError(f"cannot read {path}: {e.strerror}")
    except tomllib.TOMLDecodeError as e:
        raise UsageError(f"{path}: {e}")


def section(cfg, name, defaults):
    out = dict(defaults)
    out.update(cfg.get(name, {}))
    return out


class Structure:
    """Units, groups, coupled blocks and physical constants of a visible/hidden computer."""

    def __init__(self, model, visible, t_final):
        self.nv = int(visible)
        self.nh = int(model["hidden"])
        self.n = self.nv + self.nh
        self.j2, self.j4 = float(model["j2"]), float(model["j4"])
        self.mu, self.kt, self.dt = float(model["mu"]), float(model["kt"]), float(model["dt"])
        self.connectivity = model["connectivity"]
        if self.connectivity not in ("vh-hh", "full"):
            raise UsageError(f"model.connectivity = {self.connectivity!r}: the peer supports "
                             "\"vh-hh\" and \"full\"")
        if model.get("groups"):
            raise UsageError("models with [[model.groups]] are not supported by the peer")
        self.steps = int(round(t_final / self.dt))
        self.sigma = float(np.sqrt(2.0 * self.mu * self.kt * self.dt))
        i = np.arange(self.n)
        mask = (i[:, None] != i[None, :])
        if self.connectivity == "vh-hh":
            mask &= (i[:, None] >= self.nv) | (i[None, :] >= self.nv)
        self.mask = mask.astype(np.float32)
        trainable = np.zeros(self.n, bool)
        groups = model["trainable_biases"]
        if "visible" in groups:
            trainable[: self.nv] = True
        if "hidden" in groups:
            trainable[self.nv:] = True
        self.bias_trainable = trainable.astype(np.float32)


# ---------------------------------------------------------------------------------------------
# The computer in JAX


def make_ops(st):
    """Functions of the computer `st` that jit-compiled programs are built from."""
    import jax.numpy as jnp

    f32 = jnp.float32
    nv = st.nv
    mu_dt = f32(st.mu * st.dt)
    two_j2, four_j4 = f32(2.0 * st.j2), f32(4.0 * st.j4)

    def blocks(J):
        """The coupled blocks of J the field reads (sliced once, outside any step loop)."""
        if st.connectivity == "full":
            return (J,)
        # field on visible units: x_h . J[h, v]; field on hidden units: x . J[:, h] (one product
        # with inner dimension N, as thermocad); the visible-visible block is never touched.
        return (J[nv:, :nv], J[:, nv:])

    def field(bl, x):
        """Coupling field h = x.J over the coupled blocks, for a batch x [B, N]."""
        if st.connectivity == "full":
            return x @ bl[0]
        hv = x[:, nv:] @ bl[0]
        hh = x @ bl[1]
        return jnp.concatenate([hv, hh], axis=1)

    def onsite_grad(x):
        return x * (two_j2 + four_j4 * x * x)

    def energy_rows(bl, b, x):
        """V per row: sum(J2 x^2 + J4 x^4 + b x + x h / 2), as float32 row sums."""
        h = field(bl, x)
        x2 = x * x
        e = x2 * (f32(st.j2) + f32(st.j4) * x2) + x * (b + f32(0.5) * h)
        return jnp.sum(e, axis=1)

    def em_update(x, g, eta):
        """Euler-Maruyama: x - mu dt (2 J2 x + 4 J4 x^3 + g) + sigma eta."""
        return x - mu_dt * (onsite_grad(x) + g) + f32(st.sigma) * eta

    return dict(blocks=blocks, field=field, onsite_grad=onsite_grad,
                energy_rows=energy_rows, em_update=em_update, mu_dt=mu_dt)


def equilibrium(jax, st, key, shape):
    """Exact samples of exp(-(J2 x^2 + J4 x^4)/kT) per unit by rejection from N(0, s^2), as
    src/dynamics/equilibrium.rs (same proposal, same acceptance; loop until all accepted)."""
    import jax.numpy as jnp
    from jax import lax

    k2, c = st.j2 / st.kt, st.j4 / st.kt
    sigma2 = 1.0 / (2.0 * k2) if k2 > 0 else max(-k2 / (2.0 * c), 0.0) + 1.0 / np.sqrt(2.0 * c)
    a = 1.0 / (2.0 * sigma2) - k2
    log_max = a * a / (4.0 * c) if (a > 0 and c > 0) else 0.0
    s, a, c, log_max = (jnp.float32(v) for v in (np.sqrt(sigma2), a, c, log_max))

    def body(state):
        x, done, key = state
        key, kp, ku = jax.random.split(key, 3)
        prop = s * jax.random.normal(kp, shape, jnp.float32)
        u = jax.random.uniform(ku, shape, jnp.float32)
        p2 = prop * prop
        accept = jnp.log(u) < a * p2 - c * p2 * p2 - log_max
        x = jnp.where(accept & ~done, prop, x)
        return x, done | accept, key

    x0 = jnp.zeros(shape, jnp.float32)
    done0 = jnp.zeros(shape, bool)
    x, _, _ = lax.while_loop(lambda st_: ~jnp.all(st_[1]), body, (x0, done0, key))
    return x


# ---------------------------------------------------------------------------------------------
# Timing helpers


def import_jax(prng):
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    import jax

    jax.config.update("jax_default_prng_impl", prng)
    return jax


def compiled(jax, fn, *args, donate=()):
    """AOT-compile `fn` for `args`; returns (executable, seconds)."""
    t0 = time.perf_counter()
    exe = jax.jit(fn, donate_argnums=donate).lower(*args).compile()
    return exe, time.perf_counter() - t0


def block(tree):
    import jax

    return jax.block_until_ready(tree)


# ---------------------------------------------------------------------------------------------
# sample


def standardise_rows(x):
    x = np.asarray(x, np.float64)
    m = x.mean(axis=1, keepdims=True)
    v = ((x - m) ** 2).mean(axis=1, keepdims=True)
    floor = 1e-12 * np.maximum(np.abs(m), 1.0) ** 2
    ok = np.isfinite(v) & (v > floor)
    return np.where(ok, (x - m) / np.sqrt(np.where(ok, v, 1.0)), 0.0)


def mean_best_corr(samples, digits):
    zs, zd = standardise_rows(samples), standardise_rows(digits)
    corr = zs @ zd.T / samples.shape[1]
    return float(np.abs(corr).max(axis=1).mean())


def cmd_sample(a):
    if a.n < 1:
        raise UsageError("--n must be a positive integer")
    mt = read_toml(a.model_toml)
    model = section(mt, "model", MODEL_DEFAULTS)
    noising = section(mt, "noising", NOISING_DEFAULTS)
    if model.get("visible") is None:
        raise UsageError(f"{a.model_toml}: model.visible is missing (not a trained model?)")
    st = Structure(model, model["visible"], float(noising["t_final"]))
    try:
        z = np.load(a.params)
        J = np.asarray(z["J"], np.float32)
        b = np.asarray(z["b"], np.float32)
    except (OSError, KeyError, ValueError) as e:
        raise UsageError(f"cannot read J and b from {a.params}: {e}")
    if J.shape != (st.n, st.n) or b.shape != (st.n,):
        raise UsageError(f"{a.params}: J {J.shape} and b {b.shape} do not fit N = {st.n}")
    digits = None
    if a.digits:
        try:
            digits = np.load(a.digits).reshape(-1, st.nv)
        except (OSError, ValueError) as e:
            raise UsageError(f"cannot read {a.digits} as [M, {st.nv}] digits: {e}")
    os.makedirs(a.out, exist_ok=True)

    t_start = time.perf_counter()
    jax = import_jax(a.prng)
    import jax.numpy as jnp
    from jax import lax

    ops = make_ops(st)
    t_import = time.perf_counter() - t_start

    def generate(J, b, key):
        k_init, k_noise = jax.random.split(key)
        x0 = equilibrium(jax, st, k_init, (a.n, st.n))
        bl = ops["blocks"](J)
        g_const = b[None, :]

        def step(k, x):
            eta = jax.random.normal(jax.random.fold_in(k_noise, k), x.shape, jnp.float32)
            return ops["em_update"](x, ops["field"](bl, x) + g_const, eta)

        xt = lax.fori_loop(0, st.steps, step, x0)
        return xt, ops["energy_rows"](bl, b, x0), ops["energy_rows"](bl, b, xt)

    Jd, bd = jnp.asarray(J), jnp.asarray(b)
    key = jax.random.key(a.seed)
    exe, t_compile = compiled(jax, generate, Jd, bd, key)
    t0 = time.perf_counter()
    xt, e0, e1 = block(exe(Jd, bd, key))
    t_run = time.perf_counter() - t0

    xt = np.asarray(xt)
    heat = (np.asarray(e0, np.float64) - np.asarray(e1, np.float64)) / st.kt
    if not (np.isfinite(xt).all() and np.isfinite(heat).all()):
        print("jax_peer: the dynamics diverged; nothing was written", file=sys.stderr)
        return 1
    samples = xt[:, : st.nv].astype(np.float32)
    np.save(os.path.join(a.out, "samples.npy"), samples)
    with open(os.path.join(a.out, "heat.csv"), "w") as f:
        f.write("index,q_kt\n")
        for i, q in enumerate(heat):
            f.write(f"{i},{q:.3f}\n")
    print(f"jax peer sample: {a.n} samples x {st.steps} steps of a {st.nv}+{st.nh}-unit model "
          f"({st.connectivity}), jax {jax.__version__}, prng {a.prng}")
    print(f"import {t_import:.2f} s")
    print(f"compile {t_compile:.3f} s")
    print(f"run {t_run:.3f} s (excluding compile; {1e3 * t_run / st.steps:.3f} ms per step)")
    print(f"heat Q: mean {heat.mean():.4e} kT, std {heat.std():.3e} kT over {a.n} samples")
    if digits is not None:
        print(f"mean largest |correlation| with a training digit: "
              f"{mean_best_corr(samples, digits):.3f}")
    print(f"samples in {a.out}")
    return 0


# ---------------------------------------------------------------------------------------------
# train


def read_idx(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    magic = struct.unpack(">I", data[:4])[0]
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4: 4 + 4 * ndim])
    if (magic >> 8) & 0xFF != 0x08:
        raise UsageError(f"{path}: not an unsigned-byte IDX file")
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_mnist(directory):
    for img, lab in [("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
                     ("t10k-images.idx3-ubyte", "t10k-labels.idx1-ubyte"),
                     ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
                     ("train-images.idx3-ubyte", "train-labels.idx1-ubyte")]:
        found = []
        for base in (img, lab):
            p = next((os.path.join(directory, n) for n in (base, base + ".gz")
                      if os.path.isfile(os.path.join(directory, n))), None)
            found.append(p)
        if all(found):
            images = read_idx(found[0])
            labels = read_idx(found[1])
            return images.reshape(images.shape[0], -1).astype(np.float32), labels
    raise UsageError(f"no MNIST IDX files in {directory}")


def training_images(data, directory):
    """per_class images of each class in `digits`, the first at or after `offset`, class by
    class (src/data/select.rs), standardised per image."""
    if data["source"] != "mnist":
        raise UsageError("the peer trains on MNIST only (data.source = \"mnist\")")
    images, labels = load_mnist(directory)
    picked = []
    for d in data["digits"]:
        idx = [i for i in range(data["offset"], len(labels)) if labels[i] == d][: data["per_class"]]
        if len(idx) < data["per_class"]:
            raise UsageError(f"too few images of digit {d}")
        picked += idx
    return standardise_rows(images[picked]).astype(np.float32)


def lambdas(noising, dt, steps):
    """lambda((k-1) dt) for k = 1..T (src/dynamics/noising.rs)."""
    t = np.arange(steps) * dt
    u = np.clip(t / (noising["fade_fraction"] * noising["t_final"]), 0.0, 1.0)
    s = noising["schedule"]
    if s == "linear":
        lam = 1.0 - u
    elif s == "cosine":
        lam = np.cos(0.5 * np.pi * u) ** 2
    elif s == "exponential":
        e = np.exp(-5.0)
        lam = (np.exp(-5.0 * u) - e) / (1.0 - e)
    else:
        raise UsageError(f"noising.schedule = {s!r} is not known")
    return lam.astype(np.float32)


def image_biases(images, nh, noising, seed):
    """Full-strength biases [M, N]: -s P on visible units, -s h (projection of P) on hidden."""
    s, sh = noising["bias_scale"], noising["bias_scale"] * noising["hidden_scale"]
    m, nv = images.shape
    hb = np.zeros((m, nh))
    proj = noising["hidden_projection"]
    if proj == "random":
        w = np.random.default_rng([seed, 1]).standard_normal((nh, nv)) / np.sqrt(max(nv, 1))
        hb = -sh * (images.astype(np.float64) @ w.astype(np.float32).astype(np.float64).T)
    elif proj == "copy":
        hb = -sh * images[:, np.arange(nh) % nv].astype(np.float64)
    elif proj != "none":
        raise UsageError(f"noising.hidden_projection = {proj!r} is not known")
    return np.concatenate([-s * images.astype(np.float64), hb], axis=1).astype(np.float32)


def epoch_order(seed, m, idx):
    """Every image once per epoch, in an order shuffled per epoch from the seed."""
    return int(np.random.default_rng([seed, 2, idx // m]).permutation(m)[idx % m])


def cmd_train(a):
    cfg = read_toml(a.config)
    model = section(cfg, "model", MODEL_DEFAULTS)
    noising = section(cfg, "noising", NOISING_DEFAULTS)
    train = section(cfg, "train", TRAIN_DEFAULTS)
    data = section(cfg, "data", DATA_DEFAULTS)
    if a.trajectories is not None:
        train["trajectories"] = a.trajectories
    if a.seed is not None:
        train["seed"] = a.seed
    total, batch = int(train["trajectories"]), int(train["batch"])
    if total < 1 or batch < 1:
        raise UsageError("train.trajectories and train.batch must be positive")
    if train["optimizer"] != "adam":
        raise UsageError("the peer implements train.optimizer = \"adam\" only")
    if float(model["init_scale"]) != 0.0:
        raise UsageError("the peer starts from zero couplings (model.init_scale = 0)")
    data_dir = a.data or data.get("path")
    if not data_dir:
        raise UsageError("no MNIST directory: pass --data DIR")
    if not os.path.isdir(data_dir):
        raise UsageError(f"--data {data_dir}: not a directory")
    os.makedirs(a.out, exist_ok=True)

    t_start = time.perf_counter()
    images = training_images(data, data_dir)
    st = Structure(model, images.shape[1], float(noising["t_final"]))
    seed = int(train["seed"])
    biases = image_biases(images, st.nh, noising, seed)
    eq_steps = int(round(float(noising["t_eq"]) / st.dt))
    lam = lambdas(noising, st.dt, st.steps)
    t_data = time.perf_counter() - t_start

    t0 = time.perf_counter()
    jax = import_jax(a.prng)
    import jax.numpy as jnp
    from jax import lax

    ops = make_ops(st)
    t_import = time.perf_counter() - t0
    f32 = jnp.float32
    mu_dt = ops["mu_dt"]
    norm = f32(1.0 / (4.0 * st.mu * st.kt * st.dt))
    lr, b1, b2, eps = (float(train[k]) for k in ("learning_rate", "beta1", "beta2", "eps"))
    mask = jnp.asarray(st.mask)
    bias_mask = jnp.asarray(st.bias_trainable)
    lam_d = jnp.asarray(lam)

    def noising_trajectories(key, bimg):
        """Noising trajectories [T+1, B, N] of the images whose biases are bimg [B, N]."""
        k_eq, k_run = jax.random.split(key)

        def eq_step(k, x):
            eta = jax.random.normal(jax.random.fold_in(k_eq, k), x.shape, f32)
            return ops["em_update"](x, bimg, eta)

        x0 = lax.fori_loop(0, eq_steps, eq_step, jnp.zeros(bimg.shape, f32))

        def run_step(x, inp):
            k, lam_k = inp
            eta = jax.random.normal(jax.random.fold_in(k_run, k), x.shape, f32)
            x = ops["em_update"](x, lam_k * bimg, eta)
            return x, x

        _, xs = lax.scan(run_step, x0, (jnp.arange(st.steps), lam_d))
        return jnp.concatenate([x0[None], xs], axis=0)

    def nll(params, later, earlier):
        """Sum over trajectories of -ln P~ of the reverse steps, and its per-step row sums."""
        J, b = params
        grad_v = ops["field"](ops["blocks"](J), later) + b + ops["onsite_grad"](later)
        r = (earlier - later) + mu_dt * grad_v
        rows = jnp.sum(r * r, axis=1) * norm
        return jnp.sum(rows), rows

    def train_step(J, b, mJ, vJ, mb, vb, t, key, bimg):
        nb = bimg.shape[0]
        traj = noising_trajectories(key, bimg)  # [T+1, B, N]
        later = traj[1:].reshape(-1, st.n)
        earlier = traj[:-1].reshape(-1, st.n)
        (_, rows), (gJ, gb) = jax.value_and_grad(nll, has_aux=True)((J, b), later, earlier)
        inv = f32(1.0 / nb)  # gradient of the batch-mean loss
        gJ = (gJ + gJ.T) * mask * inv  # one parameter per coupled pair
        gb = gb * bias_mask * inv
        # Adam with thermocad's bias correction (src/train/optim.rs)
        step = f32(lr) / (1.0 - f32(b1) ** t)
        corr2 = 1.0 / (1.0 - f32(b2) ** t)

        def adam(p, m, v, g):
            m = f32(b1) * m + f32(1.0 - b1) * g
            v = f32(b2) * v + f32(1.0 - b2) * g * g
            return p - step * m / (jnp.sqrt(v * corr2) + f32(eps)), m, v

        J, mJ, vJ = adam(J, mJ, vJ, gJ)
        b, mb, vb = adam(b, mb, vb, gb)
        return J, b, mJ, vJ, mb, vb, rows

    n = st.n
    state = [jnp.zeros((n, n), f32), jnp.zeros(n, f32), jnp.zeros((n, n), f32),
             jnp.zeros((n, n), f32), jnp.zeros(n, f32), jnp.zeros(n, f32)]
    key = jax.random.key(seed)
    sizes = sorted({min(batch, total - s) for s in range(0, total, batch)})
    exes, t_compile = {}, 0.0
    for nb in sizes:
        exes[nb], dt_c = compiled(jax, train_step, *state, f32(1.0), key,
                                  jnp.zeros((nb, n), f32), donate=(0, 1, 2, 3, 4, 5))
        t_compile += dt_c

    history = []
    t0 = time.perf_counter()
    done, t = 0, 0
    while done < total:
        end = min(done + batch, total)
        ids = range(done, end)
        bimg = jnp.asarray(biases[[epoch_order(seed, len(images), i) for i in ids]])
        t += 1
        out = exes[len(ids)](*state, f32(t), jax.random.fold_in(key, t), bimg)
        state, rows = list(out[:6]), out[6]
        loss = float(np.sum(np.asarray(rows, np.float64))) / (len(ids) * st.steps * n)
        if not np.isfinite(loss):
            print(f"jax_peer: training diverged at trajectory {done}", file=sys.stderr)
            return 1
        done = end
        history.append((done, loss))
    block(state)
    t_run = time.perf_counter() - t0

    t0 = time.perf_counter()
    J, b, mJ, vJ, mb, vb = (np.asarray(s) for s in state)
    np.savez(os.path.join(a.out, "params.npz"), J=J, b=b)
    np.savez(os.path.join(a.out, "checkpoint.npz"), J=J, b=b, m_J=mJ, m_b=mb, v_J=vJ, v_b=vb,
             progress=np.array([done, t], np.uint64))
    np.save(os.path.join(a.out, "digits.npy"), images)
    with open(os.path.join(a.out, "loss.csv"), "w") as f:
        f.write("trajectories,loss\n")
        f.writelines(f"{k},{l:.6f}\n" for k, l in history)
    write_model_toml(a.config, os.path.join(a.out, "model.toml"), st.nv, data_dir)
    t_write = time.perf_counter() - t0

    k = max(len(history) // 10, 1)
    final = sum(l for _, l in history[-k:]) / k
    print(f"jax peer train: {total} trajectories in batches of {batch} ({t} Adam steps) on "
          f"{len(images)} images, {st.nv}+{st.nh} units, T = {st.steps}, jax {jax.__version__}, "
          f"prng {a.prng}")
    print(f"data {t_data:.2f} s, import {t_import:.2f} s, write {t_write:.2f} s")
    print(f"compile {t_compile:.3f} s ({len(sizes)} batch shape(s))")
    print(f"run {t_run:.3f} s (excluding compile; {t_run / total:.3f} s per trajectory)")
    print(f"loss per unit per step {history[0][1]:.4f} -> {final:.4f}")
    print(f"model in {a.out}")
    return 0


def write_model_toml(config_path, out_path, visible, data_dir):
    """The training configuration with model.visible and data.path set (a model directory
    thermocad could also load)."""
    with open(config_path) as f:
        lines = f.read().splitlines()
    out, sect = ["# jax peer model: the configuration this computer was trained with."], None
    for line in lines:
        s = line.strip()
        if s.startswith("[") and not s.startswith("[["):
            sect = s.strip("[]").strip()
            out.append(line)
            if sect == "model":
                out.append(f"visible = {visible}")
            elif sect == "data":
                out.append(f"path = {os.path.abspath(data_dir)!r}".replace("'", '"'))
            continue
        if (sect == "model" and s.startswith("visible")) or (sect == "data" and s.startswith("path")):
            continue
        out.append(line)
    with open(out_path, "w") as f:
        f.write("\n".join(out) + "\n")


# ---------------------------------------------------------------------------------------------


def main(argv=None):
    p = Parser(prog="jax_peer.py", description="JAX peer of thermocad's sampler and trainer")
    sub = p.add_subparsers(dest="cmd", required=True, parser_class=Parser)
    s = sub.add_parser("sample", help="sample a trained model")
    s.add_argument("--params", required=True)
    s.add_argument("--model-toml", required=True)
    s.add_argument("--n", type=int, default=100)
    s.add_argument("--seed", type=int, default=1)
    s.add_argument("--out", required=True)
    s.add_argument("--digits")
    t = sub.add_parser("train", help="generative training")
    t.add_argument("--config", required=True)
    t.add_argument("--data")
    t.add_argument("--trajectories", type=int)
    t.add_argument("--seed", type=int)
    t.add_argument("--out", required=True)
    for q in (s, t):
        q.add_argument("--prng", default="threefry2x32",
                       choices=["threefry2x32", "rbg", "unsafe_rbg"])
    a = p.parse_args(argv)
    global np
    try:
        import numpy
    except ImportError:
        sys.stderr.write("jax_peer: numpy is not installed (pip install -r scripts/peer/requirements.txt)\n")
        return 1
    np = numpy
    try:
        return cmd_sample(a) if a.cmd == "sample" else cmd_train(a)
    except UsageError as e:
        sys.stderr.write(f"jax_peer: {e}\n")
        return 2


if __name__ == "__main__":
    sys.exit(main())
