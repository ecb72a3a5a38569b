"""RL for verifiable rewards: GRPO, RAFT, RAFT++, Reinforce-Rej and vanilla Reinforce."""
