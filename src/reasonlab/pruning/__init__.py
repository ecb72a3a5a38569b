"""Block pruning by scores: EntroDrop's entropy increase, the cosine change of ShortGPT / LLM-Drop
and SLEB's greedy calibration NLL; the drops themselves are models/pruned.py (module replacement).

methods.py (the names, torch-free, for configs), entropy.py (estimators), calibration.py (texts as
token ids), capture.py (hidden states by hooks), scores.py (entropy and cosine scores), nll.py
(greedy NLL), select.py (protected layers, k), ranking.py (a drop order by any method). Nothing is
imported here, so a config can name the methods without loading torch.
"""
