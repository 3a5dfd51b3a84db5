"""lifeos scoring sidecar: Vowpal Wabbit contextual bandit behind the remote policy."""
