"""A scan from its request to its report document: settings, inputs, evaluation, waivers, baseline."""
