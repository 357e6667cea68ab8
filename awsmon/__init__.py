"""awsmon: monitor and audit AWS accounts, against AWS or a local simulated account."""

__version__ = "0.1.0"
