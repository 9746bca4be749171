"""policies.yaml, settings resolution, waivers and rule selection."""
