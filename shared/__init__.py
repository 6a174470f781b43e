"""Code common to the API and the workers: settings, job specs, kernels, aggregation, Redis access."""
