"""Speculative decoding: reward-guided at the step level (RSD), and its baselines."""
