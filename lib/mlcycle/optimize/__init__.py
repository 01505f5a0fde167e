"""Model optimisation for deployment: ONNX export with a parity check."""
