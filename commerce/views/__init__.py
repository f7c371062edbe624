"""Web UI of commerce for sales reps: customers (with their hierarchy), customer users, groups, products, orders."""
