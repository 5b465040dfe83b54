"""Export a training checkpoint and the SentencePiece tokenizer to an F32 llama GGUF.

Weights go out exactly as trained: nn.Linear stores (out, in) row-major, which is
ggml's [in, out] layout, and the model already uses ggml's non-NeoX RoPE pairing, so
no q/k permutation is needed. The file is read back and compared before returning.
"""

import argparse
import os

import numpy as np
import sentencepiece as spm
import torch

import gguf

HERE = os.path.dirname(os.path.abspath(__file__))

# Token types of llama.cpp's vocabulary.
TOKEN_NORMAL, TOKEN_UNKNOWN, TOKEN_CONTROL, TOKEN_UNUSED, TOKEN_BYTE = 1, 2, 3, 5, 6

# Plain-text chat format: the model only ever saw prose, so roles are written as words.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'system' %}System: "
    "{% elif message['role'] == 'user' %}User: "
    "{% elif message['role'] == 'assistant' %}Assistant: "
    "{% else %}{{ message['role'] }}: {% endif %}"
    "{{ message['content'] }}\n\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}Assistant:{% endif %}"
)

_LAYER_NAMES = {
    "attn_norm.weight": "attn_norm.weight",
    "attn.wq.weight": "attn_q.weight",
    "attn.wk.weight": "attn_k.weight",
    "attn.wv.weight": "attn_v.weight",
    "attn.wo.weight": "attn_output.weight",
    "ffn_norm.weight": "ffn_norm.weight",
    "ffn.w_gate.weight": "ffn_gate.weight",
    "ffn.w_up.weight": "ffn_up.weight",
    "ffn.w_down.weight": "ffn_down.weight",
}


def gguf_tensor_name(name: str) -> str:
    """GGUF name of a parameter of model.Llama."""
    if name == "tok_embeddings.weight":
        return "token_embd.weight"
    if name == "norm.weight":
        return "output_norm.weight"
    if name == "output.weight":
        return "output.weight"
    _, layer, rest = name.split(".", 2)
    return f"blk.{layer}.{_LAYER_NAMES[rest]}"


def vocabulary(sp):
    """(pieces, scores, token types) in id order."""
    pieces, scores, types = [], [], []
    for i in range(sp.get_piece_size()):
        pieces.append(sp.id_to_piece(i))
        scores.append(sp.get_score(i))
        if sp.is_unknown(i):
            types.append(TOKEN_UNKNOWN)
        elif sp.is_control(i):
            types.append(TOKEN_CONTROL)
        elif sp.is_byte(i):
            types.append(TOKEN_BYTE)
        elif sp.is_unused(i):
            types.append(TOKEN_UNUSED)
        else:
            types.append(TOKEN_NORMAL)
    return pieces, scores, types


def build_writer(checkpoint: dict, sp, name: str) -> gguf.GgufWriter:
    cfg = checkpoint["config"]
    head_dim = cfg["dim"] // cfg["n_heads"]
    w = gguf.GgufWriter()
    w.add("general.architecture", gguf.STRING, "llama")
    w.add("general.name", gguf.STRING, name)
    w.add("general.alignment", gguf.UINT32, gguf.ALIGNMENT)
    w.add("general.file_type", gguf.UINT32, 0)
    w.add("llama.context_length", gguf.UINT32, cfg["context_length"])
    w.add("llama.embedding_length", gguf.UINT32, cfg["dim"])
    w.add("llama.block_count", gguf.UINT32, cfg["n_layers"])
    w.add("llama.feed_forward_length", gguf.UINT32, cfg["ffn_dim"])
    w.add("llama.attention.head_count", gguf.UINT32, cfg["n_heads"])
    w.add("llama.attention.head_count_kv", gguf.UINT32, cfg["n_kv_heads"])
    w.add("llama.rope.dimension_count", gguf.UINT32, head_dim)
    w.add("llama.rope.freq_base", gguf.FLOAT32, cfg["rope_base"])
    w.add("llama.attention.layer_norm_rms_epsilon", gguf.FLOAT32, cfg["norm_eps"])
    w.add("llama.vocab_size", gguf.UINT32, cfg["vocab_size"])

    pieces, scores, types = vocabulary(sp)
    if len(pieces) != cfg["vocab_size"]:
        raise ValueError(f"tokenizer has {len(pieces)} pieces, model expects {cfg['vocab_size']}")
    w.add("tokenizer.ggml.model", gguf.STRING, "llama")
    w.add("tokenizer.ggml.pre", gguf.STRING, "default")
    w.add_array("tokenizer.ggml.tokens", gguf.STRING, pieces)
    w.add_array("tokenizer.ggml.scores", gguf.FLOAT32, scores)
    w.add_array("tokenizer.ggml.token_type", gguf.INT32, types)
    w.add("tokenizer.ggml.bos_token_id", gguf.UINT32, sp.bos_id())
    w.add("tokenizer.ggml.eos_token_id", gguf.UINT32, sp.eos_id())
    w.add("tokenizer.ggml.unknown_token_id", gguf.UINT32, sp.unk_id())
    w.add("tokenizer.ggml.add_bos_token", gguf.BOOL, True)
    w.add("tokenizer.ggml.add_eos_token", gguf.BOOL, False)
    w.add("tokenizer.chat_template", gguf.STRING, CHAT_TEMPLATE)

    state = checkpoint["model"]
    ordered = ["tok_embeddings.weight"]
    for layer in range(cfg["n_layers"]):
        ordered += [f"layers.{layer}.{key}" for key in _LAYER_NAMES]
    ordered += ["norm.weight", "output.weight"]
    if set(ordered) != set(state):
        raise ValueError(f"unexpected parameters: {sorted(set(state) ^ set(ordered))}")
    for key in ordered:
        w.add_tensor(gguf_tensor_name(key), state[key].float().numpy())
    return w


def load_model_from_gguf(path: str):
    """A model.Llama (fp32, eval mode) with the weights and hyper-parameters of a GGUF written here."""
    from model import Llama, ModelConfig

    metadata, tensors = gguf.read_gguf(path)
    cfg = ModelConfig(
        vocab_size=metadata["llama.vocab_size"],
        dim=metadata["llama.embedding_length"],
        n_layers=metadata["llama.block_count"],
        n_heads=metadata["llama.attention.head_count"],
        n_kv_heads=metadata["llama.attention.head_count_kv"],
        ffn_dim=metadata["llama.feed_forward_length"],
        context_length=metadata["llama.context_length"],
        rope_base=metadata["llama.rope.freq_base"],
        norm_eps=metadata["llama.attention.layer_norm_rms_epsilon"],
    )
    model = Llama(cfg)
    state = {key: torch.from_numpy(tensors[gguf_tensor_name(key)].copy()) for key in model.state_dict()}
    model.load_state_dict(state)
    return model.eval()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", default=os.path.join(HERE, "work"))
    parser.add_argument("--checkpoint", default=None, help="default: WORK/ckpt.pt")
    parser.add_argument("--out", default=None, help="default: WORK/tachyon-mini-f32.gguf")
    parser.add_argument("--name", default="tachyon-mini")
    args = parser.parse_args()
    checkpoint_path = args.checkpoint or os.path.join(args.work, "ckpt.pt")
    out_path = args.out or os.path.join(args.work, "tachyon-mini-f32.gguf")

    checkpoint = torch.load(checkpoint_path, map_location="cpu")
    sp = spm.SentencePieceProcessor(model_file=os.path.join(args.work, "tokenizer.model"))
    build_writer(checkpoint, sp, args.name).write(out_path)

    metadata, tensors = gguf.read_gguf(out_path)
    for key, value in checkpoint["model"].items():
        if not np.array_equal(tensors[gguf_tensor_name(key)], value.float().numpy()):
            raise SystemExit(f"round trip mismatch in {key}")
    n_params = sum(t.size for t in tensors.values())
    print(f"wrote {out_path}: {len(tensors)} tensors, {n_params:,} parameters, {len(metadata)} keys, "
          f"{os.path.getsize(out_path):,} bytes (step {checkpoint['step']})")


if __name__ == "__main__":
    main()
