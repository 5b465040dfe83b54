"""Train the SentencePiece BPE tokenizer of the embedded model on WORK/train.txt.

BPE (not unigram) because the engine's SPM tokenizer follows llama.cpp, which
reproduces SentencePiece BPE segmentation. Newlines never reach the trainer (it reads
one line at a time); at encode time they fall back to the byte token <0x0A>.
"""

import argparse
import os

import sentencepiece as spm

VOCAB_SIZE = 4096


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", default=os.path.join(os.path.dirname(__file__), "work"))
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    lines_path = os.path.join(args.work, "spm_input.txt")
    with open(os.path.join(args.work, "train.txt"), encoding="utf-8") as src, open(lines_path, "w", encoding="utf-8") as dst:
        for line in src:
            if line.strip():
                dst.write(line)

    spm.SentencePieceTrainer.train(
        input=lines_path,
        model_prefix=os.path.join(args.work, "tokenizer"),
        model_type="bpe",
        vocab_size=VOCAB_SIZE,
        byte_fallback=True,
        normalization_rule_name="identity",
        add_dummy_prefix=True,
        remove_extra_whitespaces=False,
        split_digits=True,
        character_coverage=0.9999,
        max_sentence_length=1 << 16,
        unk_id=0,
        bos_id=1,
        eos_id=2,
        pad_id=-1,
        num_threads=args.threads,
        minloglevel=1,
    )
    sp = spm.SentencePieceProcessor(model_file=os.path.join(args.work, "tokenizer.model"))
    sample = "It is a truth universally acknowledged, that 1999 hackers\nlove Emma."
    print("vocab", sp.get_piece_size(), sp.encode(sample, out_type=str))


if __name__ == "__main__":
    main()
