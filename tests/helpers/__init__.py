"""What several test modules share: request helpers, the test tiers, performance budgets."""
