"""PyTorch side of `pnpm --filter @llmedit/speed bench`: the same workloads as llmedit, on a plain GPT-2
written here (no transformers package), at the thread counts given. Prints one JSON object per workload.

Usage: python3 reference.py THREADS [THREADS ...]
"""
import json
import math
import sys
import time

import torch
import torch.nn.functional as F


def best_ms(fn, reps, warmup=1):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return min(times)


class Block(torch.nn.Module):
    def __init__(self, d, heads, inner):
        super().__init__()
        self.heads = heads
        self.ln1 = torch.nn.LayerNorm(d, eps=1e-5)
        self.attn = torch.nn.Linear(d, 3 * d)
        self.proj = torch.nn.Linear(d, d)
        self.ln2 = torch.nn.LayerNorm(d, eps=1e-5)
        self.fc = torch.nn.Linear(d, inner)
        self.out = torch.nn.Linear(inner, d)

    def forward(self, x, mlp_delta=None):
        b, t, d = x.shape
        q, k, v = self.attn(self.ln1(x)).split(d, dim=2)
        q, k, v = (z.view(b, t, self.heads, d // self.heads).transpose(1, 2) for z in (q, k, v))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(d // self.heads)
        mask = torch.ones(t, t, dtype=torch.bool).tril()
        att = att.masked_fill(~mask, float('-inf')).softmax(-1)
        x = x + self.proj((att @ v).transpose(1, 2).reshape(b, t, d))
        m = self.out(F.gelu(self.fc(self.ln2(x)), approximate='tanh'))
        if mlp_delta is not None:
            m = mlp_delta(m)
        return x + m


class Gpt2(torch.nn.Module):
    def __init__(self, layers, d, heads, vocab, positions=256):
        super().__init__()
        self.wte = torch.nn.Embedding(vocab, d)
        self.wpe = torch.nn.Embedding(positions, d)
        self.blocks = torch.nn.ModuleList(Block(d, heads, 4 * d) for _ in range(layers))
        self.lnf = torch.nn.LayerNorm(d, eps=1e-5)

    def forward(self, ids, edit_layer=None, mlp_delta=None, start=0, x=None, head=None):
        """Logits; with start > 0, x is the residual stream entering block `start` (a cached prefix); head
        picks the rows of the final residual stream that get logits (default: every position)."""
        if x is None:
            x = self.wte(ids) + self.wpe(torch.arange(ids.shape[1]))
        for i, block in enumerate(self.blocks):
            if i >= start:
                x = block(x, mlp_delta if i == edit_layer else None)
        if head is not None:
            x = head(x)
        return self.lnf(x) @ self.wte.weight.T

    def residual_before(self, ids, layer):
        x = self.wte(ids) + self.wpe(torch.arange(ids.shape[1]))
        for block in self.blocks[:layer]:
            x = block(x)
        return x


def ids(rows, length, vocab):
    return torch.tensor([[(b * 7919 + t * 104729) % vocab for t in range(length)] for b in range(rows)])


def workloads(threads):
    torch.manual_seed(0)
    out = {}
    for n, (m, k, nn) in {'gemm 512x768x3072': (512, 768, 3072), 'gemm 4096^3': (4096, 4096, 4096)}.items():
        a, b = torch.randn(m, k), torch.randn(k, nn)
        ms = best_ms(lambda: a @ b, 3 if m == 4096 else 20)
        out[n] = {'ms': ms, 'gflops': 2 * m * k * nn / ms / 1e6}
    with torch.no_grad():
        small = Gpt2(12, 768, 12, 50257)
        batch = ids(16, 32, 50257)
        out['gpt2-small forward 16x32'] = {'ms': best_ms(lambda: small(batch), 3)}
    default = Gpt2(8, 192, 6, 4096)
    train = ids(64, 32, 4096)

    def step():
        logits = default(train)
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, 4096), train[:, 1:].reshape(-1))
        default.zero_grad()
        loss.backward()

    out['default-model training step 64x32'] = {'ms': best_ms(step, 5)}
    out['rome-like v* optimisation, gpt2-small'] = {'ms': best_ms(lambda: rome_like(small), 2)}
    out['rome-like v*, cached prefix, scored rows, gpt2-small'] = {'ms': best_ms(lambda: rome_like(small, cached=True), 2)}
    return out


def rome_like(model, layer=8, steps=20, prompts=10, length=18, cached=False):
    """ROME's compute_v workload: a delta added to layer 8's MLP output at the subject's last token of 10
    context prompts plus one KL prompt, optimised for 20 Adam steps on the target NLL plus 0.0625 x KL.
    EasyEdit runs the whole model at every step and takes logits at every position (cached=False); the
    blocks before the edited layer do not depend on the delta and only the scored positions need logits, so
    cached=True runs the prefix once and the LM head on the scored rows only, as llmedit's ROME does: the
    like-for-like reference."""
    for p in model.parameters():
        p.requires_grad_(False)
    batch = ids(prompts + 1, length, 50257)
    subject = length - 4
    target = batch[:prompts, -1]
    delta = torch.zeros(768, requires_grad=True)
    opt = torch.optim.Adam([delta], lr=0.5)
    with torch.no_grad():
        kl_ref = model(batch[prompts:])[:, subject].log_softmax(-1)

    def add(m):
        m = m.clone()
        m[:, subject] = m[:, subject] + delta
        return m

    prefix = None
    if cached:
        with torch.no_grad():
            prefix = model.residual_before(batch, layer)
    for _ in range(steps):
        if cached:
            # Rows 0..prompts-1: the target position of each prompt; the last row: the KL prompt's subject.
            scored = lambda x: torch.cat([x[:prompts, -2], x[prompts:, subject]])
            rows = model(batch, edit_layer=layer, mlp_delta=add, start=layer, x=prefix, head=scored)
            target_logits, kl_logits = rows[:prompts], rows[prompts:]
        else:
            logits = model(batch, edit_layer=layer, mlp_delta=add)
            target_logits, kl_logits = logits[:prompts, -2], logits[prompts:, subject]
        nll = F.cross_entropy(target_logits, target)
        kl = F.kl_div(kl_logits.log_softmax(-1), kl_ref, log_target=True, reduction='batchmean')
        opt.zero_grad()
        (nll + 0.0625 * kl).backward()
        opt.step()


if __name__ == '__main__':
    results = {}
    for t in [int(x) for x in sys.argv[1:]]:
        torch.set_num_threads(t)
        results[t] = workloads(t)
    print(json.dumps({'torch': torch.__version__, 'config': torch.__config__.show().split('\n')[:3], 'results': results}))
