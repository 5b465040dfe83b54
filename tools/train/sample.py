"""Generate text from tachyon-mini (greedy and with temperature) for the model card."""

import argparse
import os

import sentencepiece as spm
import torch

from export_gguf import CHAT_TEMPLATE, load_model_from_gguf

HERE = os.path.dirname(os.path.abspath(__file__))
BOS_ID, EOS_ID = 1, 2

PROMPTS = [
    "It is a truth universally acknowledged, that",
    "In the beginning",
    "The hacker",
    "Emma Woodhouse was",
    "User: What is a computer?\n\nAssistant:",
]


@torch.no_grad()
def generate(model, sp, prompt: str, n_tokens: int, temperature: float, generator) -> str:
    """The continuation of `prompt` (BOS + prompt ids); temperature 0 means greedy."""
    ids = [BOS_ID] + sp.encode(prompt)
    n_prompt = len(ids)
    for _ in range(n_tokens):
        window = ids[-model.cfg.context_length :]
        logits = model(torch.tensor([window]))[0, -1].float()
        if temperature <= 0:
            next_id = int(torch.argmax(logits))
        else:
            probs = torch.softmax(logits / temperature, dim=-1)
            next_id = int(torch.multinomial(probs, 1, generator=generator))
        if next_id == EOS_ID:
            break
        ids.append(next_id)
    # Decode the whole sequence so the first generated piece keeps its leading space.
    return sp.decode(ids[1:])[len(sp.decode(ids[1:n_prompt])) :]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--work", default=os.path.join(HERE, "work"))
    parser.add_argument("--gguf", default=None, help="default: WORK/tachyon-mini-f32.gguf")
    parser.add_argument("--tokens", type=int, default=48)
    parser.add_argument("--temperature", type=float, default=0.8)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    torch.set_num_threads(1)
    assert "Assistant:" in CHAT_TEMPLATE  # the chat prompt below mirrors the template

    model = load_model_from_gguf(args.gguf or os.path.join(args.work, "tachyon-mini-f32.gguf"))
    sp = spm.SentencePieceProcessor(model_file=os.path.join(args.work, "tokenizer.model"))
    generator = torch.Generator().manual_seed(args.seed)
    for prompt in PROMPTS:
        greedy = generate(model, sp, prompt, args.tokens, 0.0, generator)
        sampled = generate(model, sp, prompt, args.tokens, args.temperature, generator)
        print(f"### {prompt!r}\n- greedy: {prompt}{greedy}\n- T={args.temperature}: {prompt}{sampled}\n", flush=True)


if __name__ == "__main__":
    main()
