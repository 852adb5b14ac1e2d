"""Batch predictions of the production models (`predictions/<task>`), in `ml.predictions`."""
