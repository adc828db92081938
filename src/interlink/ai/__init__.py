"""Language models as governed integrations: what each call used and cost, budgets enforced
before a call (`usage`), and the gateway and routes that put the providers behind one API."""
