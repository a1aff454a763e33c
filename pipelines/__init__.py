"""Pure builders of MongoDB aggregation pipelines: validated parameters in, stages out."""
