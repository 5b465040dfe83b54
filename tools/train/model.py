"""Llama-architecture decoder in PyTorch, laid out so its weights export to GGUF unchanged.

RoPE uses GGML's "normal" (non-NeoX) layout: adjacent pairs (x[2i], x[2i+1]) of each
head are rotated by pos * base^(-2i/head_dim). With that layout the q/k projection
rows need no permutation on export. Grouped-query attention maps query head h to
key/value head h // (n_heads / n_kv_heads), as ggml's broadcasting does.
"""

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class ModelConfig:
    """Hyper-parameters; the defaults are the embedded tachyon-mini model."""

    vocab_size: int = 4096
    dim: int = 288
    n_layers: int = 6
    n_heads: int = 6
    n_kv_heads: int = 2
    ffn_dim: int = 768
    context_length: int = 256
    rope_base: float = 10000.0
    norm_eps: float = 1e-5

    @property
    def head_dim(self) -> int:
        return self.dim // self.n_heads

    def to_dict(self) -> dict:
        return asdict(self)


class RMSNorm(nn.Module):
    """x / sqrt(mean(x^2) + eps) * weight, computed in fp32."""

    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        x32 = x.float()
        normed = x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + self.eps)
        return (normed * self.weight.float()).type_as(x)


def rope_tables(head_dim: int, n_positions: int, base: float):
    """cos/sin tables of shape (n_positions, head_dim / 2) for angle pos * base^(-2i/head_dim)."""
    inv_freq = base ** (-torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim)
    angles = torch.arange(n_positions, dtype=torch.float64)[:, None] * inv_freq[None, :]
    return torch.cos(angles).float(), torch.sin(angles).float()


def apply_rope(x, cos, sin):
    """Rotate adjacent pairs of x (batch, heads, seq, head_dim) by the per-position angles."""
    x32 = x.float()
    pairs = x32.reshape(*x32.shape[:-1], -1, 2)  # (b, h, t, hd/2, 2)
    even, odd = pairs[..., 0], pairs[..., 1]
    rotated = torch.stack((even * cos - odd * sin, even * sin + odd * cos), dim=-1)
    return rotated.reshape(x32.shape).type_as(x)


class Attention(nn.Module):
    """Causal grouped-query self-attention with RoPE on q and k."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        hd = cfg.head_dim
        self.wq = nn.Linear(cfg.dim, cfg.n_heads * hd, bias=False)
        self.wk = nn.Linear(cfg.dim, cfg.n_kv_heads * hd, bias=False)
        self.wv = nn.Linear(cfg.dim, cfg.n_kv_heads * hd, bias=False)
        self.wo = nn.Linear(cfg.n_heads * hd, cfg.dim, bias=False)

    def forward(self, x, cos, sin, mask):
        cfg = self.cfg
        b, t, _ = x.shape
        hd = cfg.head_dim
        q = self.wq(x).view(b, t, cfg.n_heads, hd).transpose(1, 2)  # (b, n_heads, t, hd)
        k = self.wk(x).view(b, t, cfg.n_kv_heads, hd).transpose(1, 2)  # (b, n_kv, t, hd)
        v = self.wv(x).view(b, t, cfg.n_kv_heads, hd).transpose(1, 2)  # (b, n_kv, t, hd)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        group = cfg.n_heads // cfg.n_kv_heads
        k = k.repeat_interleave(group, dim=1)  # (b, n_heads, t, hd)
        v = v.repeat_interleave(group, dim=1)
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(hd)  # (b, n_heads, t, t)
        scores = scores.float().masked_fill(mask[:t, :t], float("-inf"))
        probs = F.softmax(scores, dim=-1).type_as(v)
        out = (probs @ v).transpose(1, 2).reshape(b, t, cfg.n_heads * hd)  # (b, t, dim)
        return self.wo(out)


class FeedForward(nn.Module):
    """SwiGLU: down(silu(gate(x)) * up(x)), no biases."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.w_gate = nn.Linear(cfg.dim, cfg.ffn_dim, bias=False)
        self.w_up = nn.Linear(cfg.dim, cfg.ffn_dim, bias=False)
        self.w_down = nn.Linear(cfg.ffn_dim, cfg.dim, bias=False)

    def forward(self, x):
        return self.w_down(F.silu(self.w_gate(x)) * self.w_up(x))


class Block(nn.Module):
    """Pre-norm transformer layer: x + attn(norm(x)), then h + ffn(norm(h))."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.attn_norm = RMSNorm(cfg.dim, cfg.norm_eps)
        self.attn = Attention(cfg)
        self.ffn_norm = RMSNorm(cfg.dim, cfg.norm_eps)
        self.ffn = FeedForward(cfg)

    def forward(self, x, cos, sin, mask):
        h = x + self.attn(self.attn_norm(x), cos, sin, mask)
        return h + self.ffn(self.ffn_norm(h))


class Llama(nn.Module):
    """Token embedding -> layers -> final RMSNorm -> untied output projection."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.tok_embeddings = nn.Embedding(cfg.vocab_size, cfg.dim)
        self.layers = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
        self.norm = RMSNorm(cfg.dim, cfg.norm_eps)
        self.output = nn.Linear(cfg.dim, cfg.vocab_size, bias=False)
        cos, sin = rope_tables(cfg.head_dim, cfg.context_length, cfg.rope_base)
        self.register_buffer("rope_cos", cos, persistent=False)
        self.register_buffer("rope_sin", sin, persistent=False)
        causal = torch.triu(torch.ones(cfg.context_length, cfg.context_length, dtype=torch.bool), diagonal=1)
        self.register_buffer("causal_mask", causal, persistent=False)
        self._init_weights()

    def _init_weights(self):
        # Small normal init; projections that write into the residual stream are scaled
        # down with depth so the stream's variance stays flat at initialisation.
        for name, p in self.named_parameters():
            if p.dim() == 2:
                std = 0.02
                if name.endswith("wo.weight") or name.endswith("w_down.weight"):
                    std = 0.02 / math.sqrt(2 * self.cfg.n_layers)
                nn.init.normal_(p, mean=0.0, std=std)

    def forward(self, tokens):
        """Logits (batch, seq, vocab) for token ids (batch, seq), seq <= context_length."""
        t = tokens.shape[1]
        x = self.tok_embeddings(tokens)  # (b, t, dim)
        cos, sin = self.rope_cos[:t], self.rope_sin[:t]
        for layer in self.layers:
            x = layer(x, cos, sin, self.causal_mask)
        return self.output(self.norm(x))  # (b, t, vocab)

    def n_params(self) -> int:
        return sum(p.numel() for p in self.parameters())
