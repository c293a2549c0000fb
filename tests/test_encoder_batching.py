"""The encoder batches texts by token count: each vector still belongs to its own text."""

import numpy as np

from lmi.nlp.embeddings import BATCH_SIZE, get_encoder

# lengths from 1 to ~40 tokens, interleaved so sorting by token count reorders them
TEXTS = [("python " * (i % 37 + 1)).strip() + f" skill {i}" for i in range(BATCH_SIZE * 2 + 5)]


def test_vectors_follow_their_texts_whatever_the_batch():
    encoder = get_encoder()
    together = encoder._encode_raw(TEXTS, None)
    for i in (0, 1, 36, 37, BATCH_SIZE, len(TEXTS) - 1):     # alone: a batch of one, no padding
        alone = encoder._encode_raw([TEXTS[i]], None)[0]
        assert float(alone @ together[i]) > 0.9999, TEXTS[i]
    # each row is nearer its own text's vector than any other text's
    assert (np.argmax(together @ together.T, axis=1) == np.arange(len(TEXTS))).all()


def test_token_lengths_count_special_tokens_and_truncate():
    encoder = get_encoder()
    short, long = encoder.token_lengths(["python", "word " * 1000])
    assert short == 3                                        # [CLS] python [SEP]
    assert long == encoder.model.max_seq_length
    assert encoder.token_lengths([]) == []


def test_progress_is_reported_up_to_the_total():
    seen: list[tuple[int, int]] = []
    get_encoder()._encode_raw(TEXTS, lambda done, total: seen.append((done, total)))
    assert seen and seen[-1] == (len(TEXTS), len(TEXTS))
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_direct_path_matches_sentence_transformers_encode():
    """_encode_raw tokenizes once and calls the model's modules itself: same vectors as the
    library's own encode (same precision), mixed lengths, a truncated text and non-ASCII."""
    import torch

    encoder = get_encoder()
    texts = [*TEXTS[:40], "word " * 400, "Café management, C# / .NET & Node.js"]
    ours = encoder._encode_raw(texts, None)
    with torch.inference_mode(), torch.autocast("cpu", torch.bfloat16,
                                                enabled=encoder.precision == "bf16"):
        theirs = encoder.model.encode(texts, batch_size=len(texts), convert_to_tensor=True,
                                      show_progress_bar=False)
    theirs = torch.nn.functional.normalize(theirs.float(), dim=-1).numpy()
    cosines = np.sum(ours * theirs, axis=1)
    assert cosines.min() > 0.999, cosines.argmin()
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
