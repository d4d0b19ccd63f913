"""What a trained model is used for: each app returns a frozen result dataclass."""
