"""What a model is trained and used for (train, classify, reduce, visualise, ...): each app returns a frozen result dataclass."""
